//! Reads gclab's binary trace format (`.gctb`). (Being written.)

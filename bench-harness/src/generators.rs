//! Trace generators for `gclab gen`. (Being written.)

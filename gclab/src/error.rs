//! Why a collector could not be chosen or its heap built: the one error of [`crate::collectors`].
//!
//! The messages name what to do: the names that are available, or the cargo feature that would
//! compile a collector in. A program with a command line (such as bench-harness's `gclab`) wraps
//! this error and decides its exit code.

use gc_core::ConfigError;
use thiserror::Error;

/// A collector choice that cannot be made, or a heap configuration its collector rejects.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ChoiceError {
    /// The name is no collector gclab knows of.
    #[error("unknown collector `{name}`; available: {available}")]
    UnknownCollector {
        name: String,
        /// `auto` and every compiled-in collector, comma-separated.
        available: String,
    },
    /// gclab knows the collector, but this build lacks a cargo feature it needs.
    #[error("collector `{name}` was not compiled in (enable {features})")]
    NotCompiledIn {
        name: String,
        /// The cargo features to enable, as prose ("cargo feature `marksweep`").
        features: String,
    },
    /// `auto` was asked of a build without any collector feature.
    #[error("no collector was compiled in (enable a cargo feature such as `marksweep`)")]
    NoCollector,
    /// The heap could not be built with the configuration given.
    #[error("bad heap configuration: {0}")]
    Config(#[from] ConfigError),
}

#[cfg(test)]
mod tests {
    use super::*;

    // The `gclab` program prints these messages as they are; its tests and users read them.
    #[test]
    fn messages_name_what_to_do() {
        let unknown = ChoiceError::UnknownCollector {
            name: "nosuch".into(),
            available: "auto, marksweep".into(),
        };
        assert_eq!(
            unknown.to_string(),
            "unknown collector `nosuch`; available: auto, marksweep"
        );
        let missing = ChoiceError::NotCompiledIn {
            name: "markcompact".into(),
            features: "cargo feature `markcompact`".into(),
        };
        assert_eq!(
            missing.to_string(),
            "collector `markcompact` was not compiled in (enable cargo feature `markcompact`)"
        );
        assert_eq!(
            ChoiceError::NoCollector.to_string(),
            "no collector was compiled in (enable a cargo feature such as `marksweep`)"
        );
    }
}

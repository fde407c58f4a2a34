//! Which collectors this build of gclab holds, choosing one by name (or [`CollectorChoice::Auto`]),
//! and running code on a heap of the chosen one.
//!
//! [`Heap`] is generic over its collector so that allocation and the write barrier are
//! monomorphized. A name chosen at run time is turned into a type exactly once per run: by
//! [`CollectorChoice::visit`], which calls a [`CollectorVisitor`]'s generic method with the chosen
//! collector, or by [`run_with`], which builds the heap and calls a [`HeapVisitor`].
//!
//! Each collector is an additive cargo feature of this crate (wasmtime's scheme). The feature
//! switches appear only in this file, in three places per collector: its [`CollectorChoice`] variant, its entry in
//! [`CollectorChoice::COMPILED_IN`], and its arm in [`CollectorChoice::visit`]. Its row in
//! [`KNOWN`] is always there, so that asking for a collector this build lacks names the feature
//! that would add it.

use std::fmt;

use gc_core::{Collector, CollectorConstraints, ConfigError, Heap, HeapConfig};

use crate::error::ChoiceError;

/// A collector configuration gclab has or plans, and the cargo features that compile it in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KnownCollector {
    /// The name [`CollectorChoice::parse`] takes (the collector's `CONSTRAINTS.name`).
    pub name: &'static str,
    /// The cargo features of this crate that compile it in.
    pub features: &'static [&'static str],
}

/// Every configuration gclab knows of, compiled in or not.
pub const KNOWN: &[KnownCollector] = &[
    known("marksweep", &["marksweep"]),
    known("gen-marksweep", &["scavenge", "marksweep"]),
    known("markcompact", &["markcompact"]),
    known("gen-markcompact", &["scavenge", "markcompact"]),
    known("incremental", &["incremental"]),
    known("gen-incremental", &["scavenge", "incremental"]),
    known("concurrent", &["concurrent"]),
    known("gen-concurrent", &["scavenge", "concurrent"]),
];

const fn known(name: &'static str, features: &'static [&'static str]) -> KnownCollector {
    KnownCollector { name, features }
}

/// The collector a heap uses: [`CollectorChoice::Auto`], or one named (see [`CollectorChoice::parse`]).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CollectorChoice {
    /// The best compiled-in collector: the first of [`CollectorChoice::COMPILED_IN`].
    Auto,
    /// Stop-the-world, non-moving mark-sweep (`gc-marksweep`).
    #[cfg(feature = "marksweep")]
    MarkSweep,
    /// The scavenger over mark-sweep (`gc-scavenge` and `gc-marksweep`).
    #[cfg(all(feature = "scavenge", feature = "marksweep"))]
    GenMarkSweep,
    /// Mark-sweep that evacuates fragmented pages and compacts fully under memory pressure
    /// (`gc-markcompact`).
    #[cfg(feature = "markcompact")]
    MarkCompact,
    /// The scavenger's young generation over mark-compact (`gc-scavenge`, `gc-markcompact`).
    #[cfg(all(feature = "scavenge", feature = "markcompact"))]
    GenMarkCompact,
    /// Incremental marking with lazy sweeping (`gc-incremental`).
    #[cfg(feature = "incremental")]
    Incremental,
    /// The scavenger's young generation over incremental marking (`gc-scavenge`,
    /// `gc-incremental`): V8's configuration.
    #[cfg(all(feature = "scavenge", feature = "incremental"))]
    GenIncremental,
    /// Incremental marking with a marker thread beside the mutator, and sweeping with a sweeper
    /// thread beside it, the allocator sweeping the pages the thread has not reached
    /// (`gc-incremental`'s `Concurrent`).
    #[cfg(feature = "concurrent")]
    Concurrent,
    /// The scavenger's young generation over concurrent marking (`gc-scavenge`,
    /// `gc-incremental`).
    #[cfg(all(feature = "scavenge", feature = "concurrent"))]
    GenConcurrent,
}

/// Code to run with a collector whose type was chosen at run time.
pub trait CollectorVisitor {
    type Output;
    fn visit<C: Collector>(self, collector: C) -> Self::Output;
}

/// Code to run on a heap whose collector was chosen at run time.
pub trait HeapVisitor {
    type Output;
    fn visit<C: Collector>(self, heap: Heap<C>) -> Self::Output;
}

impl CollectorChoice {
    /// The compiled-in collectors, best first. V8's configuration comes first: the scavenger
    /// over incremental marking, whose old-generation pauses stay near its 1 ms step budget
    /// (its longest pauses are scavenges); then the generational mark-sweep: on binary-trees it
    /// takes about a fifth less time than mark-sweep alone, with a p99 pause about nine times
    /// shorter. The scavenger over concurrent marking comes next, not first yet: its marker
    /// thread takes the main thread's marking work, but its finalization pause and sweeping are
    /// still gen-incremental's, and measured beside it (binary-trees 20 and splay, three runs
    /// each on two shared cores) its pause total, p99 and time were not yet lower.
    pub const COMPILED_IN: &[CollectorChoice] = &[
        #[cfg(all(feature = "scavenge", feature = "incremental"))]
        CollectorChoice::GenIncremental,
        #[cfg(all(feature = "scavenge", feature = "concurrent"))]
        CollectorChoice::GenConcurrent,
        #[cfg(all(feature = "scavenge", feature = "marksweep"))]
        CollectorChoice::GenMarkSweep,
        #[cfg(feature = "marksweep")]
        CollectorChoice::MarkSweep,
        #[cfg(feature = "markcompact")]
        CollectorChoice::MarkCompact,
        #[cfg(all(feature = "scavenge", feature = "markcompact"))]
        CollectorChoice::GenMarkCompact,
        #[cfg(feature = "incremental")]
        CollectorChoice::Incremental,
        #[cfg(feature = "concurrent")]
        CollectorChoice::Concurrent,
    ];

    /// Calls `visitor` with a new collector of this choice. Fails only for `Auto` in a build
    /// without collectors.
    pub fn visit<V: CollectorVisitor>(self, visitor: V) -> Result<V::Output, ChoiceError> {
        match self.resolve()? {
            CollectorChoice::Auto => {
                // Not reached: `resolve` never returns `Auto`. (Without collectors compiled in,
                // this is the only arm, and the visitor is unused.)
                let _ = visitor;
                Err(ChoiceError::NoCollector)
            }
            #[cfg(feature = "marksweep")]
            CollectorChoice::MarkSweep => Ok(visitor.visit(gc_marksweep::MarkSweep::new())),
            #[cfg(all(feature = "scavenge", feature = "marksweep"))]
            CollectorChoice::GenMarkSweep => Ok(visitor.visit(gc_scavenge::Generational::new(
                gc_marksweep::MarkSweep::new(),
            ))),
            #[cfg(feature = "markcompact")]
            CollectorChoice::MarkCompact => Ok(visitor.visit(gc_markcompact::MarkCompact::new())),
            #[cfg(all(feature = "scavenge", feature = "markcompact"))]
            CollectorChoice::GenMarkCompact => Ok(visitor.visit(gc_scavenge::Generational::new(
                gc_markcompact::MarkCompact::new(),
            ))),
            #[cfg(feature = "incremental")]
            CollectorChoice::Incremental => Ok(visitor.visit(gc_incremental::Incremental::new())),
            #[cfg(all(feature = "scavenge", feature = "incremental"))]
            CollectorChoice::GenIncremental => Ok(visitor.visit(gc_scavenge::Generational::new(
                gc_incremental::Incremental::new(),
            ))),
            #[cfg(feature = "concurrent")]
            CollectorChoice::Concurrent => Ok(visitor.visit(gc_incremental::Concurrent::new())),
            #[cfg(all(feature = "scavenge", feature = "concurrent"))]
            CollectorChoice::GenConcurrent => Ok(visitor.visit(gc_scavenge::Generational::new(
                gc_incremental::Concurrent::new(),
            ))),
        }
    }

    /// The collector `Auto` stands for.
    pub fn best() -> Result<CollectorChoice, ChoiceError> {
        Self::COMPILED_IN
            .first()
            .copied()
            .ok_or(ChoiceError::NoCollector)
    }

    /// The collector this choice stands for: itself, or for `Auto` the best one.
    pub fn resolve(self) -> Result<CollectorChoice, ChoiceError> {
        if self == CollectorChoice::Auto {
            Self::best()
        } else {
            Ok(self)
        }
    }

    /// What the chosen collector is (for `Auto`, the collector it stands for).
    pub fn constraints(self) -> Result<CollectorConstraints, ChoiceError> {
        self.visit(ConstraintsOf)
    }

    /// Parses a collector name: `auto`, or the name of a compiled-in collector.
    pub fn parse(name: &str) -> Result<CollectorChoice, ChoiceError> {
        if name == "auto" {
            return Ok(CollectorChoice::Auto);
        }
        if let Some(choice) = Self::compiled_in_named(name) {
            return Ok(choice);
        }
        match KNOWN.iter().find(|known| known.name == name) {
            Some(known) => Err(ChoiceError::NotCompiledIn {
                name: name.to_owned(),
                features: cargo_features(known.features),
            }),
            None => Err(ChoiceError::UnknownCollector {
                name: name.to_owned(),
                available: available_names().join(", "),
            }),
        }
    }

    fn compiled_in_named(name: &str) -> Option<CollectorChoice> {
        Self::COMPILED_IN
            .iter()
            .copied()
            .find(|choice| choice.constraints().is_ok_and(|c| c.name == name))
    }
}

impl fmt::Display for CollectorChoice {
    /// `auto`, or the collector's own name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if *self == CollectorChoice::Auto {
            "auto"
        } else {
            self.constraints().map_or("auto", |c| c.name)
        };
        f.write_str(name)
    }
}

struct ConstraintsOf;

impl CollectorVisitor for ConstraintsOf {
    type Output = CollectorConstraints;

    fn visit<C: Collector>(self, _collector: C) -> CollectorConstraints {
        C::CONSTRAINTS
    }
}

/// The names [`CollectorChoice::parse`] accepts: `auto` and each compiled-in collector.
pub fn available_names() -> Vec<&'static str> {
    let compiled = compiled_in_constraints().into_iter().map(|c| c.name);
    std::iter::once("auto").chain(compiled).collect()
}

/// The constraints of every compiled-in collector, best first.
pub fn compiled_in_constraints() -> Vec<CollectorConstraints> {
    CollectorChoice::COMPILED_IN
        .iter()
        .filter_map(|choice| choice.constraints().ok())
        .collect()
}

/// The known collectors this build lacks.
pub fn not_compiled_in() -> impl Iterator<Item = &'static KnownCollector> {
    KNOWN
        .iter()
        .filter(|known| CollectorChoice::compiled_in_named(known.name).is_none())
}

/// "cargo feature `a`" or "cargo features `a` and `b`", for messages.
pub fn cargo_features(features: &[&str]) -> String {
    let quoted: Vec<String> = features.iter().map(|f| format!("`{f}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("cargo features {} and {last}", rest.join(", "))
        }
        _ => format!("cargo feature {}", quoted.concat()),
    }
}

/// Builds a heap of the chosen collector with `config` and hands it to `visitor`.
pub fn run_with<V: HeapVisitor>(
    choice: CollectorChoice,
    config: HeapConfig,
    visitor: V,
) -> Result<V::Output, ChoiceError> {
    Ok(choice.visit(WithHeap { config, visitor })??)
}

struct WithHeap<V> {
    config: HeapConfig,
    visitor: V,
}

impl<V: HeapVisitor> CollectorVisitor for WithHeap<V> {
    type Output = Result<V::Output, ConfigError>;

    fn visit<C: Collector>(self, collector: C) -> Self::Output {
        Ok(self.visitor.visit(Heap::new(self.config, collector)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_parses() {
        assert_eq!(
            CollectorChoice::parse("auto").ok(),
            Some(CollectorChoice::Auto)
        );
    }

    #[cfg(feature = "marksweep")]
    #[test]
    fn marksweep_parses_and_auto_is_the_first_compiled_in() {
        let choice = CollectorChoice::parse("marksweep").ok();
        assert_eq!(choice, Some(CollectorChoice::MarkSweep));
        assert_eq!(
            CollectorChoice::best().ok(),
            CollectorChoice::COMPILED_IN.first().copied()
        );
        assert_eq!(CollectorChoice::MarkSweep.to_string(), "marksweep");
        assert_eq!(CollectorChoice::Auto.to_string(), "auto");
    }

    #[test]
    fn every_compiled_in_collector_is_known_and_parses() {
        for constraints in compiled_in_constraints() {
            assert!(KNOWN.iter().any(|k| k.name == constraints.name));
            assert!(CollectorChoice::parse(constraints.name).is_ok());
        }
    }

    #[test]
    fn missing_collectors_name_their_features() {
        for known in not_compiled_in() {
            let message = match CollectorChoice::parse(known.name) {
                Err(error @ ChoiceError::NotCompiledIn { .. }) => error.to_string(),
                other => panic!("{}: expected NotCompiledIn, got {other:?}", known.name),
            };
            assert!(message.contains(known.name), "{message}");
            assert!(message.contains(known.features[0]), "{message}");
        }
    }

    #[test]
    fn unknown_names_list_the_available_ones() {
        let Err(error @ ChoiceError::UnknownCollector { .. }) = CollectorChoice::parse("nosuch")
        else {
            panic!("`nosuch` parsed");
        };
        let message = error.to_string();
        assert!(message.contains("`nosuch`") && message.contains("available: auto"));
    }

    #[test]
    fn feature_lists_read_as_prose() {
        assert_eq!(cargo_features(&["a"]), "cargo feature `a`");
        assert_eq!(cargo_features(&["a", "b"]), "cargo features `a` and `b`");
        assert_eq!(
            cargo_features(&["a", "b", "c"]),
            "cargo features `a`, `b` and `c`"
        );
    }
}

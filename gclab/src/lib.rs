//! # gclab: the heap for a language runtime, with its collector chosen by cargo feature
//!
//! The one crate a runtime depends on to embed gclab's heap. It re-exports the mutator API of
//! `gc-core` ([`Heap`], [`HandleScope`], [`Local`], [`Persistent`], [`HeapConfig`], events, errors) and holds each
//! collector behind a cargo feature of its own:
//!
//! | feature | collectors it adds |
//! |---|---|
//! | `marksweep` | `marksweep` (`MarkSweep`); with `scavenge`, `gen-marksweep` |
//! | `markcompact` | `markcompact` (`MarkCompact`); with `scavenge`, `gen-markcompact` |
//! | `incremental` | `incremental` (`Incremental`); with `scavenge`, `gen-incremental` |
//! | `concurrent` | `concurrent` (`Concurrent`: incremental marking with a marker thread); with `scavenge`, `gen-concurrent` |
//! | `scavenge` | the young generation (`Generational<Old>`), over each old collector above |
//!
//! All but `concurrent` are on by default (it is opt-in while its heap sizing is being settled). A runtime that names no collector in its code uses
//! [`CollectorChoice::Auto`], the best collector the build holds (`gen-incremental` when
//! `scavenge` and `incremental` are both in, then `gen-marksweep`, ...), so its collector is
//! chosen in `Cargo.toml` alone:
//!
//! ```toml
//! [dependencies]
//! gclab = { version = "0.1", default-features = false, features = ["markcompact", "scavenge"] }
//! ```
//!
//! [`Heap`] is generic over its collector, so that allocation and the write barrier are
//! monomorphized: the runtime's code that uses the heap is a [`HeapVisitor`], and [`run_with`]
//! builds the heap of the chosen collector and calls it. A runtime that names its collector can
//! instead build `Heap::new(config, MarkSweep::new())` itself. Collector names chosen at run time
//! (a command-line option) are parsed by [`CollectorChoice::parse`], whose errors name the cargo
//! feature a missing collector needs. `examples/embed.rs` is a whole program.
//!
//! ```
//! use gclab::{
//!     ChoiceError, CollectionKind, Collector, CollectorChoice, Heap, HeapConfig, HeapError,
//!     HeapVisitor, run_with,
//! };
//!
//! /// The runtime's code: it runs on a heap of any collector.
//! struct Program;
//!
//! impl HeapVisitor for Program {
//!     type Output = Result<u64, HeapError>;
//!
//!     fn visit<C: Collector>(self, mut heap: Heap<C>) -> Self::Output {
//!         let node = heap.intern_type("Node")?;
//!         let kept = heap.handle_scope(|heap, scope| {
//!             // 1 reference slot, 0 raw bytes; rooted by a local until the scope ends.
//!             let parent = heap.allocate(scope, node, 1, 0)?;
//!             let child = heap.allocate(scope, node, 0, 64)?;
//!             heap.store(parent, 0, child)?; // through the write barrier
//!             heap.allocate(scope, node, 0, 64)?; // garbage once the scope ends
//!             heap.persistent(parent) // a root that outlives the scope
//!         })?;
//!         heap.collect(CollectionKind::Full);
//!         let live = heap.live_graph().objects; // the parent and, through it, the child
//!         drop(kept);
//!         Ok(live)
//!     }
//! }
//!
//! match run_with(CollectorChoice::Auto, HeapConfig::default(), Program) {
//!     Ok(live) => assert_eq!(live?, 2),
//!     // Only a build without any collector feature gets here.
//!     Err(error) => assert!(matches!(error, ChoiceError::NoCollector)),
//! }
//! # Ok::<(), HeapError>(())
//! ```
//!
//! ## Recording a trace
//!
//! A heap records its mutator's operations as a trace that `gclab replay` and `gclab compare`
//! run on any collector: attach a [`TraceRecorder`] before the first allocation, and finish the
//! recording at the end, which returns the first write error if there was one (a full disk
//! stops the recording, never the program).
//!
//! ```
//! # #[cfg(feature = "marksweep")] {
//! use gclab::{Heap, HeapConfig, MarkSweep, TraceRecorder, Value};
//! let mut heap = Heap::new(HeapConfig::default(), MarkSweep::new()).unwrap();
//! let recorder = TraceRecorder::new(Vec::new()).unwrap(); // or TraceRecorder::create(path)
//! heap.start_recording(Box::new(recorder)).unwrap();
//! let node = heap.intern_type("Node").unwrap();
//! heap.handle_scope(|heap, scope| {
//!     let parent = heap.allocate(scope, node, 1, 0).unwrap(); // a 1 1 0 Node
//!     heap.store(parent, 0, Value::Smi(7)).unwrap(); // w 1 0 i7
//! }); // - 1, written before the next operation
//! let summary = heap.finish_recording().unwrap();
//! assert_eq!(summary.objects, 1);
//! # }
//! ```
//!
//! Objects keep their trace ids when collectors move them (moving collectors report their moves
//! to the recording, see `gc_core::heap_objects_map`); locals count as roots from their creation
//! to their scope's end, persistent handles until they are dropped. Weak handles are not in the
//! trace format: upgrading one whose object only the weak handle kept is recorded as a new root,
//! which a replay may find already reclaimed. Payload bytes are not recorded (a trace has sizes,
//! not contents). Without a recorder, each recorded path costs one predictable branch.
//!
//! The items here are the mutator's. A collector's author, or a tool that inspects pages, uses
//! [`gc_core`] itself, re-exported whole.

pub mod collectors;
pub mod error;
pub mod trace_recorder;

pub use collectors::{CollectorChoice, CollectorVisitor, HeapVisitor, run_with};
pub use error::ChoiceError;
pub use trace_recorder::TraceRecorder;

/// The whole of `gc-core`, for what the mutator API leaves out: the collector-author layer, pages,
/// the heap's internals.
pub use gc_core;

// gc-core's mutator API, by topic; a new mutator-facing item of gc-core joins its group.

// The heap.
pub use gc_core::{Heap, HeapStats};

// Recording a trace of the heap's mutator operations.
pub use gc_core::{
    RecordSink, RecordedCheckpoint, RecordedEvent, RecordedValue, RecordingError, RecordingSummary,
};

// Roots: what the mutator holds objects by.
pub use gc_core::{
    EscapableHandleScope, HandleScope, HandleScopes, Local, Persistent, Rooted, WeakHandle,
};

// Objects, and the values their slots hold.
pub use gc_core::{NodeType, ObjectShape, SlotContent, Smi, StoreValue, TypeId, Value};

// Configuration and errors.
pub use gc_core::{
    ConfigError, HeapConfig, HeapError, MAX_GC_THREADS, OutOfMemory, PageSourceKind, VerifyHeap,
    default_gc_threads,
};

// Collections, and what a collector is.
pub use gc_core::{BarrierKind, CollectionKind, Collector, CollectorConstraints, Progress};

// GC events, V8's `--trace-gc` lines, and memwatch-style leak watching.
pub use gc_core::gc_tracer::GcListener;
pub use gc_core::{GcEvent, GcKind, GcPhase, GcReason, MutatorUtilization, PauseOutcome};
pub use gc_core::{LeakDetector, LeakReport, MemoryWatchEvent, MemoryWatchListener, UsageStats};
pub use gc_core::{trace_gc_line, trace_gc_nvp_line};

// Inspecting the live graph: digests, walks, retaining paths, the verifier.
pub use gc_core::{
    Digest, LiveGraph, ObjectKey, PathStep, VerifyError, VerifySummary, WalkedObject,
};

// The collectors, each behind its cargo feature.

#[cfg(feature = "concurrent")]
pub use gc_incremental::Concurrent;
#[cfg(feature = "incremental")]
pub use gc_incremental::Incremental;
#[cfg(feature = "markcompact")]
pub use gc_markcompact::MarkCompact;
#[cfg(feature = "marksweep")]
pub use gc_marksweep::MarkSweep;
#[cfg(feature = "scavenge")]
pub use gc_scavenge::Generational;

/// The README's examples, compiled and run by `cargo test`.
#[doc = include_str!("../../README.md")]
#[cfg(all(doctest, feature = "marksweep", feature = "scavenge"))]
pub struct ReadmeDoctests;

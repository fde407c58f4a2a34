//! Every generator's trace, replayed on every compiled-in collector with the verifier after every
//! collection, keeps
//! exactly the live graph that an independent interpretation of the trace on gc-core's reference
//! model (a plain graph, reachability by search) keeps; `--check-deaths` reports exactly the
//! objects declared dead that the model still reaches, each with a path the model confirms.
#![cfg(feature = "marksweep")]

use std::collections::{BTreeSet, HashMap};

use bench_harness::generators::Generator;
use bench_harness::replay::{Leak, ReplayOptions, ReplayReport, replay};
use gc_core::testkit::{Model, ModelValue, small_heap};
use gc_core::{Collector, Heap, HeapConfig};
use gc_trace::{MemorySource, OwnedRecord, Record, TraceValue};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};
use proptest::prelude::*;

mod common;
use common::generate;

/// A heap that does not collect before the replay's final collection.
fn roomy_heap() -> HeapConfig {
    HeapConfig {
        initial_allocation_limit: 1 << 30,
        ..HeapConfig::for_testing()
    }
}

/// Replays the records on a new heap of one collector.
struct ReplayOn<'r> {
    records: &'r [OwnedRecord],
    check_deaths: bool,
}

impl HeapVisitor for ReplayOn<'_> {
    type Output = ReplayReport;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> ReplayReport {
        let mut source = MemorySource::new("memory", self.records);
        let options = ReplayOptions {
            check_deaths: self.check_deaths,
            progress: false,
            ..ReplayOptions::default()
        };
        replay(&mut heap, &mut source, options)
            .unwrap_or_else(|error| panic!("{}: {error}", C::CONSTRAINTS.name))
    }
}

/// The records replayed on every compiled-in collector: one report each.
fn replay_records(
    records: &[OwnedRecord],
    config: HeapConfig,
    check_deaths: bool,
) -> Vec<ReplayReport> {
    CollectorChoice::COMPILED_IN
        .iter()
        .map(|&choice| {
            let visitor = ReplayOn {
                records,
                check_deaths,
            };
            collectors::run_with(choice, config.clone(), visitor).expect("a valid configuration")
        })
        .collect()
}

/// The trace interpreted on the reference model.
#[derive(Default)]
struct TraceModel {
    model: Model,
    /// Trace id to model object, for ids not declared dead.
    ids: HashMap<u64, usize>,
    /// Model objects declared dead, with their trace ids.
    declared_dead: Vec<(usize, u64)>,
}

/// What the model keeps at the end of the trace.
#[derive(Debug, PartialEq, Eq)]
struct LiveFigures {
    objects: u64,
    slots: u64,
    payload_bytes: u64,
    external_bytes: u64,
}

impl TraceModel {
    fn run(records: &[OwnedRecord]) -> TraceModel {
        let mut trace = TraceModel::default();
        for record in records {
            trace.apply(record.borrow());
        }
        trace
    }

    fn apply(&mut self, record: Record<'_>) {
        match record {
            Record::Alloc {
                id,
                slots,
                bytes,
                type_label,
            } => {
                let object =
                    self.model
                        .allocate(type_label.unwrap_or(""), slots as usize, bytes as usize);
                self.ids.insert(id, object);
            }
            Record::Write { id, slot, value } => {
                let value = match value {
                    TraceValue::Null => ModelValue::Null,
                    TraceValue::Smi(n) => ModelValue::Smi(n),
                    TraceValue::Object(target) => ModelValue::Ref(self.ids[&target]),
                };
                self.model.objects[self.ids[&id]].slots[slot as usize] = value;
            }
            Record::AddRoot { id } => self.model.objects[self.ids[&id]].roots += 1,
            Record::DropRoot { id } => self.model.objects[self.ids[&id]].roots -= 1,
            Record::External { id, bytes } => self.model.objects[self.ids[&id]].external = bytes,
            Record::Dead { id } => {
                let object = self.ids.remove(&id).expect("a live id");
                self.declared_dead.push((object, id));
            }
            Record::Meta { .. } | Record::Read { .. } | Record::Gc(_) | Record::Think { .. } => {}
        }
    }

    fn live_figures(&self) -> LiveFigures {
        let reachable = self.model.reachable();
        let live = self
            .model
            .objects
            .iter()
            .zip(&reachable)
            .filter(|(_, r)| **r);
        let mut figures = LiveFigures {
            objects: 0,
            slots: 0,
            payload_bytes: 0,
            external_bytes: 0,
        };
        for (object, _) in live {
            figures.objects += 1;
            figures.slots += object.slots.len() as u64;
            figures.payload_bytes += object.payload.len() as u64;
            figures.external_bytes += object.external;
        }
        figures
    }

    /// The ids declared dead whose objects a root still reaches at the end.
    fn leaked_ids(&self) -> BTreeSet<u64> {
        let reachable = self.model.reachable();
        self.declared_dead
            .iter()
            .filter(|(object, _)| reachable[*object])
            .map(|(_, id)| *id)
            .collect()
    }

    /// Checks a reported leak path against the model: a rooted start, each step's slot holding
    /// the next step's object, the leaked object at the end.
    fn check_path(&self, leak: &Leak) {
        let by_id: HashMap<u64, usize> = self
            .ids
            .iter()
            .map(|(&id, &object)| (id, object))
            .chain(self.declared_dead.iter().map(|&(object, id)| (id, object)))
            .collect();
        let objects: Vec<usize> = leak
            .path
            .iter()
            .map(|step| by_id[&step.id.expect("every object on the path has an id")])
            .collect();
        assert!(self.model.objects[objects[0]].roots > 0, "{leak:?}");
        for (step, pair) in leak.path.iter().zip(objects.windows(2)) {
            let slot = step.slot.expect("a slot to the next object") as usize;
            assert_eq!(
                self.model.objects[pair[0]].slots[slot],
                ModelValue::Ref(pair[1])
            );
        }
        assert_eq!(leak.path.last().and_then(|s| s.id), Some(leak.id));
    }
}

/// Each collector keeps the model's live graph, and all keep the same digest.
fn assert_replay_matches_model(generator: Generator, params: &[&str]) {
    let records = generate(generator, params);
    let model = TraceModel::run(&records);
    let reports = replay_records(&records, small_heap(), false);
    for report in &reports {
        let name = format!("{} on {}", generator.name(), report.collector);
        let live = LiveFigures {
            objects: report.live.objects,
            slots: report.live.slots,
            payload_bytes: report.live.payload_bytes,
            external_bytes: report.live.external_bytes,
        };
        assert_eq!(live, model.live_figures(), "{name}");
        let events = records.iter().filter(|r| r.borrow().is_event()).count();
        assert_eq!(report.events, events as u64, "{name}");
        assert!(
            report.pauses.count > 0 || report.allocated_bytes < 1 << 20,
            "{name}: the small heap collected"
        );
        assert_eq!(report.live.digest, reports[0].live.digest, "{name}");
    }
}

/// Small parameters of each generator: a few thousand objects each.
fn small_params(generator: Generator) -> &'static [&'static str] {
    match generator {
        Generator::GcBench => &[
            "--stretch-depth",
            "10",
            "--long-lived-depth",
            "8",
            "--array-size",
            "5000",
            "--min-depth",
            "4",
            "--max-depth",
            "8",
        ],
        Generator::BinaryTrees => &["--depth", "8"],
        Generator::Splay => &[
            "--nodes",
            "300",
            "--modifications",
            "30",
            "--steps",
            "20",
            "--payload-depth",
            "3",
        ],
        Generator::Leaky => &["--ticks", "30", "--bytes", "4096", "--interval", "0"],
        Generator::Listeners => &["--connections", "400", "--open", "20", "--buffer", "128"],
        Generator::Server => &["--requests", "3000", "--sessions", "50", "--users", "400"],
        Generator::Random => &["--events", "5000", "--max-live", "300"],
        Generator::Fragment => &["--objects", "3000", "--rounds", "3", "--churn", "2000"],
    }
}

#[test]
fn every_generator_replays_to_the_model_graph() {
    for generator in Generator::ALL {
        assert_replay_matches_model(generator, small_params(generator));
    }
}

/// With no collection before the end, every death is judged at the final collection: the leaks
/// are the dead objects the model reaches at the end, and their paths hold in the final graph.
#[test]
fn leaks_are_exactly_the_dead_objects_the_model_reaches() {
    for generator in Generator::ALL {
        let records = generate(generator, small_params(generator));
        let model = TraceModel::run(&records);
        for report in replay_records(&records, roomy_heap(), true) {
            let name = format!("{} on {}", generator.name(), report.collector);
            let leaks = report.leaks.expect("deaths were checked");
            // External memory may force a full collection; only traces without leaks have one.
            let full = report
                .gc_by_kind
                .iter()
                .any(|(kind, _)| *kind != "scavenge");
            assert!(!full || leaks.is_empty(), "{name}");
            let reported: BTreeSet<u64> = leaks.iter().map(|leak| leak.id).collect();
            assert_eq!(reported, model.leaked_ids(), "{name}");
            for leak in &leaks {
                model.check_path(leak);
            }
            let leaky = matches!(generator, Generator::Leaky | Generator::Listeners);
            assert_eq!(!leaks.is_empty(), leaky, "{name}");
        }
    }
}

/// With collections all through the trace, each death is judged at the first full collection
/// after it; the leaks of `leaky` and `listeners` stay reachable for good, so the set is the same.
#[test]
fn leaks_are_found_at_the_next_full_collection() {
    for generator in Generator::ALL {
        let records = generate(generator, small_params(generator));
        let expected = TraceModel::run(&records).leaked_ids();
        for report in replay_records(&records, small_heap(), true) {
            let reported: BTreeSet<u64> = report.leaks.iter().flatten().map(|l| l.id).collect();
            let name = format!("{} on {}", generator.name(), report.collector);
            assert_eq!(reported, expected, "{name}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_replay_to_the_model_graph(seed in any::<u64>(), max_live in 10u64..400) {
        let seed = seed.to_string();
        let max_live = max_live.to_string();
        let params = ["--events", "3000", "--seed", &seed, "--max-live", &max_live];
        assert_replay_matches_model(Generator::Random, &params);
    }
}

//! The trace generators: each one's output at small parameters is consistent (the trace
//! checker), valid under the Rules of the trace format (a reachability model written here), and
//! deterministic; bad parameters are errors with exact messages.

use std::collections::{HashMap, VecDeque};
use std::io;

use bench_harness::generators::{GenError, Generator};
use gc_trace::checker::TraceChecker;
use gc_trace::{OwnedRecord, Record, TraceSink, TraceValue};

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn generate(generator: Generator, args: &str) -> Vec<OwnedRecord> {
    let mut records = Vec::new();
    let result = generator.generate(&words(args), &mut records);
    if let Err(error) = result {
        panic!("{} {args}: {error}", generator.name());
    }
    records
}

fn error(generator: Generator, args: &str) -> String {
    let mut records: Vec<OwnedRecord> = Vec::new();
    let result = generator.generate(&words(args), &mut records);
    assert!(
        records.is_empty(),
        "a bad parameter must stop the generator before any record"
    );
    match result {
        Ok(()) => panic!("{} {args}: no error", generator.name()),
        Err(error) => error.to_string(),
    }
}

const SMALL: [(Generator, &str); 10] = [
    (
        Generator::GcBench,
        "--stretch-depth 8 --long-lived-depth 6 --array-size 1000 --min-depth 2 --max-depth 6",
    ),
    (Generator::BinaryTrees, "--depth 6"),
    (
        Generator::Splay,
        "--nodes 60 --modifications 10 --steps 4 --payload-depth 2 --seed 7",
    ),
    (
        Generator::Splay,
        "--nodes 8 --modifications 5 --steps 2 --seed 3",
    ),
    (Generator::Leaky, "--ticks 20 --bytes 100 --interval 0"),
    (
        Generator::Listeners,
        "--connections 200 --open 10 --messages 2 --seed 3",
    ),
    (
        Generator::Server,
        "--requests 2000 --sessions 20 --users 100 --seed 5",
    ),
    (
        Generator::Random,
        "--events 20000 --max-live 200 --collect-every 50 --seed 9",
    ),
    (
        Generator::Random,
        "--events 5000 --max-live 20 --collect-every 1000 --seed 4",
    ),
    (
        Generator::Fragment,
        "--objects 2000 --rounds 3 --survive 20 --churn 500 --seed 2",
    ),
];

// ---------------------------------------------------------------------------------------------
// Consistency and validity

#[test]
fn every_small_trace_passes_the_checker() {
    for (generator, args) in SMALL {
        let mut checker = TraceChecker::new();
        for (index, record) in generate(generator, args).iter().enumerate() {
            if let Err(problem) = checker.check(&record.borrow()) {
                panic!(
                    "{} {args}: record {index} ({record:?}): {problem:?}",
                    generator.name()
                );
            }
        }
    }
}

#[test]
fn every_small_trace_starts_with_its_source() {
    for (generator, args) in SMALL {
        let records = generate(generator, args);
        let Record::Meta { key, value } = records[0].borrow() else {
            panic!("{}: no metadata first", generator.name());
        };
        assert_eq!(key, "source");
        assert!(
            value.starts_with(&format!("{} ", generator.name())),
            "{value}"
        );
        for pair in args.split("--").filter(|p| !p.trim().is_empty()) {
            let pair = pair.trim().replacen(' ', "=", 1);
            assert!(value.contains(&pair), "{value} lacks {pair}");
        }
    }
}

/// What the model knows of one object.
#[derive(Debug)]
struct Object {
    slots: Vec<Option<u64>>,
    roots: u32,
    said_dead: bool,
    mark: u64,
}

/// The trace's heap as a graph, collected at every `a` and `gc` (where a collector may run), with
/// reachability recomputed whenever a dropped root or an overwritten reference may have changed
/// it.
#[derive(Debug, Default)]
struct Model {
    objects: HashMap<u64, Object>,
    epoch: u64,
    stale: bool,
    changed_since_collection: bool,
    /// `d` records whose object was unreachable, and those whose object was still reachable.
    deaths: usize,
    leaks: usize,
    index: usize,
}

/// What a `d` for a reachable object is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Deaths {
    /// A generator bug: every `d` must name garbage.
    MustBeGarbage,
    /// The point of the trace: every `d` is a leak.
    AreLeaks,
}

impl Model {
    fn run(records: &[OwnedRecord], deaths: Deaths) -> Model {
        let mut model = Model::default();
        for (index, record) in records.iter().enumerate() {
            model.index = index;
            model.apply(&record.borrow(), deaths);
        }
        model
    }

    fn apply(&mut self, record: &Record<'_>, deaths: Deaths) {
        match *record {
            Record::Alloc { id, slots, .. } => self.allocate(id, slots),
            Record::Write { id, slot, value } => self.write(id, slot, value),
            Record::Read { id, .. } | Record::AddRoot { id } | Record::External { id, .. } => {
                self.touch(id);
                if let Record::AddRoot { id } = record {
                    self.object(*id).roots += 1;
                }
            }
            Record::DropRoot { id } => self.drop_root(id),
            Record::Gc(_) => self.collect(),
            Record::Dead { id } => self.dead(id, deaths),
            Record::Meta { .. } | Record::Think { .. } => {}
        }
    }

    fn object(&mut self, id: u64) -> &mut Object {
        let index = self.index;
        self.objects
            .get_mut(&id)
            .unwrap_or_else(|| panic!("record {index}: {id} was reclaimed or never allocated"))
    }

    fn refresh(&mut self) {
        if !self.stale {
            return;
        }
        self.epoch += 1;
        let mut queue: VecDeque<u64> = self
            .objects
            .iter()
            .filter(|(_, o)| o.roots > 0)
            .map(|(&id, _)| id)
            .collect();
        while let Some(id) = queue.pop_front() {
            let Some(object) = self.objects.get_mut(&id) else {
                continue;
            };
            if std::mem::replace(&mut object.mark, self.epoch) == self.epoch {
                continue;
            }
            queue.extend(object.slots.iter().flatten());
        }
        self.stale = false;
        self.changed_since_collection = true;
    }

    fn reachable(&mut self, id: u64) -> bool {
        self.refresh();
        self.objects.get(&id).is_some_and(|o| o.mark == self.epoch)
    }

    fn touch(&mut self, id: u64) {
        let index = self.index;
        assert!(
            self.reachable(id),
            "record {index}: touches {id}, which is unreachable"
        );
        assert!(
            !self.object(id).said_dead,
            "record {index}: touches {id} after its d"
        );
    }

    /// A collection: every unreachable object is reclaimed.
    fn collect(&mut self) {
        self.refresh();
        if std::mem::take(&mut self.changed_since_collection) {
            let epoch = self.epoch;
            self.objects.retain(|_, object| object.mark == epoch);
        }
    }

    fn allocate(&mut self, id: u64, slots: u32) {
        self.collect();
        let object = Object {
            slots: vec![None; slots as usize],
            roots: 1,
            said_dead: false,
            mark: self.epoch,
        };
        let previous = self.objects.insert(id, object);
        assert!(
            previous.is_none(),
            "record {}: {id} allocated while live",
            self.index
        );
    }

    fn write(&mut self, id: u64, slot: u32, value: TraceValue) {
        self.touch(id);
        let target = match value {
            TraceValue::Object(target) => {
                self.touch(target);
                Some(target)
            }
            TraceValue::Null | TraceValue::Smi(_) => None,
        };
        let old = std::mem::replace(&mut self.object(id).slots[slot as usize], target);
        self.stale |= old.is_some();
    }

    fn drop_root(&mut self, id: u64) {
        let object = self.object(id);
        object.roots -= 1;
        let now_unrooted = object.roots == 0;
        self.stale |= now_unrooted;
    }

    fn dead(&mut self, id: u64, deaths: Deaths) {
        let index = self.index;
        match (self.reachable(id), deaths) {
            (false, _) => {
                self.deaths += 1;
                self.objects.remove(&id);
            }
            (true, Deaths::AreLeaks) => {
                self.leaks += 1;
                self.object(id).said_dead = true;
            }
            (true, Deaths::MustBeGarbage) => panic!("record {index}: d {id}, still reachable"),
        }
    }
}

fn model(generator: Generator, args: &str, deaths: Deaths) -> Model {
    Model::run(&generate(generator, args), deaths)
}

#[test]
fn the_benchmarks_touch_only_reachable_objects_and_declare_only_garbage_dead() {
    for (generator, args) in SMALL {
        if matches!(generator, Generator::Leaky | Generator::Listeners) {
            continue;
        }
        let model = model(generator, args, Deaths::MustBeGarbage);
        assert!(model.deaths > 0, "{} {args}: no d at all", generator.name());
        assert_eq!(model.leaks, 0);
    }
}

#[test]
fn gcbench_declares_every_temporary_tree_dead() {
    let model = model(Generator::GcBench, SMALL[0].1, Deaths::MustBeGarbage);
    // Stretch tree of depth 8, then per depth 2, 4, 6: NumIters trees top-down and bottom-up.
    let size = |depth: u32| (1usize << (depth + 1)) - 1;
    let per_depth = |depth| 2 * (2 * size(8) / size(depth)) * size(depth);
    assert_eq!(
        model.deaths,
        size(8) + per_depth(2) + per_depth(4) + per_depth(6)
    );
}

#[test]
fn binary_trees_declares_every_short_lived_tree_dead() {
    let model = model(Generator::BinaryTrees, "--depth 6", Deaths::MustBeGarbage);
    // Stretch tree of depth 7, then 2^(6-d+4) trees of depth d for d = 4, 6.
    assert_eq!(model.deaths, 255 + 64 * 31 + 16 * 127);
}

#[test]
fn leaky_leaks_every_old_thing() {
    let model = model(
        Generator::Leaky,
        "--ticks 20 --bytes 100 --interval 0",
        Deaths::AreLeaks,
    );
    // The thing, its string, its closure and its context, for every tick but the last.
    assert_eq!((model.leaks, model.deaths), (4 * 19, 0));
}

#[test]
fn listeners_leaks_every_closed_connection() {
    let args = "--connections 200 --open 10 --messages 2 --seed 3";
    let model = model(Generator::Listeners, args, Deaths::AreLeaks);
    // Each connection and its buffer.
    assert_eq!((model.leaks, model.deaths), (2 * 200, 0));
}

#[test]
fn random_is_valid_for_many_seeds() {
    for seed in 0..20 {
        let args = format!("--events 3000 --max-live 50 --collect-every 30 --seed {seed}");
        let records = generate(Generator::Random, &args);
        let mut checker = TraceChecker::new();
        for record in &records {
            checker.check(&record.borrow()).expect("consistent");
        }
        Model::run(&records, Deaths::MustBeGarbage);
    }
}

#[test]
fn random_reuses_ids_and_uses_every_kind_of_record() {
    let records = generate(Generator::Random, SMALL[7].1);
    let mut kinds = std::collections::HashSet::new();
    let mut allocated = std::collections::HashSet::new();
    let mut reused = 0;
    for record in &records {
        let record = record.borrow();
        kinds.insert(std::mem::discriminant(&record));
        if let Record::Alloc { id, .. } = record {
            reused += usize::from(!allocated.insert(id));
        }
    }
    assert_eq!(kinds.len(), 10, "every kind of record");
    assert!(reused > 100, "ids are reused after d: {reused}");
}

// ---------------------------------------------------------------------------------------------
// Determinism

#[test]
fn same_parameters_same_trace() {
    for (generator, args) in SMALL {
        assert_eq!(
            generate(generator, args),
            generate(generator, args),
            "{}",
            generator.name()
        );
    }
}

#[test]
fn seeds_change_the_seeded_generators() {
    let cases = [
        (
            Generator::Splay,
            "--nodes 20 --steps 2 --modifications 5 --payload-depth 1",
        ),
        (Generator::Listeners, "--connections 50 --open 5"),
        (Generator::Server, "--requests 200 --sessions 10 --users 50"),
        (Generator::Random, "--events 1000"),
        (Generator::Fragment, "--objects 300 --churn 10"),
    ];
    for (generator, args) in cases {
        let one = generate(generator, &format!("{args} --seed 1"));
        let two = generate(generator, &format!("{args} --seed 2"));
        assert_ne!(one[1..], two[1..], "{}", generator.name());
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters

#[test]
fn bad_parameters_are_exact_errors() {
    let cases = [
        (
            Generator::BinaryTrees,
            "--width 3",
            "binary-trees has no parameter --width; its parameters are --depth",
        ),
        (
            Generator::BinaryTrees,
            "--depth deep",
            "bad value \"deep\" for --depth: expected an integer from 6 to 22",
        ),
        (
            Generator::BinaryTrees,
            "--depth 23",
            "bad value \"23\" for --depth: expected an integer from 6 to 22",
        ),
        (
            Generator::BinaryTrees,
            "--depth=-1",
            "bad value \"-1\" for --depth: expected an integer from 6 to 22",
        ),
        (Generator::BinaryTrees, "--depth", "--depth needs a value"),
        (
            Generator::BinaryTrees,
            "depth 8",
            "expected a parameter (--name value), found \"depth\"",
        ),
        (
            Generator::BinaryTrees,
            "--depth 8 --depth 9",
            "--depth is given more than once",
        ),
        (
            Generator::GcBench,
            "--min-depth 8 --max-depth 6",
            "--min-depth (8) must not be greater than --max-depth (6)",
        ),
        (
            Generator::Leaky,
            "--ticks 0",
            "bad value \"0\" for --ticks: expected an integer from 1 to 10000",
        ),
        (
            Generator::Random,
            "--seed 18446744073709551616",
            "bad value \"18446744073709551616\" for --seed: expected an integer from 0 to 18446744073709551615",
        ),
        (Generator::Server, "--requests", "--requests needs a value"),
        (
            Generator::Splay,
            "--nodes 1 --unknown 2",
            "splay has no parameter --unknown; its parameters are --nodes, --modifications, --steps, --payload-depth, --seed",
        ),
    ];
    for (generator, args, expected) in cases {
        assert_eq!(
            error(generator, args),
            expected,
            "{} {args}",
            generator.name()
        );
    }
}

/// Fails every write after the first (the `@ source` record), so a generator with default
/// parameters stops at once.
#[derive(Default)]
struct FirstRecordOnly(Vec<OwnedRecord>);

impl TraceSink for FirstRecordOnly {
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        if !self.0.is_empty() {
            return Err(io::Error::other("enough"));
        }
        self.0.push(OwnedRecord::from(*record));
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn defaults_are_valid_and_reported_in_the_source() {
    for generator in Generator::ALL {
        let mut sink = FirstRecordOnly::default();
        let result = generator.generate(&[], &mut sink);
        assert!(
            matches!(result, Err(GenError::Io(_))),
            "{}: {result:?}",
            generator.name()
        );
        let Record::Meta { value, .. } = sink.0[0].borrow() else {
            panic!("no source");
        };
        for spec in generator.params() {
            let pair = format!(" {}={}", spec.name, spec.default);
            assert!(value.contains(&pair), "{value} lacks{pair}");
        }
    }
}

#[test]
fn every_help_states_the_range_the_parameter_enforces() {
    for generator in Generator::ALL {
        assert!(!generator.description().is_empty());
        for spec in generator.params() {
            let args = format!("--{} x", spec.name);
            let message = error(generator, &args);
            let range = message.rsplit("integer from ").next().unwrap_or_default();
            assert!(
                spec.help.ends_with(&range),
                "{}: {} vs {range}",
                spec.name,
                spec.help
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sizes of the default traces (run with `--ignored --nocapture`, in release)

/// Counts records, objects, bytes and the length of the text form, and checks consistency.
#[derive(Default)]
struct Counter {
    records: [u64; 10],
    objects: u64,
    bytes: u64,
    text_bytes: u64,
    checker: TraceChecker,
}

impl TraceSink for Counter {
    fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        self.checker
            .check(record)
            .map_err(|p| io::Error::other(format!("{p:?}")))?;
        self.text_bytes += record.to_string().len() as u64 + 1;
        let kind = match record {
            Record::Meta { .. } => 0,
            Record::Alloc { slots, bytes, .. } => {
                self.objects += 1;
                self.bytes += u64::from(*bytes) + 8 * u64::from(*slots);
                1
            }
            Record::Write { .. } => 2,
            Record::Read { .. } => 3,
            Record::AddRoot { .. } => 4,
            Record::DropRoot { .. } => 5,
            Record::Gc(_) => 6,
            Record::Think { .. } => 7,
            Record::External { .. } => 8,
            Record::Dead { .. } => 9,
        };
        self.records[kind] += 1;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
#[ignore = "generates every default trace: run in release"]
fn default_sizes() {
    for generator in Generator::ALL {
        let mut counter = Counter::default();
        let start = std::time::Instant::now();
        generator.generate(&[], &mut counter).expect("defaults");
        let [meta, a, w, r, add, drop, gc, t, e, d] = counter.records;
        let total: u64 = counter.records.iter().sum();
        println!(
            "{:13} {total:>11} records (@ {meta} a {a} w {w} r {r} + {add} - {drop} gc {gc} t {t} e {e} d {d}), {} objects, {} MiB allocated (slots at 8 bytes), {} MiB as text, {:.1?}",
            generator.name(),
            counter.objects,
            counter.bytes >> 20,
            counter.text_bytes >> 20,
            start.elapsed(),
        );
    }
}

#[test]
fn the_model_rejects_invalid_traces() {
    use gc_trace::GcRequest;
    let alloc = |id| {
        OwnedRecord::from(Record::Alloc {
            id,
            slots: 1,
            bytes: 0,
            type_label: None,
        })
    };
    let other = OwnedRecord::Other;
    let cases: Vec<(&str, Vec<OwnedRecord>)> = vec![
        (
            "touch after a collection",
            vec![
                alloc(1),
                other(Record::DropRoot { id: 1 }),
                alloc(2),
                other(Record::Read { id: 1, slot: 0 }),
            ],
        ),
        (
            "touch of an unreachable object before any collection",
            vec![
                alloc(1),
                other(Record::DropRoot { id: 1 }),
                other(Record::AddRoot { id: 1 }),
            ],
        ),
        (
            "d of a reachable object",
            vec![
                alloc(1),
                alloc(2),
                other(Record::Write {
                    id: 1,
                    slot: 0,
                    value: TraceValue::Object(2),
                }),
                other(Record::DropRoot { id: 2 }),
                other(Record::Dead { id: 2 }),
            ],
        ),
        (
            "a value collected at gc",
            vec![
                alloc(1),
                alloc(2),
                other(Record::DropRoot { id: 2 }),
                other(Record::Gc(GcRequest::Minor)),
                other(Record::Write {
                    id: 1,
                    slot: 0,
                    value: TraceValue::Object(2),
                }),
            ],
        ),
    ];
    for (what, records) in cases {
        let caught = std::panic::catch_unwind(|| Model::run(&records, Deaths::MustBeGarbage));
        assert!(caught.is_err(), "{what}");
    }
}

#[test]
#[ignore = "prints a small trace"]
fn peek() {
    let args = std::env::var("PEEK").unwrap_or_default();
    let (name, args) = args.split_once(' ').unwrap_or((&args, ""));
    let generator = Generator::from_name(name).expect("PEEK=name args");
    for record in generate(generator, args) {
        println!("{}", record.borrow());
    }
}

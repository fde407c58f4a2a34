//! Production runtimes on gclab's traces: the peer trace replayed by a model replayer keeps
//! exactly the objects gclab's replay keeps, on random traces and every generator, and never
//! touches an object it forgot; with Node.js and a JDK installed, `compare --peers` runs them
//! and their live object counts agree with gclab's.

mod common;

use std::io::Cursor;

use bench_harness::generators::Generator;
use bench_harness::peers::peer_trace::{LastMentions, MAGIC, op, write_peer_trace};
use bench_harness::peers::{HotSpotGc, Peer, PeerRunner};
use bench_harness::replay::ThinkTime;
use bench_harness::replay::{ReplayOptions, replay};
use common::{gclab, stderr, stdout};
use gc_core::{Collector, Heap, HeapConfig};
use gc_trace::{MemorySource, OwnedRecord};
use gclab::collectors::{self, CollectorChoice, HeapVisitor};

fn generated(generator: Generator, params: &[&str]) -> Vec<OwnedRecord> {
    let mut records: Vec<OwnedRecord> = Vec::new();
    let args: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    generator.generate(&args, &mut records).unwrap();
    records
}

fn peer_trace(records: &[OwnedRecord]) -> Vec<u8> {
    let mentions = LastMentions::of(&mut MemorySource::new("t", records)).unwrap();
    let mut out = Cursor::new(Vec::new());
    write_peer_trace(&mut MemorySource::new("t", records), &mentions, &mut out).unwrap();
    out.into_inner()
}

/// A replayer of the peer format over plain vectors, as a runtime's would be: panics on a
/// forgotten or unknown object. Returns the objects the table reaches at the end and the
/// table's length.
fn model_replay(bytes: &[u8]) -> (u64, usize) {
    assert_eq!(&bytes[..8], MAGIC);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut table: Vec<Option<usize>> = vec![None; u32_at(8)];
    let mut objects: Vec<Vec<Option<usize>>> = Vec::new();
    let object = |table: &[Option<usize>], index: usize| {
        table[index].unwrap_or_else(|| panic!("index {index} used after it was forgotten"))
    };
    let mut at = 16;
    loop {
        match bytes[at] {
            op::END => break,
            op::ALLOC => {
                table[u32_at(at + 1)] = Some(objects.len());
                objects.push(vec![None; u32_at(at + 5)]);
                at += 13;
            }
            op::WRITE => {
                let target = object(&table, u32_at(at + 9));
                objects[object(&table, u32_at(at + 1))][u32_at(at + 5)] = Some(target);
                at += 13;
            }
            op::CLEAR => {
                objects[object(&table, u32_at(at + 1))][u32_at(at + 5)] = None;
                at += 9;
            }
            op::READ => {
                let _ = objects[object(&table, u32_at(at + 1))][u32_at(at + 5)];
                at += 9;
            }
            op::GC_FULL | op::GC_MINOR => at += 1,
            op::THINK => at += 9,
            op::EXTERNAL => {
                object(&table, u32_at(at + 1));
                at += 13;
            }
            op::FORGET => {
                object(&table, u32_at(at + 1));
                table[u32_at(at + 1)] = None;
                at += 5;
            }
            other => panic!("unknown operation {other} at byte {at}"),
        }
    }
    let mut seen = vec![false; objects.len()];
    let mut stack: Vec<usize> = table.iter().flatten().copied().collect();
    while let Some(object) = stack.pop() {
        if !std::mem::replace(&mut seen[object], true) {
            stack.extend(objects[object].iter().flatten());
        }
    }
    (seen.iter().filter(|&&s| s).count() as u64, table.len())
}

struct LiveObjects<'r>(&'r [OwnedRecord]);

impl HeapVisitor for LiveObjects<'_> {
    type Output = u64;

    fn visit<C: Collector>(self, mut heap: Heap<C>) -> u64 {
        let mut source = MemorySource::new("t", self.0);
        let report = replay(&mut heap, &mut source, ReplayOptions::default()).unwrap();
        report.live.objects
    }
}

fn gclab_live(records: &[OwnedRecord]) -> u64 {
    collectors::run_with(
        CollectorChoice::Auto,
        HeapConfig::default(),
        LiveObjects(records),
    )
    .unwrap()
}

fn allocations(records: &[OwnedRecord]) -> usize {
    records
        .iter()
        .filter(|r| matches!(r, OwnedRecord::Alloc { .. }))
        .count()
}

#[test]
fn random_traces_keep_gclabs_live_objects_and_reuse_the_table() {
    for seed in 0..24 {
        let records = generated(
            Generator::Random,
            &[
                "--seed",
                &seed.to_string(),
                "--events",
                "3000",
                "--max-live",
                "200",
            ],
        );
        let (live, table) = model_replay(&peer_trace(&records));
        assert_eq!(live, gclab_live(&records), "seed {seed}");
        assert!(
            table < allocations(&records),
            "seed {seed}: no index was reused"
        );
    }
}

/// Each generator's parameters for a trace of a few thousand records.
fn small(generator: Generator) -> &'static [&'static str] {
    match generator {
        Generator::GcBench => &[
            "--stretch-depth",
            "8",
            "--long-lived-depth",
            "6",
            "--max-depth",
            "8",
            "--array-size",
            "100",
        ],
        Generator::BinaryTrees => &["--depth", "8"],
        Generator::Splay => &["--nodes", "200", "--steps", "3"],
        Generator::Leaky => &["--ticks", "5", "--bytes", "100"],
        Generator::Listeners => &["--connections", "300"],
        Generator::Server => &["--requests", "500"],
        Generator::Random => &["--events", "2000"],
        Generator::Fragment => &["--objects", "2000", "--churn", "2000"],
    }
}

#[test]
fn every_generator_keeps_gclabs_live_objects() {
    for generator in Generator::ALL {
        let records = generated(generator, small(generator));
        let (live, _) = model_replay(&peer_trace(&records));
        assert_eq!(live, gclab_live(&records), "{}", generator.name());
    }
}

/// The runtimes the real-replayer tests can use here: V8 and HotSpot's Serial, where installed.
fn installed_peers() -> Vec<Peer> {
    [Peer::V8, Peer::HotSpot(HotSpotGc::Serial)]
        .into_iter()
        .filter(|peer| match peer {
            Peer::V8 => installed("node", "--version"),
            Peer::HotSpot(_) => installed("java", "-version"),
        })
        .collect()
}

/// The real replayers on every generator: the objects their tables reach are gclab's.
#[test]
fn the_replayers_keep_gclabs_live_objects_on_every_generator() {
    let peers = installed_peers();
    let folder = tempfile::tempdir().unwrap();
    let runner = PeerRunner::new(&folder.path().join("peers"), ThinkTime::Skip, None).unwrap();
    for generator in Generator::ALL {
        let records = generated(generator, small(generator));
        let path = folder.path().join(format!("{}.peer", generator.name()));
        std::fs::write(&path, peer_trace(&records)).unwrap();
        let live = gclab_live(&records);
        for &peer in &peers {
            let metrics = runner.measure(peer, generator.name(), &path).unwrap();
            assert_eq!(
                metrics.live_objects,
                live,
                "{} on {}",
                generator.name(),
                peer.name()
            );
        }
    }
}

#[test]
fn a_bad_trace_is_an_error_naming_its_record() {
    let records: Vec<OwnedRecord> = vec![OwnedRecord::Other(gc_trace::Record::Write {
        id: 7,
        slot: 0,
        value: gc_trace::TraceValue::Null,
    })];
    let mentions = LastMentions::of(&mut MemorySource::new("t", &records)).unwrap();
    let mut out = Cursor::new(Vec::new());
    let error = write_peer_trace(&mut MemorySource::new("t", &records), &mentions, &mut out)
        .unwrap_err()
        .to_string();
    assert!(error.contains("object 7 is not live"), "{error}");
}

fn installed(program: &str, arg: &str) -> bool {
    std::process::Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The real runtimes, where installed: a row each, and live counts equal to gclab's (compare
/// fails otherwise).
#[test]
fn v8_and_hotspot_replay_the_same_trace() {
    if !installed("node", "--version") || !installed("java", "-version") {
        eprintln!("skipped: node and java are needed");
        return;
    }
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("results");
    let output = gclab(&[
        "compare",
        "binary-trees:depth=8",
        "server:requests=300",
        "--collectors",
        "marksweep",
        "--peers",
        "v8,hotspot-serial,hotspot-g1",
        "--repeat",
        "1",
        "--no-think",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for row in [
        "\nmarksweep ",
        "\nv8 ",
        "\nhotspot-serial ",
        "\nhotspot-g1 ",
    ] {
        assert_eq!(text.matches(row).count(), 2, "{row} in {text}");
    }
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert!(csv.lines().any(|l| l.contains(",v8,1,")), "{csv}");
}

#[test]
fn unknown_peers_are_usage_errors() {
    let output = gclab(&["compare", "binary-trees:depth=6", "--peers", "v9"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("gclab: unknown peer `v9`; peers: v8, hotspot"),
        "{}",
        stderr(&output)
    );
}

fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(format!("tests/fixtures/peers/{name}")).unwrap()
}

/// The replayer's result line of a recorded run: (start, end) on the log's clock.
fn recorded_span(name: &str) -> (u64, u64) {
    let text = read_fixture(&format!("{name}-result.txt"));
    let json = text.trim().strip_prefix("gclab-peer: ").unwrap();
    let result: serde_json::Value = serde_json::from_str(json).unwrap();
    let nanos = |key: &str| result[key].as_u64().unwrap();
    (nanos("start_nanos"), nanos("end_nanos"))
}

/// Lines a log may hold that are no pause: the program's output, a line cut short, other tags.
const ODD_LINES: &str = "\nhello from the program\n[123ns] Safepoint \"GenCollectFull\", Total: \n\
    [456 ms: mark-compact\n[789ns] [gc,heap] GC(3) Eden: 1M->0M\n";

/// Logs the replayers made on a random trace of 12 `gc minor` and 2 `gc` records (then their own
/// final collection, after the replay), parsed.
#[test]
fn recorded_logs_give_each_collection_of_the_replay() {
    use bench_harness::peers::hotspot_log::hotspot_pauses;
    use bench_harness::peers::v8_log::v8_pauses;

    let v8 = read_fixture("v8-nvp.log");
    for log in [v8.clone(), v8 + ODD_LINES] {
        let pauses = v8_pauses(&log).unwrap();
        assert_eq!(pauses.pauses.len(), 14);
        let kinds: Vec<(&str, u64)> = pauses
            .by_kind
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        assert_eq!(kinds, [("mark-compact", 2), ("scavenge", 12)]);
        assert!(
            pauses
                .pauses
                .windows(2)
                .all(|w| w[0].start + w[0].duration <= w[1].start)
        );
    }
    // A pause line without its figures is not skipped: the pauses would be misplaced.
    let cut = format!(
        "{}[9:0x1]  456 ms: pause= mutator=1.0\n",
        read_fixture("v8-nvp.log")
    );
    assert_eq!(
        v8_pauses(&cut).unwrap_err(),
        "V8's log, line 16: no number `pause=`"
    );
    // Every System.gc() is a full collection; ZGC and Shenandoah stop three and four times for
    // each of theirs.
    for (collector, count, per_cycle) in [
        ("Serial", 14, "GenCollectFull"),
        ("G1", 14, "G1CollectFull"),
        ("Z", 42, "ZMarkStart"),
        ("Shenandoah", 56, "ShenandoahInitMark"),
    ] {
        let name = format!("hotspot-{collector}");
        let (start, end) = recorded_span(&name);
        let log = read_fixture(&format!("{name}.log"));
        for log in [log.clone(), log + ODD_LINES] {
            let pauses = hotspot_pauses(&log, start, end);
            assert_eq!(pauses.pauses.len(), count, "{collector}");
            assert_eq!(pauses.by_kind[per_cycle], 14, "{collector}");
            let span = std::time::Duration::from_nanos(end - start);
            assert!(pauses.pauses.iter().all(|p| p.start + p.duration <= span));
        }
    }
}

/// ZGC's log with `gc+heap` (as `compare` asks for it), on a random trace of 7 `gc minor` and
/// 3 `gc` records: each cycle's three pauses get its sizes and the committed heap.
#[test]
fn zgcs_recorded_log_gives_its_committed_heap() {
    use bench_harness::peers::hotspot_log::hotspot_pauses;

    let (start, end) = recorded_span("hotspot-Z-heap");
    let pauses = hotspot_pauses(&read_fixture("hotspot-Z-heap.log"), start, end).pauses;
    assert_eq!(pauses.len(), 30);
    assert!(
        pauses.iter().all(|p| p.committed_after == 378 << 20),
        "{pauses:?}"
    );
    assert!(
        pauses
            .iter()
            .all(|p| p.used_after <= p.used_before && p.used_before > 0)
    );
}

/// V8's log with `--trace-gc-verbose` (as the replayer asks for it), on the same trace: each
/// pause's committed heap, at least its use.
#[test]
fn v8s_recorded_verbose_log_gives_its_committed_heap() {
    use bench_harness::peers::v8_log::v8_pauses;

    let pauses = v8_pauses(&read_fixture("v8-verbose.log")).unwrap();
    assert_eq!(pauses.by_kind["mark-compact"], 3);
    assert_eq!(pauses.by_kind["scavenge"], 7);
    for pause in &pauses.pauses {
        assert!(
            pause.committed_after >= pause.used_after && pause.used_after > 0,
            "{pause:?}"
        );
        assert!(pause.committed_after > 4 << 20, "{pause:?}");
    }
}

/// The real replayers read the trace in chunks: a trace of many chunks, with objects of every
/// slot count the random generator makes (past the four in-object fields of V8's replayer too),
/// keeps gclab's live objects; a trace cut short is an error naming the file, not a crash.
#[test]
fn the_replayers_stream_the_trace_and_reject_one_cut_short() {
    let peers = installed_peers();
    if peers.is_empty() {
        eprintln!("skipped: node or java is needed");
        return;
    }
    let folder = tempfile::tempdir().unwrap();
    let runner = PeerRunner::new(&folder.path().join("peers"), ThinkTime::Skip, None).unwrap();
    let records = generated(
        Generator::Random,
        &["--events", "300000", "--max-live", "3000"],
    );
    let bytes = peer_trace(&records);
    assert!(bytes.len() > 3 << 20, "{} bytes is one chunk", bytes.len());
    let whole = folder.path().join("whole.peer");
    std::fs::write(&whole, &bytes).unwrap();
    let cut = folder.path().join("cut.peer");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 7]).unwrap();
    let live = gclab_live(&records);
    for peer in peers {
        let metrics = runner.measure(peer, "random", &whole).unwrap();
        assert_eq!(metrics.live_objects, live, "{}", peer.name());
        let error = runner
            .measure(peer, "random", &cut)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("cut.peer: is cut short: it ends before its END operation"),
            "{}: {error}",
            peer.name()
        );
    }
}

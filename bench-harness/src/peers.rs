//! Production runtimes on the identical trace: `gclab compare --peers v8,hotspot` replays each
//! trace on V8 (Node.js) and on HotSpot's collectors (the JDK's `java`) beside gclab's.
//!
//! - [`peer_trace`]: the trace rewritten for a replayer (dense indices, forgets after last use).
//! - `bench-harness/peers/replay.mjs` and `Replay.java`: the replayers, built into this binary
//!   and written to a cache folder when first used (the Java one compiled there once).
//! - [`v8_log`], [`hotspot_log`]: each runtime's own GC log, parsed into the pause records
//!   gclab's collectors give, so that every figure comes from the same code.
//!
//! A peer's run is a fresh process like every other run. What compares: pause times, counts,
//! MMU, the live object count (checked against gclab's). What does not, one to one: bytes
//! (heap use, committed memory), since object headers, layouts and heap sizing differ between
//! runtimes.

pub mod hotspot_log;
pub mod peer_trace;
pub mod v8_log;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{EXIT_FAILURE, Error};
use crate::metrics::{RunFacts, RunMetrics};
use crate::replay::ThinkTime;
use v8_log::PeerPauses;

const REPLAY_MJS: &str = include_str!("../peers/replay.mjs");
const REPLAY_JAVA: &str = include_str!("../peers/Replay.java");

/// A production runtime's collector.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    V8,
    HotSpot(HotSpotGc),
}

/// HotSpot's collectors.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HotSpotGc {
    Serial,
    Parallel,
    G1,
    Z,
    Shenandoah,
}

impl HotSpotGc {
    pub const ALL: [HotSpotGc; 5] = [
        HotSpotGc::Serial,
        HotSpotGc::Parallel,
        HotSpotGc::G1,
        HotSpotGc::Z,
        HotSpotGc::Shenandoah,
    ];

    fn flag(self) -> &'static str {
        match self {
            HotSpotGc::Serial => "-XX:+UseSerialGC",
            HotSpotGc::Parallel => "-XX:+UseParallelGC",
            HotSpotGc::G1 => "-XX:+UseG1GC",
            HotSpotGc::Z => "-XX:+UseZGC",
            HotSpotGc::Shenandoah => "-XX:+UseShenandoahGC",
        }
    }
}

impl Peer {
    /// The row's name: `v8`, `hotspot-serial`, ….
    pub fn name(self) -> &'static str {
        match self {
            Peer::V8 => "v8",
            Peer::HotSpot(HotSpotGc::Serial) => "hotspot-serial",
            Peer::HotSpot(HotSpotGc::Parallel) => "hotspot-parallel",
            Peer::HotSpot(HotSpotGc::G1) => "hotspot-g1",
            Peer::HotSpot(HotSpotGc::Z) => "hotspot-zgc",
            Peer::HotSpot(HotSpotGc::Shenandoah) => "hotspot-shenandoah",
        }
    }

    pub fn from_name(name: &str) -> Option<Peer> {
        std::iter::once(Peer::V8)
            .chain(HotSpotGc::ALL.map(Peer::HotSpot))
            .find(|peer| peer.name() == name)
    }
}

/// The peers `--peers` names: `v8`, `hotspot` (each collector this JDK has), or single ones;
/// with the ones whose runtime is missing as errors to tell (the others still run). An unknown
/// name is an error.
pub fn resolve_peers(list: &str) -> Result<(Vec<Peer>, Vec<Error>), Error> {
    let mut peers = Vec::new();
    let mut unavailable = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let named: Vec<Peer> = match name {
            "hotspot" => HotSpotGc::ALL.map(Peer::HotSpot).to_vec(),
            _ => vec![Peer::from_name(name).ok_or_else(|| Error::UnknownPeer(name.to_owned()))?],
        };
        for peer in named {
            if peers.contains(&peer) {
                continue;
            }
            match check_runtime(peer) {
                Ok(()) => peers.push(peer),
                Err(error) => unavailable.push(error),
            }
        }
    }
    Ok((peers, unavailable))
}

fn check_runtime(peer: Peer) -> Result<(), Error> {
    let missing = |message: String| Error::PeerUnavailable {
        peer: peer.name().to_owned(),
        message,
    };
    match peer {
        Peer::V8 if !runs(Command::new("node").arg("--version")) => Err(missing(
            "`node` (Node.js) is not installed or does not run".to_owned(),
        )),
        Peer::HotSpot(gc) if !java_has(gc) => Err(missing(format!(
            "`java` is missing, or this JDK has no `{}`",
            gc.flag()
        ))),
        _ => Ok(()),
    }
}

fn java_has(gc: HotSpotGc) -> bool {
    runs(Command::new("java").args([gc.flag(), "-version"]))
}

fn runs(command: &mut Command) -> bool {
    command.output().is_ok_and(|output| output.status.success())
}

/// What a replayer prints last, on standard error.
#[derive(Debug, Deserialize)]
struct PeerResult {
    live_objects: u64,
    allocated_bytes: u64,
    peak_rss_bytes: i64,
    /// V8: the replay's length.
    replay_ms: Option<f64>,
    /// HotSpot: the replay's start and end on the log's clock.
    start_nanos: Option<u64>,
    end_nanos: Option<u64>,
}

/// Runs peers on peer traces.
#[derive(Clone, Debug)]
pub struct PeerRunner {
    /// Where the replayers are written.
    cache: PathBuf,
    think: ThinkTime,
    /// `--heap-limit`, in MiB.
    heap_limit_mib: Option<u64>,
}

impl PeerRunner {
    /// Writes the replayers into `cache` (the Java one compiled) unless they are there.
    pub fn new(cache: &Path, think: ThinkTime, heap_limit_mib: Option<u64>) -> Result<Self, Error> {
        let failed = |message: String| Error::PeerUnavailable {
            peer: "replayers".to_owned(),
            message,
        };
        std::fs::create_dir_all(cache)
            .map_err(|e| failed(format!("cannot create `{}`: {e}", cache.display())))?;
        for (name, text) in [("replay.mjs", REPLAY_MJS), ("Replay.java", REPLAY_JAVA)] {
            let path = cache.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
                std::fs::write(&path, text)
                    .map_err(|e| failed(format!("cannot write `{}`: {e}", path.display())))?;
                let _ = std::fs::remove_file(cache.join("Replay.class"));
            }
        }
        Ok(PeerRunner {
            cache: cache.to_owned(),
            think,
            heap_limit_mib,
        })
    }

    /// One run of `peer` on the peer trace at `trace`.
    pub fn measure(&self, peer: Peer, job: &str, trace: &Path) -> Result<RunMetrics, Error> {
        let failed = |message: String| Error::Measurement {
            job: job.to_owned(),
            collector: peer.name().to_owned(),
            message,
            exit_code: EXIT_FAILURE,
        };
        let think = match self.think {
            ThinkTime::Skip => "skip",
            _ => "spin",
        };
        let mut command = match peer {
            Peer::V8 => self.node_command(),
            Peer::HotSpot(gc) => self.java_command(gc).map_err(failed)?,
        };
        let output = command
            .arg(trace)
            .arg(think)
            .output()
            .map_err(|e| failed(format!("cannot start the replayer: {e}")))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let result = stderr
            .lines()
            .find_map(|line| line.strip_prefix("gclab-peer: "))
            .ok_or_else(|| failed(replayer_failure(&stderr, output.status)))?;
        let result: PeerResult = serde_json::from_str(result)
            .map_err(|e| failed(format!("the replayer's result is not readable: {e}")))?;
        let log = String::from_utf8_lossy(&output.stdout);
        let (pauses, replay_time) = match peer {
            Peer::V8 => (
                v8_log::v8_pauses(&log).map_err(failed)?,
                Duration::from_secs_f64(result.replay_ms.unwrap_or(0.0).max(0.0) / 1e3),
            ),
            Peer::HotSpot(_) => {
                let (start, end) = (
                    result.start_nanos.unwrap_or(0),
                    result.end_nanos.unwrap_or(0),
                );
                (
                    hotspot_log::hotspot_pauses(&log, start, end),
                    Duration::from_nanos(end.saturating_sub(start)),
                )
            }
        };
        Ok(metrics(peer, &result, pauses, replay_time))
    }

    fn node_command(&self) -> Command {
        let mut command = Command::new("node");
        command.arg("--expose-gc");
        if let Some(mib) = self.heap_limit_mib {
            command.arg(format!("--max-old-space-size={mib}"));
        }
        command.arg(self.cache.join("replay.mjs"));
        command
    }

    fn java_command(&self, gc: HotSpotGc) -> Result<Command, String> {
        if !self.cache.join("Replay.class").is_file() {
            let output = Command::new("javac")
                .args(["-d"])
                .arg(&self.cache)
                .arg(self.cache.join("Replay.java"))
                .output()
                .map_err(|e| format!("cannot run `javac` to build the Java replayer: {e}"))?;
            if !output.status.success() {
                return Err(format!(
                    "`javac` could not build the Java replayer: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
        }
        let mut command = Command::new("java");
        command.arg(gc.flag());
        if let Some(mib) = self.heap_limit_mib {
            command.arg(format!("-Xmx{mib}m"));
        }
        // ZGC gives its committed heap only in gc+heap's `Capacity:` row; the others' gc+heap
        // lines would only repeat the sizes of their `gc` lines, per generation.
        let tags = match gc {
            HotSpotGc::Z => "gc,gc+heap,safepoint",
            _ => "gc,safepoint",
        };
        command
            .arg(format!("-Xlog:{tags}:stdout:timenanos"))
            .arg("-cp")
            .arg(&self.cache)
            .arg("Replay");
        Ok(command)
    }
}

/// Why a replayer gave no result: its own error line, or its last words.
fn replayer_failure(stderr: &str, status: std::process::ExitStatus) -> String {
    if let Some(error) = stderr
        .lines()
        .find_map(|l| l.strip_prefix("gclab-peer-error: "))
    {
        return error.to_owned();
    }
    // Java's and V8's words for it.
    if stderr.contains("OutOfMemoryError") || stderr.contains("heap out of memory") {
        return "ran out of memory: the trace needs more than its heap limit (`--heap-limit`, \
                or the runtime's default)"
            .to_owned();
    }
    let last: Vec<&str> = stderr.lines().rev().take(3).collect();
    let words: Vec<&str> = last.into_iter().rev().collect();
    format!("the replayer failed ({status}): {}", words.join(" / "))
}

fn metrics(
    peer: Peer,
    result: &PeerResult,
    pauses: PeerPauses,
    replay_time: Duration,
) -> RunMetrics {
    let peak_committed = pauses
        .pauses
        .iter()
        .map(|p| p.committed_before.max(p.committed_after))
        .max()
        .unwrap_or(0);
    let facts = RunFacts {
        collector: peer.name().to_owned(),
        digest: String::new(),
        live_objects: result.live_objects,
        live_object_bytes: 0,
        gc_by_kind: pauses.by_kind,
        replay_time,
        allocated_bytes: result.allocated_bytes,
        peak_committed_bytes: peak_committed as u64,
    };
    let peak_rss = u64::try_from(result.peak_rss_bytes).ok();
    RunMetrics::of_run(facts, &pauses.pauses, None, peak_rss)
}

/// The peer trace of `trace`, written beside the compare's traces in `folder` (once per job).
pub fn prepare(trace: &Path, folder: &Path) -> Result<PathBuf, Error> {
    let name = trace
        .file_name()
        .map_or_else(|| "trace".into(), |n| n.to_string_lossy().into_owned());
    let peer_trace = folder.join(format!("{name}.peer"));
    std::fs::create_dir_all(folder).map_err(|source| Error::WriteTrace {
        path: folder.display().to_string(),
        source,
    })?;
    let mentions = gc_trace::open::with_source(trace, LastMentionsOf)??;
    let file = std::fs::File::create(&peer_trace).map_err(|source| Error::WriteTrace {
        path: peer_trace.display().to_string(),
        source,
    })?;
    let path = peer_trace.display().to_string();
    gc_trace::open::with_source(
        trace,
        Convert {
            mentions,
            file,
            path,
        },
    )??;
    Ok(peer_trace)
}

struct LastMentionsOf;

impl gc_trace::open::SourceVisitor for LastMentionsOf {
    type Output = Result<peer_trace::LastMentions, gc_trace::TraceError>;

    fn visit<S: gc_trace::TraceSource>(self, source: &mut S) -> Self::Output {
        peer_trace::LastMentions::of(source)
    }
}

struct Convert {
    mentions: peer_trace::LastMentions,
    file: std::fs::File,
    path: String,
}

impl gc_trace::open::SourceVisitor for Convert {
    type Output = Result<peer_trace::PeerTraceSummary, Error>;

    fn visit<S: gc_trace::TraceSource>(self, source: &mut S) -> Self::Output {
        peer_trace::write_peer_trace(source, &self.mentions, self.file).map_err(|error| match error
        {
            peer_trace::PeerTraceError::Trace(error) => Error::from(error),
            peer_trace::PeerTraceError::Io(source) => Error::WriteTrace {
                path: self.path,
                source,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_failed_replayer_is_explained() {
        let status = std::process::ExitStatus::from_raw(1 << 8);
        let java = "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n\tat Replay.main(Replay.java:46)\n";
        assert!(replayer_failure(java, status).starts_with("ran out of memory"));
        let node =
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n";
        assert!(replayer_failure(node, status).starts_with("ran out of memory"));
        let own = "gclab-peer-error: x.peer is not a peer trace\n";
        assert_eq!(replayer_failure(own, status), "x.peer is not a peer trace");
        assert_eq!(
            replayer_failure("one\ntwo\nthree\nfour\n", status),
            "the replayer failed (exit status: 1): two / three / four"
        );
    }

    #[test]
    fn peers_are_named_as_the_rows_are() {
        for name in ["v8", "hotspot-serial", "hotspot-zgc", "hotspot-shenandoah"] {
            assert_eq!(Peer::from_name(name).map(Peer::name), Some(name));
        }
        assert_eq!(Peer::from_name("hotspot"), None);
        assert!(matches!(resolve_peers("v9"), Err(Error::UnknownPeer(name)) if name == "v9"));
    }
}

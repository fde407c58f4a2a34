//! What gclab's fuzz targets share: a byte encoding of the testkit's mutator programs (so that
//! every input is a valid program and libFuzzer's mutations stay meaningful), and the checks each
//! target makes.
//!
//! The encoding is the fuzzer's contract with its corpus: an op is a tag byte (taken modulo the
//! number of kinds) and fixed-width little-endian fields, read with [`arbitrary::Unstructured`];
//! missing bytes read as zeros. [`encode_program`] writes the same encoding, so the seed corpus
//! can be made from the testkit's own random programs.

use arbitrary::{Arbitrary, Unstructured};
use bench_harness::replay::{ReplayOptions, replay};
use gc_core::testkit::{Op, OpValue, OutOfMemoryPolicy, ProgramOutcome, check_program_with};
use gc_core::{CollectionKind, Collector, Heap, HeapConfig};
use gc_trace::{Record, TraceSource};
use gclab::collectors::{self, CollectorChoice, CollectorVisitor, HeapVisitor};

/// Kinds of op, in tag order. (The scope operations came last, so the tags of the others kept
/// their meaning; a tag byte of 12 or more decodes differently than before they came.)
const KINDS: u8 = 15;

/// The largest SMI plus one (SMIs lie in [-2^30, 2^30)).
const SMI_END: i64 = 1 << 30;

/// A mutator program decoded from fuzzer bytes.
#[derive(Clone, Debug)]
pub struct FuzzProgram {
    /// Forced collection every this many allocations (`HeapConfig::stress`), or none.
    pub stress: Option<u32>,
    pub ops: Vec<Op>,
}

/// Reads `N` bytes, zero-padded when the input runs out.
fn take<const N: usize>(u: &mut Unstructured<'_>) -> [u8; N] {
    let mut out = [0u8; N];
    let available = u.len().min(N);
    if let Ok(bytes) = u.bytes(available) {
        out[..available].copy_from_slice(bytes);
    }
    out
}

fn u16_of(u: &mut Unstructured<'_>) -> usize {
    u16::from_le_bytes(take(u)).into()
}

fn u32_of(u: &mut Unstructured<'_>) -> u32 {
    u32::from_le_bytes(take(u))
}

/// Sizes in four classes, as the testkit's strategy draws them: mostly small objects, some
/// medium ones, a few large-object-space ones and a few with very many slots. The last two are
/// rarer than in the testkit (one byte value in 85 and 256): under stress mode every collection
/// scans them, and the fuzzer's speed is its coverage.
fn decode_size(class: u8, slots: u32, bytes: u32) -> (u32, u32) {
    match class {
        0..=219 => (slots % 6, bytes % 64),
        220..=251 => (slots % 40, bytes % 2048),
        252..=254 => (slots % 4, 140_000 + bytes % 160_000),
        255 => (70_000 + slots % 10, bytes % 16),
    }
}

/// The class and raw fields that decode to `(slots, bytes)`; sizes outside every class are
/// clamped into the medium one.
fn encode_size(slots: u32, bytes: u32) -> (u8, u16, u32) {
    if slots < 6 && bytes < 64 {
        (0, slots as u16, bytes)
    } else if slots < 40 && bytes < 2048 {
        (220, slots as u16, bytes)
    } else if slots < 4 && (140_000..300_000).contains(&bytes) {
        (252, slots as u16, bytes - 140_000)
    } else if (70_000..70_010).contains(&slots) && bytes < 16 {
        (255, (slots - 70_000) as u16, bytes)
    } else {
        (220, (slots % 40) as u16, bytes % 2048)
    }
}

fn decode_value(u: &mut Unstructured<'_>) -> OpValue {
    let [kind] = take::<1>(u);
    match kind % 3 {
        0 => OpValue::Null,
        1 => {
            let raw = i64::from(u32_of(u) as i32);
            OpValue::Smi((raw.rem_euclid(2 * SMI_END) - SMI_END) as i32)
        }
        _ => OpValue::Root(u16_of(u)),
    }
}

fn decode_op(u: &mut Unstructured<'_>) -> Op {
    let [tag] = take::<1>(u);
    match tag % KINDS {
        0 => {
            let [type_index, class] = take::<2>(u);
            let (slots, bytes) = decode_size(class, u16_of(u) as u32, u32_of(u));
            Op::Allocate {
                type_index: type_index.into(),
                slots,
                bytes,
            }
        }
        1 => Op::Store {
            host: u16_of(u),
            slot: u16_of(u),
            value: decode_value(u),
        },
        2 => Op::Load {
            host: u16_of(u),
            slot: u16_of(u),
        },
        3 => Op::Retain { root: u16_of(u) },
        4 => Op::Release { root: u16_of(u) },
        5 => Op::Downgrade { root: u16_of(u) },
        6 => Op::Upgrade { weak: u16_of(u) },
        7 => Op::DropWeak { weak: u16_of(u) },
        8 => Op::SetExternal {
            root: u16_of(u),
            bytes: u64::from(u32_of(u) % (1 << 20)),
        },
        9 => {
            let root = u16_of(u);
            let [seed] = take::<1>(u);
            Op::WritePayload { root, seed }
        }
        10 => Op::Collect {
            kind: CollectionKind::Full,
        },
        11 => Op::Collect {
            kind: CollectionKind::Young,
        },
        12 => Op::LoadInto {
            target: u16_of(u),
            host: u16_of(u),
            slot: u16_of(u),
        },
        13 => Op::OpenScope,
        // A flag byte (odd: a root escapes), then the escaping root's index when it is set.
        _ => {
            let [escapes] = take::<1>(u);
            Op::CloseScope {
                escape: (escapes % 2 == 1).then(|| u16_of(u)),
            }
        }
    }
}

impl<'a> Arbitrary<'a> for FuzzProgram {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let [stress] = take::<1>(u);
        // One program in four runs under stress, collecting every 1 to 16 allocations.
        let stress = (stress % 4 == 0).then_some(u32::from(stress / 4 % 16) + 1);
        let mut ops = Vec::new();
        while !u.is_empty() {
            ops.push(decode_op(u));
        }
        Ok(FuzzProgram { stress, ops })
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Self::arbitrary(&mut u)
    }
}

fn put_u16(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&((value % (1 << 16)) as u16).to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn encode_value(out: &mut Vec<u8>, value: OpValue) {
    match value {
        OpValue::Null => out.push(0),
        OpValue::Smi(n) => {
            out.push(1);
            put_u32(out, (i64::from(n) + SMI_END) as u32);
        }
        OpValue::Root(root) => {
            out.push(2);
            put_u16(out, root);
        }
    }
}

fn encode_op(out: &mut Vec<u8>, op: &Op) {
    match *op {
        Op::Allocate {
            type_index,
            slots,
            bytes,
        } => {
            let (class, slots, bytes) = encode_size(slots, bytes);
            out.extend_from_slice(&[0, type_index as u8, class]);
            put_u16(out, slots.into());
            put_u32(out, bytes);
        }
        Op::Store { host, slot, value } => {
            out.push(1);
            put_u16(out, host);
            put_u16(out, slot);
            encode_value(out, value);
        }
        Op::Load { host, slot } => {
            out.push(2);
            put_u16(out, host);
            put_u16(out, slot);
        }
        Op::Retain { root } => encode_index(out, 3, root),
        Op::Release { root } => encode_index(out, 4, root),
        Op::Downgrade { root } => encode_index(out, 5, root),
        Op::Upgrade { weak } => encode_index(out, 6, weak),
        Op::DropWeak { weak } => encode_index(out, 7, weak),
        Op::SetExternal { root, bytes } => {
            encode_index(out, 8, root);
            put_u32(out, (bytes % (1 << 20)) as u32);
        }
        Op::WritePayload { root, seed } => {
            encode_index(out, 9, root);
            out.push(seed);
        }
        Op::Collect {
            kind: CollectionKind::Full,
        } => out.push(10),
        Op::Collect {
            kind: CollectionKind::Young,
        } => out.push(11),
        Op::LoadInto { target, host, slot } => {
            encode_index(out, 12, target);
            put_u16(out, host);
            put_u16(out, slot);
        }
        Op::OpenScope => out.push(13),
        Op::CloseScope { escape: None } => out.extend_from_slice(&[14, 0]),
        Op::CloseScope {
            escape: Some(escape),
        } => {
            out.extend_from_slice(&[14, 1]);
            put_u16(out, escape);
        }
    }
}

fn encode_index(out: &mut Vec<u8>, tag: u8, index: usize) {
    out.push(tag);
    put_u16(out, index);
}

/// The bytes that decode to `ops` (without stress), up to the indices' 16 bits.
pub fn encode_program(ops: &[Op]) -> Vec<u8> {
    let mut out = vec![1];
    for op in ops {
        encode_op(&mut out, op);
    }
    out
}

/// The heap the program target runs on: the testkit's small heap (implicit collections every few
/// dozen kilobytes, the verifier after each), bounded so a program of huge objects ends in a
/// legitimate `OutOfMemory` rather than in the fuzzer's RSS limit.
pub fn program_heap(stress: Option<u32>) -> HeapConfig {
    HeapConfig {
        max_heap_bytes: 256 << 20,
        stress_interval: stress.and_then(std::num::NonZeroU32::new),
        ..gc_core::testkit::small_heap()
    }
}

struct CheckOn<'p> {
    program: &'p FuzzProgram,
}

impl CollectorVisitor for CheckOn<'_> {
    type Output = Result<ProgramOutcome, String>;

    fn visit<C: Collector>(self, collector: C) -> Self::Output {
        check_program_with(
            program_heap(self.program.stress),
            collector,
            &self.program.ops,
            OutOfMemoryPolicy::Tolerate,
        )
        .map_err(|error| format!("{}: {error}", C::CONSTRAINTS.name))
    }
}

/// Plays `program` on every compiled-in collector against the reference model; panics (the
/// fuzzer's crash) on the first disagreement, or when collectors end with different live graphs
/// where they must not.
pub fn check_program_on_every_collector(program: &FuzzProgram) {
    let mut outcomes = Vec::new();
    for &choice in CollectorChoice::COMPILED_IN {
        match choice.visit(CheckOn { program }) {
            Ok(Ok(outcome)) => outcomes.push((choice, outcome)),
            Ok(Err(disagreement)) => panic!("{disagreement}"),
            Err(error) => panic!("{choice}: {error}"),
        }
    }
    // Upgrading a weak handle depends on whether its object was collected yet, which differs
    // between collectors (a young collection keeps unreachable old objects), and so does
    // where each one meets the heap limit: only programs free of both must end alike.
    let upgrades = program
        .ops
        .iter()
        .any(|op| matches!(op, Op::Upgrade { .. }));
    let must_agree = !upgrades && outcomes.iter().all(|(_, o)| o.out_of_memory == 0);
    if let (true, Some(((first, expected), rest))) = (must_agree, outcomes.split_first()) {
        for (choice, outcome) in rest {
            assert_eq!(
                outcome.digest, expected.digest,
                "{choice} and {first} end with different live graphs"
            );
        }
    }
}

/// The heap untrusted traces replay on: small, so a trace of huge objects stops at the limit.
pub fn trace_heap() -> HeapConfig {
    HeapConfig {
        max_heap_bytes: 64 << 20,
        ..gc_core::testkit::small_heap()
    }
}

struct ReplayOn<S> {
    source: S,
}

impl<S: TraceSource> HeapVisitor for ReplayOn<S> {
    type Output = ();

    fn visit<C: Collector>(mut self, mut heap: Heap<C>) {
        // A bad trace is an error, never a panic; the verifier runs after every collection.
        let _ = replay(&mut heap, &mut self.source, ReplayOptions::default());
        if let Err(error) = heap.verify() {
            panic!(
                "{}: heap corrupt after a replay: {error}",
                C::CONSTRAINTS.name
            );
        }
    }
}

/// The think time (`t`) a trace asks for, summed over the records `source` reads before its end
/// or its first error.
pub fn think_nanos<S: TraceSource>(source: &mut S) -> u64 {
    let mut total: u64 = 0;
    while let Ok(Some(record)) = source.next_record() {
        if let Record::Think { nanos } = record {
            total = total.saturating_add(nanos);
        }
    }
    total
}

/// The most think time an input may ask for and still be replayed: a replay spins through every
/// `t` (up to a minute each, as the format allows), which would stall the fuzzer, not find bugs.
pub const MAX_THINK_NANOS: u64 = 1_000_000;

/// Replays `source` on the `pick`th compiled-in collector (modulo their number).
pub fn replay_on_one_collector<S: TraceSource>(source: S, pick: usize) {
    let all = CollectorChoice::COMPILED_IN;
    if all.is_empty() {
        return;
    }
    let choice = all[pick % all.len()];
    if let Err(error) = collectors::run_with(choice, trace_heap(), ReplayOn { source }) {
        panic!("{choice}: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Indices as the encoding keeps them: 16 bits.
    fn sixteen_bit_indices(op: Op) -> Op {
        let short = |index: usize| index % (1 << 16);
        match op {
            Op::Store { host, slot, value } => Op::Store {
                host: short(host),
                slot: short(slot),
                value: match value {
                    OpValue::Root(root) => OpValue::Root(short(root)),
                    value => value,
                },
            },
            Op::Load { host, slot } => Op::Load {
                host: short(host),
                slot: short(slot),
            },
            Op::LoadInto { target, host, slot } => Op::LoadInto {
                target: short(target),
                host: short(host),
                slot: short(slot),
            },
            Op::CloseScope { escape } => Op::CloseScope {
                escape: escape.map(short),
            },
            Op::Retain { root } => Op::Retain { root: short(root) },
            Op::Release { root } => Op::Release { root: short(root) },
            Op::Downgrade { root } => Op::Downgrade { root: short(root) },
            Op::Upgrade { weak } => Op::Upgrade { weak: short(weak) },
            Op::DropWeak { weak } => Op::DropWeak { weak: short(weak) },
            Op::SetExternal { root, bytes } => Op::SetExternal {
                root: short(root),
                bytes,
            },
            Op::WritePayload { root, seed } => Op::WritePayload {
                root: short(root),
                seed,
            },
            op => op,
        }
    }

    proptest! {
        /// The testkit's programs survive encoding and decoding, up to 16-bit indices.
        #[test]
        fn programs_round_trip(ops in gc_core::testkit::program_strategy(0..60)) {
            let ops: Vec<Op> = ops.into_iter().map(sixteen_bit_indices).collect();
            let bytes = encode_program(&ops);
            let decoded = FuzzProgram::arbitrary_take_rest(Unstructured::new(&bytes));
            let decoded = decoded.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(decoded.stress, None);
            prop_assert_eq!(format!("{:?}", decoded.ops), format!("{ops:?}"));
        }
    }
}

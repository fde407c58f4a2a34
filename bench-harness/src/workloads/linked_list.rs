//! linked-list: a long list built by consing onto its head, kept alive while it is walked from
//! head to tail, then dropped all at once. Every node survives every collection that runs while
//! the list is built, and the list is as deep as it is long, which stresses marking (a worklist,
//! never recursion) and then sweeping a heap that suddenly holds only garbage.

use gc_core::{Collector, Heap, Persistent, SlotContent, TypeId, Value};

use super::WorkloadError;

pub const DESCRIPTION: &str = "a long list built by consing, walked, then dropped";

/// Nodes per unit of scale.
const NODES_PER_SCALE: u64 = 128 * 1024;
/// Raw bytes in each node besides its two slots (a list element's data).
const NODE_PAYLOAD: u64 = 16;
/// SMIs hold 31 bits; element numbers wrap below this.
const SMI_LIMIT: u64 = 1 << 30;

/// Keeps nothing: the list is dropped at the end.
pub fn run<C: Collector>(heap: &mut Heap<C>, scale: u32) -> Result<Vec<Persistent>, WorkloadError> {
    let length = NODES_PER_SCALE * u64::from(scale);
    let head = cons_list(heap, length)?;
    walk(heap, &head, length)?;
    // Dropping the one root makes the whole list garbage.
    drop(head);
    Ok(Vec::new())
}

fn element(index: u64) -> Value<'static> {
    // In range: below 2^30 by the modulus.
    Value::Smi((index % SMI_LIMIT) as i32)
}

/// Builds the list `length - 1, ..., 1, 0`; slot 0 holds the element, slot 1 the rest. The head
/// is held by a persistent handle, which each new node takes over.
fn cons_list<C: Collector>(heap: &mut Heap<C>, length: u64) -> Result<Persistent, WorkloadError> {
    let pair = heap.intern_type("Pair")?;
    let mut head = cons(heap, pair, 0, None)?;
    for index in 1..length {
        // The old head now lives through the new one.
        head = cons(heap, pair, index, Some(&head))?;
    }
    Ok(head)
}

/// A new node holding `element(index)` in front of `rest`, made in a handle scope of its own.
fn cons<C: Collector>(
    heap: &mut Heap<C>,
    pair: TypeId,
    index: u64,
    rest: Option<&Persistent>,
) -> Result<Persistent, WorkloadError> {
    heap.handle_scope(|heap, scope| {
        let node = heap.allocate(scope, pair, 2, NODE_PAYLOAD)?;
        heap.store(node, 0, element(index))?;
        if let Some(rest) = rest {
            heap.store(node, 1, rest)?;
        }
        Ok(heap.persistent(node)?)
    })
}

/// Walks the list from `head` with one local, checking every element.
fn walk<C: Collector>(
    heap: &mut Heap<C>,
    head: &Persistent,
    length: u64,
) -> Result<(), WorkloadError> {
    heap.handle_scope(|heap, scope| {
        let node = heap.local(scope, head)?;
        let mut seen = 0;
        loop {
            seen += 1;
            let expected = element(length.saturating_sub(seen));
            let found = heap.read(node, 0)?;
            if found != SlotContent::from(expected) {
                return Err(WorkloadError::WrongValue(format!(
                    "list node {seen} holds {found:?} instead of {expected:?}"
                )));
            }
            // `node` moves on to the rest of the list, if there is one.
            if heap.load_into(node, node, 1)? != SlotContent::Reference {
                break;
            }
        }
        if seen != length {
            return Err(WorkloadError::WrongValue(format!(
                "the list has {seen} nodes instead of {length}"
            )));
        }
        Ok(())
    })
}

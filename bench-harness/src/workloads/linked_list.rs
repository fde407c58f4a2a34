//! linked-list: a long list built by consing onto its head, kept alive while it is walked from
//! head to tail, then dropped all at once. Every node survives every collection that runs while
//! the list is built, and the list is as deep as it is long, which stresses marking (a worklist,
//! never recursion) and then sweeping a heap that suddenly holds only garbage.

use gc_core::{Collector, Handle, Heap, SlotContent, Value};

use super::WorkloadError;

pub const DESCRIPTION: &str = "a long list built by consing, walked, then dropped";

/// Nodes per unit of scale.
const NODES_PER_SCALE: u64 = 128 * 1024;
/// Raw bytes in each node besides its two slots (a list element's data).
const NODE_PAYLOAD: u64 = 16;
/// SMIs hold 31 bits; element numbers wrap below this.
const SMI_LIMIT: u64 = 1 << 30;

pub fn run<C: Collector>(heap: &mut Heap<C>, scale: u32) -> Result<(), WorkloadError> {
    let length = NODES_PER_SCALE * u64::from(scale);
    let head = cons_list(heap, length)?;
    walk(heap, head, length)?;
    // Dropping the one root makes the whole list garbage.
    Ok(heap.release(head)?)
}

fn element(index: u64) -> Value {
    // In range: below 2^30 by the modulus.
    Value::Smi((index % SMI_LIMIT) as i32)
}

/// Builds the list `length - 1, ..., 1, 0`; slot 0 holds the element, slot 1 the rest.
fn cons_list<C: Collector>(heap: &mut Heap<C>, length: u64) -> Result<Handle, WorkloadError> {
    let pair = heap.intern_type("Pair")?;
    let mut head = heap.allocate(pair, 2, NODE_PAYLOAD)?;
    heap.store(head, 0, element(0))?;
    for index in 1..length {
        let node = heap.allocate(pair, 2, NODE_PAYLOAD)?;
        heap.store(node, 0, element(index))?;
        heap.store(node, 1, Value::Ref(head))?;
        heap.release(head)?;
        head = node;
    }
    Ok(head)
}

/// Walks the list from `head`, checking every element; `head` stays rooted.
fn walk<C: Collector>(heap: &mut Heap<C>, head: Handle, length: u64) -> Result<(), WorkloadError> {
    heap.retain(head)?;
    let (mut node, mut seen) = (head, 0);
    loop {
        seen += 1;
        let expected = element(length.saturating_sub(seen));
        let found = heap.read(node, 0)?;
        if found != SlotContent::from(expected) {
            return Err(WorkloadError::WrongValue(format!(
                "list node {seen} holds {found:?} instead of {expected:?}"
            )));
        }
        let next = heap.load(node, 1)?;
        heap.release(node)?;
        match next {
            Value::Ref(rest) => node = rest,
            _ => break,
        }
    }
    if seen != length {
        return Err(WorkloadError::WrongValue(format!(
            "the list has {seen} nodes instead of {length}"
        )));
    }
    Ok(())
}

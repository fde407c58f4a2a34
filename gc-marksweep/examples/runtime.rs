//! A language runtime's view of gclab: a heap of records with string payloads, a cache that holds
//! its entries weakly, buffers that own off-heap memory, handle scopes, the `--trace-gc` log, and
//! what reaching the heap limit looks like.
//!
//! Run with `cargo run -p gc-marksweep --example runtime`.

use gc_core::{
    CollectionKind, Heap, HeapConfig, HeapError, PAGE_SIZE, Value, WeakHandle, trace_gc_line,
};
use gc_marksweep::MarkSweep;

fn main() -> Result<(), HeapError> {
    let config = HeapConfig {
        max_heap_bytes: 64 * PAGE_SIZE,
        ..HeapConfig::default()
    };
    let mut heap = Heap::new(config, MarkSweep::new()).expect("a valid configuration");
    heap.on_gc_event(Box::new(|event| {
        println!("{}", trace_gc_line(event, std::process::id(), 1))
    }));

    let record = heap.intern_type("Record")?;
    let string = heap.intern_type("String")?;
    let buffer = heap.intern_type("ArrayBuffer")?;

    // A global table of 64 records, each with a name string and a buffer of external memory.
    let table = heap.allocate(record, 64, 0)?;
    let mut cache: Vec<WeakHandle> = Vec::new();
    for round in 0..2_000u32 {
        heap.scope(|heap| -> Result<(), HeapError> {
            let entry = heap.allocate(record, 2, 0)?;
            let name = heap.allocate(string, 0, 24)?;
            heap.payload_mut(name)?[..8].copy_from_slice(&u64::from(round).to_le_bytes());
            let data = heap.allocate(buffer, 0, 0)?;
            heap.set_external_bytes(data, 16 * 1024)?;
            heap.store(entry, 0, Value::Ref(name))?;
            heap.store(entry, 1, Value::Ref(data))?;
            heap.store(table, u64::from(round % 64), Value::Ref(entry))?;
            cache.push(heap.downgrade(entry)?);
            Ok(())
        })?;
    }
    heap.collect(CollectionKind::Full);
    let alive = cache
        .iter()
        .filter(|&&w| heap.is_alive(w).unwrap_or(false))
        .count();
    println!(
        "cache: {alive} of {} entries still alive (the table holds 64)",
        cache.len()
    );
    let stats = heap.stats();
    println!(
        "heap: {} bytes in objects, {} committed, {} external, {} collections",
        stats.used_bytes, stats.committed_bytes, stats.external_bytes, stats.gc_count
    );

    // Keeping everything alive eventually reaches the limit: an error, not an abort.
    let mut kept = Vec::new();
    let error = loop {
        match heap.allocate(string, 0, 60_000) {
            Ok(handle) => kept.push(handle),
            Err(error) => break error,
        }
    };
    println!("after {} more strings: {error}", kept.len());
    for handle in kept {
        heap.release(handle)?;
    }
    heap.collect(CollectionKind::Full);
    println!(
        "released them: {} bytes in objects again",
        heap.stats().used_bytes
    );
    Ok(())
}

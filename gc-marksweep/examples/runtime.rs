//! A language runtime's view of gclab: a runtime struct that owns its heap, a handle scope (and
//! its locals) for the work of each call, a global table held by a persistent handle, records
//! with string payloads, a cache that holds its records weakly, buffers that own off-heap memory,
//! the `--trace-gc` log, and what reaching the heap limit looks like.
//!
//! Run with `cargo run -p gc-marksweep --example runtime`.

use std::collections::HashMap;

use gc_core::{
    CollectionKind, HandleScope, Heap, HeapConfig, HeapError, Local, PAGE_SIZE, Persistent, TypeId,
    Value, WeakHandle, trace_gc_line,
};
use gc_marksweep::MarkSweep;

/// Slots of the global table: each new record takes the slot of the one `TABLE_SLOTS` keys
/// before it, which only the cache then remembers.
const TABLE_SLOTS: u32 = 64;
/// Off-heap bytes each record's buffer owns.
const BUFFER_BYTES: u64 = 16 * 1024;

/// The runtime's object types.
#[derive(Copy, Clone)]
struct Types {
    /// A record: slot 0 its name, slot 1 its buffer. The global table is a record too.
    record: TypeId,
    string: TypeId,
    buffer: TypeId,
}

/// A runtime that keeps its heap in a field. Its methods open handle scopes with
/// `self.heap.handle_scopes().enter(..)`, which does not borrow the heap, so the scope's closure
/// can call the runtime's own `&mut self` methods; every local made inside is dropped when the
/// closure returns, early returns with `?` included.
struct Runtime {
    heap: Heap<MarkSweep>,
    types: Types,
    /// The global table: a root for as long as the runtime holds it.
    table: Persistent,
    /// Records by key, held weakly: the cache keeps nothing alive, so it finds a record only
    /// while something else (the table) still does.
    cache: HashMap<u32, WeakHandle>,
}

impl Runtime {
    fn new(config: HeapConfig) -> Result<Self, HeapError> {
        let mut heap = Heap::new(config, MarkSweep::new()).expect("a valid configuration");
        heap.on_gc_event(Box::new(|event| {
            println!("{}", trace_gc_line(event, std::process::id(), 1))
        }));
        let types = Types {
            record: heap.intern_type("Record")?,
            string: heap.intern_type("String")?,
            buffer: heap.intern_type("ArrayBuffer")?,
        };
        // Made in a scope, kept past it as a persistent handle.
        let table = heap.handle_scope(|heap, scope| {
            let table = heap.allocate(scope, types.record, TABLE_SLOTS.into(), 0)?;
            heap.persistent(table)
        })?;
        Ok(Runtime {
            heap,
            types,
            table,
            cache: HashMap::new(),
        })
    }

    /// Creates record `key`, puts it in the global table and remembers it in the cache.
    fn insert(&mut self, key: u32) -> Result<(), HeapError> {
        self.heap.handle_scopes().enter(|scope| {
            let record = self.new_record(scope, key)?;
            let slot = u64::from(key % TABLE_SLOTS);
            self.heap.store(&self.table, slot, record)?;
            let weak = self.heap.downgrade(record)?;
            if let Some(replaced) = self.cache.insert(key, weak) {
                self.heap.drop_weak(replaced)?;
            }
            Ok(())
        }) // The scope closes: its three locals go, and the table alone keeps the record.
    }

    /// A new record in `scope`: a name string and a buffer that owns off-heap memory. The
    /// returned local lives as long as the caller's scope.
    fn new_record<'s>(
        &mut self,
        scope: &mut HandleScope<'s>,
        key: u32,
    ) -> Result<Local<'s>, HeapError> {
        let Types {
            record,
            string,
            buffer,
        } = self.types;
        let heap = &mut self.heap;
        let entry = heap.allocate(scope, record, 2, 0)?;
        // Each allocation may collect: the locals keep `entry` and `name` alive meanwhile.
        let name =
            heap.allocate_with_bytes(scope, string, 0, format!("record {key}").as_bytes())?;
        let data = heap.allocate(scope, buffer, 0, 0)?;
        heap.set_external_bytes(data, BUFFER_BYTES)?;
        heap.store(entry, 0, name)?;
        heap.store(entry, 1, data)?;
        Ok(entry)
    }

    /// The name of record `key`, if the cache still finds the record.
    fn lookup(&mut self, key: u32) -> Result<Option<String>, HeapError> {
        let Some(&weak) = self.cache.get(&key) else {
            return Ok(None);
        };
        self.heap.handle_scopes().enter(|scope| {
            // Upgrading makes a local: the record cannot die while the scope is open.
            let Some(record) = self.heap.upgrade(scope, weak)? else {
                return Ok(None);
            };
            let Value::Ref(name) = self.heap.load(scope, record, 0)? else {
                return Ok(None);
            };
            let bytes = self.heap.payload(name)?;
            Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
        })
    }

    /// Forgets the cache entries whose records were collected; how many it forgot.
    fn prune_cache(&mut self) -> Result<usize, HeapError> {
        let mut collected = Vec::new();
        for (&key, &weak) in &self.cache {
            if !self.heap.is_alive(weak)? {
                collected.push(key);
            }
        }
        for key in &collected {
            if let Some(weak) = self.cache.remove(key) {
                self.heap.drop_weak(weak)?;
            }
        }
        Ok(collected.len())
    }
}

fn main() -> Result<(), HeapError> {
    let mut runtime = Runtime::new(HeapConfig {
        max_heap_bytes: 64 * PAGE_SIZE,
        ..HeapConfig::default()
    })?;

    // 2000 records, of which the table keeps the last 64.
    for key in 0..2_000 {
        runtime.insert(key)?;
    }
    runtime.heap.collect(CollectionKind::Full);
    let forgotten = runtime.prune_cache()?;
    println!(
        "cache: {} of {} entries still alive (the table holds {TABLE_SLOTS})",
        runtime.cache.len(),
        runtime.cache.len() + forgotten
    );
    for key in [0, 1_999] {
        match runtime.lookup(key)? {
            Some(name) => println!("lookup {key}: {name:?}"),
            None => println!("lookup {key}: collected"),
        }
    }
    let stats = runtime.heap.stats();
    println!(
        "heap: {} bytes in objects, {} committed, {} external, {} collections; \
         roots: {} persistent handle(s), {} locals",
        stats.used_bytes,
        stats.committed_bytes,
        stats.external_bytes,
        stats.gc_count,
        stats.handles,
        stats.local_handles
    );

    // Holding on to everything eventually reaches the heap limit: an error, not an abort.
    let string = runtime.types.string;
    let mut kept: Vec<Persistent> = Vec::new();
    let error = loop {
        let allocated = runtime.heap.handle_scope(|heap, scope| {
            let text = heap.allocate(scope, string, 0, 60_000)?;
            heap.persistent(text)
        });
        match allocated {
            Ok(text) => kept.push(text),
            Err(error) => break error,
        }
    };
    println!("after {} more strings: {error}", kept.len());
    drop(kept); // Dropping the persistent handles unroots the strings.
    runtime.heap.collect(CollectionKind::Full);
    println!(
        "dropped them: {} bytes in objects again",
        runtime.heap.stats().used_bytes
    );
    Ok(())
}

//! DevTools' rules one at a time, on small hand-written snapshots: backing stores folded into
//! their single owner, the user global dominating what it reaches, WeakMap tables not retaining
//! their values, and class names (types, element tags, detached natives, object shapes). The
//! whole against DevTools itself is `bench-harness/tests/devtools_inspect.rs` and
//! `scripts/check-devtools.sh`.

use gc_heapsnapshot::HeapSnapshot;
use gc_heapsnapshot::analysis::{Analysis, Like, inspect};
use gc_heapsnapshot::devtools_classes::devtools_classes;
use gc_heapsnapshot::owned_sizes::owned_sizes;
use gc_heapsnapshot::reader::read_from;

const NODE_TYPES: &str = r#"["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape"]"#;
const EDGE_TYPES: &str =
    r#"["context","element","property","internal","hidden","shortcut","weak"]"#;

/// A node: type, name, self size, detachedness, and its edges as (type, name or index, target).
struct N<'a>(&'a str, &'a str, u32, u32, Vec<(&'a str, &'a str, usize)>);

/// A snapshot of `nodes` (node 0 the root), V8's layout.
fn snapshot(nodes: &[N]) -> HeapSnapshot {
    let node_types: Vec<String> = serde_json::from_str(NODE_TYPES).unwrap();
    let edge_types: Vec<String> = serde_json::from_str(EDGE_TYPES).unwrap();
    let mut strings: Vec<String> = vec![String::new()];
    let mut string = |s: &str| match strings.iter().position(|t| t == s) {
        Some(i) => i,
        None => {
            strings.push(s.to_owned());
            strings.len() - 1
        }
    };
    let (mut node_numbers, mut edge_numbers) = (Vec::new(), Vec::new());
    for (id, N(kind, name, size, detachedness, edges)) in nodes.iter().enumerate() {
        let kind = node_types.iter().position(|t| t == kind).unwrap();
        node_numbers.extend([
            kind,
            string(name),
            id * 2 + 1,
            *size as usize,
            edges.len(),
            0,
        ]);
        node_numbers.push(*detachedness as usize);
        for (kind, name, to) in edges {
            let kind_index = edge_types.iter().position(|t| t == kind).unwrap();
            let name = match *kind {
                "element" | "hidden" => name.parse().unwrap(),
                _ => string(name),
            };
            edge_numbers.extend([kind_index, name, to * 7]);
        }
    }
    let text = format!(
        r#"{{"snapshot":{{"meta":{{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[{NODE_TYPES},"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[{EDGE_TYPES},"string_or_number","node"]}},"node_count":{},"edge_count":{}}},"nodes":{:?},"edges":{:?},"strings":{}}}"#,
        nodes.len(),
        edge_numbers.len() / 3,
        node_numbers,
        edge_numbers,
        serde_json::to_string(&strings).unwrap()
    );
    read_from("test.heapsnapshot", text.as_bytes()).expect("the test snapshot reads")
}

fn root(edges: Vec<(&'static str, &'static str, usize)>) -> N<'static> {
    N("synthetic", "", 0, 0, edges)
}

#[test]
fn a_backing_store_one_object_owns_counts_in_its_size() {
    let s = snapshot(&[
        root(vec![("shortcut", "global", 1)]),
        N(
            "object",
            "global",
            10,
            0,
            vec![("property", "a", 2), ("property", "b", 3)],
        ),
        N("object", "Array", 16, 0, vec![("internal", "elements", 4)]),
        N("object", "Array", 16, 0, vec![("internal", "elements", 5)]),
        N("array", "", 100, 0, vec![("internal", "x", 6)]),
        N("array", "", 40, 0, vec![("internal", "x", 6)]),
        // Reached from both arrays' stores: nobody's alone, so it keeps its size.
        N("hidden", "system / Thing", 8, 0, vec![]),
    ]);
    assert_eq!(owned_sizes(&s), [0, 10, 116, 56, 0, 0, 8]);
}

#[test]
fn without_user_roots_sizes_stay_as_written() {
    let s = snapshot(&[
        root(vec![("element", "1", 1)]),
        N("synthetic", "(GC roots)", 0, 0, vec![("element", "1", 2)]),
        N("object", "Array", 16, 0, vec![("internal", "elements", 3)]),
        N("array", "", 100, 0, vec![]),
    ]);
    assert_eq!(owned_sizes(&s), [0, 0, 16, 100]);
}

/// A global and a `(GC roots)` both reaching an object: DevTools gives it to the global,
/// memlab to the root.
fn global_and_gc_roots() -> HeapSnapshot {
    snapshot(&[
        root(vec![("shortcut", "global", 1), ("element", "1", 2)]),
        N("object", "global", 10, 0, vec![("property", "cache", 3)]),
        N(
            "synthetic",
            "(GC roots)",
            0,
            0,
            vec![("element", "1", 3), ("element", "2", 1)],
        ),
        N("object", "Cache", 1000, 0, vec![]),
    ])
}

#[test]
fn the_user_global_dominates_what_it_reaches() {
    let s = global_and_gc_roots();
    let devtools = Analysis::of(&s, Like::DevTools);
    assert_eq!(devtools.dominators.idom, [0, 0, 0, 1]);
    assert_eq!(devtools.retained(1), 1010);
    let memlab = Analysis::of(&s, Like::Memlab);
    assert_eq!(memlab.dominators.idom, [0, 0, 0, 0]);
    assert_eq!(memlab.retained(1), 10);
}

#[test]
fn a_weak_map_table_does_not_retain_its_values() {
    let pair = "1 / part of key (Key @7) -> value (Value @9) pair in WeakMap (table @5)";
    let s = snapshot(&[
        root(vec![("shortcut", "global", 1)]),
        N(
            "object",
            "global",
            10,
            0,
            vec![("property", "map", 2), ("property", "key", 3)],
        ),
        N(
            "hidden",
            "system / EphemeronHashTable",
            20,
            0,
            vec![("internal", pair, 4)],
        ),
        N("object", "Key", 30, 0, vec![("internal", pair, 4)]),
        N("object", "Value", 40, 0, vec![]),
    ]);
    let analysis = Analysis::of(&s, Like::DevTools);
    // The table is node 2 (id 5): only the key's edge retains the value.
    assert_eq!(analysis.dominators.idom[4], 3);
    assert_eq!(analysis.retained(3), 70);
}

#[test]
fn classes_are_named_as_devtools_names_them() {
    let shaped = |id| {
        N(
            "object",
            "Object",
            12,
            0,
            vec![
                ("property", "constructor", id),
                ("property", "__proto__", id),
            ],
        )
    };
    let s = snapshot(&[
        root(vec![("shortcut", "global", 1)]),
        N("object", "global", 10, 0, vec![]),
        N("closure", "f", 32, 0, vec![]),
        N("code", "(baseline code)", 64, 0, vec![]),
        N("hidden", "system / Map", 8, 0, vec![]),
        N("string", "hello", 16, 0, vec![]),
        N(
            "native",
            "<div id=\"a\" class=\"b\">",
            100,
            0,
            vec![("element", "1", 7)],
        ),
        N("native", "Node", 50, 2, vec![("element", "1", 8)]),
        N("native", "HTMLDivElement", 60, 0, vec![]),
        shaped(1),
        shaped(1),
        N("object", "Object", 12, 0, vec![("property", "lonely", 1)]),
    ]);
    let names: Vec<String> = devtools_classes(&s).into_iter().map(|k| k.name).collect();
    assert_eq!(
        names,
        [
            "(synthetic)",
            "global",
            "Function",
            "(compiled code)",
            "(system)",
            "(string)",
            "<div>",
            "Detached Node",
            "Detached HTMLDivElement",
            "{constructor}",
            "{constructor}",
            "Object",
        ]
    );
    let summary = inspect("test", &s, &Analysis::of(&s, Like::DevTools), 3);
    let shape = summary
        .classes
        .iter()
        .find(|c| c.name == "{constructor}")
        .unwrap();
    assert_eq!((shape.count, shape.shallow_size), (2, 24));
    // The root has no size: DevTools' Summary leaves it out.
    assert!(summary.classes.iter().all(|c| c.name != "(synthetic)"));
}

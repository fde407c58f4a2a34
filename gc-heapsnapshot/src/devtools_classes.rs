//! The class DevTools' Summary groups each node under (`HeapSnapshot.ts`:
//! `calculateObjectNames`, `inferInterfaceDefinitions`, `applyInterfaceDefinitions`,
//! `propagateDOMState`, `classKeyInternal`):
//!
//! - by node type: `(system)` for hidden, `(compiled code)` for code, `Function` for closures,
//!   `RegExp` for regexps, `(TYPE)` for the rest but objects and natives (`(string)`,
//!   `(array)`, `(object shape)`, `(synthetic)` ...);
//! - objects and natives by name, an element's attributes dropped (`<div id="a">` is `<div>`),
//!   and natives that the DOM state propagated from a detached node reaches are `Detached ...`;
//! - plain objects (`Object`) by their shape: the property lists shared by at least 2 objects
//!   and a thousandth of all plain objects become names like `{constructor}`, and each object
//!   takes the one with most properties it has (the more common one on a tie);
//! - an object with a location (where its constructor was defined) is a class of its own per
//!   location, so two constructors of one name stay apart.
//!
//! Invariant: equal keys mean one row of the Summary. DevTools keys unlocated classes by the
//! index of their name in its string table, where names it adds are never merged with the
//! snapshot's own, and then merges rows by name, the later one replacing the earlier: the
//! key keeps which table the name came from ([`NameSource`]) so that merge can be reproduced.

use std::cmp::Ordering;

use hashbrown::{HashMap, HashSet};

use super::model::{EdgeName, HeapSnapshot, Location};

/// Where DevTools' string for a class name comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NameSource {
    /// The snapshot's own string: the node's name as V8 wrote it.
    Snapshot,
    /// A string DevTools adds while naming classes.
    Added,
}

/// One row of DevTools' Summary, before rows of one name are merged.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClassKey {
    pub location: Option<Location>,
    pub source: NameSource,
    pub name: String,
}

const ATTACHED: u32 = 1;
const DETACHED: u32 = 2;
/// DevTools' `MIN_OBJECT_COUNT_PER_INTERFACE`, `MIN_OBJECT_PROPORTION_PER_INTERFACE` and
/// `MAX_INTERFACE_NAME_LENGTH` (in UTF-16 units, as JavaScript counts).
const MIN_OBJECTS_PER_SHAPE: f64 = 2.0;
const MIN_SHAPE_PROPORTION: f64 = 1000.0;
const MAX_SHAPE_NAME_LENGTH: usize = 120;

/// Each node's DevTools class.
pub fn devtools_classes(snapshot: &HeapSnapshot) -> Vec<ClassKey> {
    let detached = detached_natives(snapshot);
    let mut keys: Vec<ClassKey> = (0..snapshot.node_count())
        .map(|node| type_class(snapshot, node, detached.contains(&node)))
        .collect();
    let shapes = common_shapes(snapshot);
    let tree = ShapeTree::of(&shapes);
    for node in (0..snapshot.node_count()).filter(|&n| is_plain_object(snapshot, n)) {
        if let Some(shape) = tree.best_match(snapshot, node) {
            keys[node].source = NameSource::Added;
            keys[node].name = shapes[shape].name.clone();
        }
    }
    for (node, key) in keys.iter_mut().enumerate() {
        if snapshot.node_type(node) == "object" {
            key.location = snapshot.location(node);
        }
    }
    keys
}

fn added(name: String) -> ClassKey {
    ClassKey {
        location: None,
        source: NameSource::Added,
        name,
    }
}

fn type_class(snapshot: &HeapSnapshot, node: usize, detached: bool) -> ClassKey {
    match snapshot.node_type(node) {
        "hidden" => added("(system)".into()),
        "code" => added("(compiled code)".into()),
        "closure" => added("Function".into()),
        "regexp" => added("RegExp".into()),
        "object" | "native" => named_class(snapshot.node_name(node), detached),
        other => added(format!("({other})")),
    }
}

fn named_class(name: &str, detached: bool) -> ClassKey {
    let name = if detached {
        format!("Detached {name}")
    } else {
        name.to_owned()
    };
    // `<div id="a">` and `Detached <div id="a">` lose their attributes.
    let tag_start = if name.starts_with('<') {
        Some(0)
    } else if name.starts_with("Detached <") {
        Some("Detached ".len())
    } else {
        None
    };
    if let Some(start) = tag_start {
        return added(match name[start..].find(' ') {
            Some(space) => format!("{}>", &name[..start + space]),
            None => name,
        });
    }
    ClassKey {
        location: None,
        source: if detached {
            NameSource::Added
        } else {
            NameSource::Snapshot
        },
        name,
    }
}

/// The natives DOM state propagation marks detached: from each node the snapshot marks, over
/// edges but hidden and weak ones, through natives only; attached state wins.
fn detached_natives(snapshot: &HeapSnapshot) -> HashSet<usize> {
    let mut visited = vec![false; snapshot.node_count()];
    let mut state = vec![0u32; snapshot.node_count()];
    let (mut attached, mut detached) = (Vec::new(), Vec::new());
    let mut marked = HashSet::new();
    let mut process =
        |node: usize, new_state: u32, attached: &mut Vec<usize>, detached: &mut Vec<usize>| {
            if visited[node] {
                return;
            }
            visited[node] = true;
            if snapshot.node_type(node) != "native" {
                return;
            }
            state[node] = new_state;
            if new_state == ATTACHED {
                attached.push(node);
            } else if new_state == DETACHED {
                marked.insert(node);
                detached.push(node);
            }
        };
    for node in 0..snapshot.node_count() {
        let known = snapshot.detachedness(node);
        if known != 0 {
            process(node, known, &mut attached, &mut detached);
        }
    }
    while let Some(node) = attached.pop() {
        for child in propagating_children(snapshot, node) {
            process(child, ATTACHED, &mut attached, &mut detached);
        }
    }
    while let Some(node) = detached.pop() {
        for child in propagating_children(snapshot, node) {
            process(child, DETACHED, &mut attached, &mut detached);
        }
    }
    marked
}

fn propagating_children(snapshot: &HeapSnapshot, node: usize) -> Vec<usize> {
    snapshot
        .edges_of(node)
        .filter(|&edge| !matches!(snapshot.edge_type(edge), "hidden" | "weak"))
        .map(|edge| snapshot.edge_target(edge))
        .collect()
}

fn is_plain_object(snapshot: &HeapSnapshot, node: usize) -> bool {
    snapshot.node_type(node) == "object" && snapshot.node_name(node) == "Object"
}

/// A property list many plain objects start with, and its name (`{a, b}`).
struct Shape {
    name: String,
    properties: Vec<String>,
    count: u64,
}

/// The shapes DevTools names: per plain object, its leading properties (all but `__proto__`,
/// the name kept under 120 UTF-16 units); the most common first, down to the threshold.
fn common_shapes(snapshot: &HeapSnapshot) -> Vec<Shape> {
    let mut shapes: Vec<Shape> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut plain_objects = 0u64;
    for node in (0..snapshot.node_count()).filter(|&n| is_plain_object(snapshot, n)) {
        plain_objects += 1;
        let Some((name, properties)) = leading_shape(snapshot, node) else {
            continue;
        };
        match index.get(&name) {
            Some(&at) => shapes[at].count += 1,
            None => {
                index.insert(name.clone(), shapes.len());
                shapes.push(Shape {
                    name,
                    properties,
                    count: 1,
                });
            }
        }
    }
    // A stable sort: ties keep the order the shapes were first seen in.
    shapes.sort_by_key(|shape| std::cmp::Reverse(shape.count));
    let least = MIN_OBJECTS_PER_SHAPE.max(plain_objects as f64 / MIN_SHAPE_PROPORTION);
    shapes.retain(|shape| shape.count as f64 >= least);
    shapes
}

fn property_names(snapshot: &HeapSnapshot, node: usize) -> impl Iterator<Item = &str> {
    snapshot.edges_of(node).filter_map(move |edge| {
        match (snapshot.edge_type(edge), snapshot.edge_name(edge)) {
            ("property", EdgeName::Name(name)) => Some(name),
            _ => None,
        }
    })
}

fn leading_shape(snapshot: &HeapSnapshot, node: usize) -> Option<(String, Vec<String>)> {
    let mut name = String::from("{");
    let mut length = 1;
    let mut properties = Vec::new();
    for property in property_names(snapshot, node).filter(|&p| p != "__proto__") {
        let formatted = format_property_name(property);
        let formatted_length = utf16_length(&formatted);
        if length > 1 && length + formatted_length > MAX_SHAPE_NAME_LENGTH {
            break;
        }
        if length != 1 {
            name.push_str(", ");
            length += 2;
        }
        name.push_str(&formatted);
        length += formatted_length;
        properties.push(property.to_owned());
    }
    if properties.is_empty() {
        return None;
    }
    name.push('}');
    Some((name, properties))
}

/// A property name as DevTools shows it: quoted as JSON when it holds `,'"{}`.
fn format_property_name(name: &str) -> String {
    if name.contains([',', '\'', '"', '{', '}']) {
        serde_json::to_string(name).unwrap_or_else(|_| name.to_owned())
    } else {
        name.to_owned()
    }
}

fn utf16_length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// JavaScript's string order (by UTF-16 code units).
fn js_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A trie of the shapes' sorted properties: a path from the root spells a property set.
struct ShapeTree {
    next: Vec<HashMap<String, usize>>,
    greatest_next: Vec<Option<String>>,
    /// Per trie node, the shape that ends there (the earliest in the list).
    shape: Vec<Option<usize>>,
    /// Per shape, how many properties it lists.
    property_counts: Vec<usize>,
}

impl ShapeTree {
    fn of(shapes: &[Shape]) -> ShapeTree {
        let mut tree = ShapeTree {
            next: vec![HashMap::new()],
            greatest_next: vec![None],
            shape: vec![None],
            property_counts: shapes.iter().map(|s| s.properties.len()).collect(),
        };
        for (at, shape) in shapes.iter().enumerate() {
            let mut properties = shape.properties.clone();
            properties.sort_by(|a, b| js_order(a, b));
            let mut state = 0;
            for property in properties {
                state = tree.step_or_grow(state, property);
            }
            tree.shape[state].get_or_insert(at);
        }
        tree
    }

    fn step_or_grow(&mut self, state: usize, property: String) -> usize {
        if let Some(&next) = self.next[state].get(&property) {
            return next;
        }
        let next = self.next.len();
        self.next.push(HashMap::new());
        self.greatest_next.push(None);
        self.shape.push(None);
        let greatest = &mut self.greatest_next[state];
        if greatest
            .as_deref()
            .is_none_or(|g| js_order(g, &property) == Ordering::Less)
        {
            *greatest = Some(property.clone());
        }
        self.next[state].insert(property, next);
        next
    }

    /// The shape with most properties that `node` has them all of (the earliest on a tie).
    fn best_match(&self, snapshot: &HeapSnapshot, node: usize) -> Option<usize> {
        let mut properties: Vec<&str> = property_names(snapshot, node).collect();
        properties.sort_by(|a, b| js_order(a, b));
        let mut states = vec![0usize];
        let mut best = self.shape[0].map(|shape| (0usize, shape));
        for property in properties {
            let mut reached = Vec::new();
            states.retain(|&state| {
                if let Some(&next) = self.next[state].get(property) {
                    reached.push(next);
                }
                self.greatest_next[state]
                    .as_deref()
                    .is_some_and(|g| js_order(property, g) == Ordering::Less)
            });
            for next in reached {
                if !states.contains(&next) {
                    states.push(next);
                }
                if let Some(shape) = self.shape[next] {
                    best = better(best, (self.property_counts[shape], shape));
                }
            }
        }
        best.map(|(_, shape)| shape)
    }
}

/// DevTools' `selectBetterMatch` over `(property count, shape index)`.
fn better(current: Option<(usize, usize)>, candidate: (usize, usize)) -> Option<(usize, usize)> {
    match current {
        None => Some(candidate),
        Some(best) if candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 < best.1) => {
            Some(candidate)
        }
        keep => keep,
    }
}

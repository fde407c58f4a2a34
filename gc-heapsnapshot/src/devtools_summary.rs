//! DevTools' Summary of a snapshot (`HeapSnapshot.ts`: `buildAggregates`,
//! `calculateClassesRetainedSize`, `getAggregatesByClassKey`): per class the count and shallow
//! size of its nodes of non-zero shallow size, and the retained size of those of them no other
//! counted node of the class dominates.
//!
//! Invariant: rows are DevTools' rows. A class whose name one of DevTools' own strings and one
//! of the snapshot's both spell is one row, the class whose first node comes later (see
//! [`super::devtools_classes`]).

use hashbrown::HashMap;

use super::analysis::{Analysis, ClassSummary};
use super::devtools_classes::ClassKey;
use super::model::{HeapSnapshot, Location};

/// A row under construction, with the first node counted in it.
struct Row {
    first_node: usize,
    summary: ClassSummary,
}

/// The Summary's rows, in no particular order.
pub fn devtools_summary(snapshot: &HeapSnapshot, analysis: &Analysis) -> Vec<ClassSummary> {
    let keys = analysis.devtools_classes();
    let mut index: HashMap<&ClassKey, usize> = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut row_of = vec![usize::MAX; snapshot.node_count()];
    for (node, key) in keys.iter().enumerate() {
        let size = analysis.self_sizes[node];
        if size == 0 {
            continue;
        }
        let row = *index.entry(key).or_insert_with(|| {
            rows.push(Row {
                first_node: node,
                summary: ClassSummary {
                    name: key.name.clone(),
                    count: 0,
                    shallow_size: 0,
                    retained_size: 0,
                },
            });
            rows.len() - 1
        });
        row_of[node] = row;
        rows[row].summary.count += 1;
        rows[row].summary.shallow_size += size;
    }
    add_outermost_retained(analysis, &row_of, &mut rows);
    merge_by_name(rows, keys)
}

/// Walks the dominator tree: a counted node adds its retained size to its row unless a counted
/// node of the row that dominates anything encloses it.
fn add_outermost_retained(analysis: &Analysis, row_of: &[usize], rows: &mut [Row]) {
    let tree = analysis.dominators.tree();
    let mut open = vec![false; rows.len()];
    // (node, the row it opened): the second visit closes it.
    let mut stack = vec![(0usize, false, usize::MAX)];
    while let Some((node, leaving, opened)) = stack.pop() {
        if leaving {
            open[opened] = false;
            continue;
        }
        let row = row_of[node];
        let children = tree.children(node);
        if row != usize::MAX && !open[row] {
            rows[row].summary.retained_size += analysis.retained(node);
            if !children.is_empty() {
                open[row] = true;
                stack.push((node, true, row));
            }
        }
        stack.extend(children.iter().map(|&c| (c as usize, false, usize::MAX)));
    }
}

/// DevTools' public keys: the location and the name; of rows that share one, the later stays.
fn merge_by_name(rows: Vec<Row>, keys: &[ClassKey]) -> Vec<ClassSummary> {
    let mut kept: HashMap<(Option<Location>, String), Row> = HashMap::new();
    for row in rows {
        let key = &keys[row.first_node];
        let public = (key.location, key.name.clone());
        match kept.get(&public) {
            Some(other) if other.first_node > row.first_node => {}
            _ => {
                kept.insert(public, row);
            }
        }
    }
    kept.into_values().map(|row| row.summary).collect()
}

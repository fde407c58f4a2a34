//! The leaks `--check-deaths` found, as text: grouped by the shape of their retaining path, the
//! largest groups first, each with its count and one example path, at most [`MAX_GROUPS`]
//! groups and then how many more.
//!
//! A path's shape is the types along it, without ids or slot numbers, with a run of a repeating
//! block of types written once as `(A -> B)+`: the thousand links of one leaking chain are one
//! shape, whatever the chain's length. Invariant: the groups' counts add up to the leaks.

use std::io::{self, Write};

use crate::replay::{Leak, PathEntry};
use crate::units::count;

/// The groups printed; the rest are counted on one line.
pub const MAX_GROUPS: usize = 10;

/// The longest example path printed in full; longer ones show their two ends.
const PATH_ENDS: usize = 6;

/// The longest block of types a shape folds into one `(...)+`.
const MAX_BLOCK: usize = 4;

/// Leaks of one shape: how many, and the first one as the example.
struct Group<'l> {
    shape: String,
    count: usize,
    example: &'l Leak,
}

/// Writes `leaks` grouped by shape.
pub fn write_leaks(out: &mut impl Write, leaks: &[Leak]) -> io::Result<()> {
    let groups = group(leaks);
    let (objects, paths) = (
        count(leaks.len() as u64, "object"),
        count(groups.len() as u64, "path shape"),
    );
    writeln!(
        out,
        "  leaks: {objects} declared dead but reachable, {paths}"
    )?;
    for group in groups.iter().take(MAX_GROUPS) {
        writeln!(out, "    {} x {}", group.count, group.shape)?;
        let leak = group.example;
        let at = &leak.declared_dead_at;
        writeln!(
            out,
            "      e.g. object {} (dead at {at}): {}",
            leak.id,
            path(&leak.path)
        )?;
    }
    if groups.len() > MAX_GROUPS {
        let rest = &groups[MAX_GROUPS..];
        let objects: usize = rest.iter().map(|g| g.count).sum();
        let shapes = count(rest.len() as u64, "more path shape");
        writeln!(
            out,
            "    … and {shapes} ({})",
            count(objects as u64, "object")
        )?;
    }
    Ok(())
}

/// The groups, the largest first (ties in the order of their first leak).
fn group(leaks: &[Leak]) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    for leak in leaks {
        let shape = shape(&leak.path);
        match groups.iter_mut().find(|g| g.shape == shape) {
            Some(group) => group.count += 1,
            None => groups.push(Group {
                shape,
                count: 1,
                example: leak,
            }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups
}

/// The types along `path`, repeated blocks folded (see the module docs).
fn shape(path: &[PathEntry]) -> String {
    let types: Vec<&str> = path.iter().map(type_name).collect();
    let mut parts = Vec::new();
    let mut at = 0;
    while at < types.len() {
        match repeated_block(&types[at..]) {
            Some((block, times)) => {
                parts.push(format!("({})+", types[at..at + block].join(" -> ")));
                at += block * times;
            }
            None => {
                parts.push(types[at].to_owned());
                at += 1;
            }
        }
    }
    parts.join(" -> ")
}

/// The shortest block at the start of `types` that repeats right after itself, with how many
/// times it appears in a row; `None` when no block up to [`MAX_BLOCK`] long repeats.
fn repeated_block(types: &[&str]) -> Option<(usize, usize)> {
    (1..=MAX_BLOCK).find_map(|block| {
        let first = types.get(..block)?;
        let times = types
            .chunks_exact(block)
            .take_while(|c| c == &first)
            .count();
        (times >= 2).then_some((block, times))
    })
}

fn type_name(entry: &PathEntry) -> &str {
    if entry.type_name.is_empty() {
        "object"
    } else {
        &entry.type_name
    }
}

/// The path with ids and slots, its middle elided past `2 * PATH_ENDS` steps.
fn path(path: &[PathEntry]) -> String {
    let steps: Vec<String> = path.iter().map(path_step).collect();
    if steps.len() <= 2 * PATH_ENDS {
        return steps.join(" -> ");
    }
    let (head, tail) = (&steps[..PATH_ENDS], &steps[steps.len() - PATH_ENDS..]);
    let skipped = steps.len() - 2 * PATH_ENDS;
    format!(
        "{} -> ({skipped} more) -> {}",
        head.join(" -> "),
        tail.join(" -> ")
    )
}

/// `12 (Node) [1]`, or `? (Node)` for an object without an id.
fn path_step(entry: &PathEntry) -> String {
    let id = entry.id.map_or("?".to_owned(), |id| id.to_string());
    let name = type_name(entry);
    match entry.slot {
        Some(slot) => format!("{id} ({name}) [{slot}]"),
        None => format!("{id} ({name})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64, type_name: &str, slot: Option<u32>) -> PathEntry {
        PathEntry {
            id: Some(id),
            type_name: type_name.to_owned(),
            slot,
        }
    }

    /// A chain `Global -> (Thing -> Closure -> Context) x links -> Thing`.
    fn chain(links: u64) -> Vec<PathEntry> {
        let mut path = vec![entry(1, "Global", Some(0))];
        for link in 0..links {
            path.push(entry(10 * link + 2, "Thing", Some(1)));
            path.push(entry(10 * link + 3, "Closure", Some(0)));
            path.push(entry(10 * link + 4, "Context", Some(0)));
        }
        path.push(entry(999, "Thing", None));
        path
    }

    #[test]
    fn chains_of_any_length_have_one_shape() {
        let folded = "Global -> (Thing -> Closure -> Context)+ -> Thing";
        assert_eq!(shape(&chain(2)), folded);
        assert_eq!(shape(&chain(40)), folded);
        // One link does not repeat: nothing to fold.
        assert_eq!(
            shape(&chain(1)),
            "Global -> Thing -> Closure -> Context -> Thing"
        );
        let array = [
            entry(1, "Array", Some(3)),
            entry(2, "Array", Some(0)),
            entry(3, "", None),
        ];
        assert_eq!(shape(&array), "(Array)+ -> object");
    }

    #[test]
    fn groups_are_capped_largest_first() {
        let leak = |id, path| Leak {
            id,
            declared_dead_at: format!("line {id}"),
            path,
        };
        let mut leaks = vec![leak(7, vec![entry(7, "Lone", None)])];
        leaks.extend((0..3).map(|i| leak(i, chain(i + 2))));
        for kind in 0..MAX_GROUPS as u64 + 1 {
            leaks.push(leak(
                100 + kind,
                vec![entry(100 + kind, &format!("T{kind}"), None)],
            ));
        }
        let mut out = Vec::new();
        write_leaks(&mut out, &leaks).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "  leaks: 15 objects declared dead but reachable, 13 path shapes",
                "    3 x Global -> (Thing -> Closure -> Context)+ -> Thing",
                "      e.g. object 0 (dead at line 0): 1 (Global) [0] -> 2 (Thing) [1] -> \
                 3 (Closure) [0] -> 4 (Context) [0] -> 12 (Thing) [1] -> 13 (Closure) [0] -> \
                 14 (Context) [0] -> 999 (Thing)",
            ]
        );
        assert_eq!(lines[3], "    1 x Lone");
        assert_eq!(lines.len(), 1 + 2 * MAX_GROUPS + 1, "{text}");
        assert_eq!(
            lines.last(),
            Some(&"    … and 3 more path shapes (3 objects)")
        );
    }
}

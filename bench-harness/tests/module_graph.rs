//! A lint over the crate's own sources: no file imports a file that imports it back, except a
//! module and its own submodules (a submodule's `use super::` and its parent's `mod` are how
//! Rust splits a module into files). A cycle between files means neither can be read, moved or
//! tested without the other; the command line once had one with every command module.
//!
//! The graph is built from the text: every path that starts with `crate::`, `super::` or
//! `self::` outside comments and string literals, resolved to the file of the longest module
//! prefix it names. `bench_harness::` paths are not followed (only `main.rs`, the binary, has
//! them, and nothing imports it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A source file: its module path (`["compare", "table"]`; empty for the crate root), its name
/// relative to `src`, and its text.
struct SourceFile {
    module: Vec<String>,
    name: String,
    text: String,
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_sources(&src);
    assert!(
        files.iter().any(|file| file.name == "cli.rs") && files.len() > 10,
        "the crate's sources were not found under {}",
        src.display()
    );
    let cycles = cycles(&files);
    assert!(
        cycles.is_empty(),
        "files that import each other (a module and its own submodules excepted):\n{}",
        cycles.join("\n")
    );
}

/// Every `.rs` file under `src` but the binary's `main.rs` and `bin/`, which are other crates.
fn read_sources(src: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("{}: {error}", folder.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
                .path();
            let relative = path.strip_prefix(src).expect("a path under src");
            let name = relative.to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                if name != "bin" {
                    folders.push(path);
                }
            } else if name.ends_with(".rs") && name != "main.rs" {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                files.push(SourceFile {
                    module: module_path(&name),
                    name,
                    text,
                });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// The module a file under `src` is: `lib.rs` the root, `a/b.rs` and `a/b/mod.rs` `a::b`.
fn module_path(name: &str) -> Vec<String> {
    let mut parts: Vec<String> = name
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts.last().is_some_and(|last| last == "mod") || parts == ["lib"] {
        parts.pop();
    }
    parts
}

/// Each cycle between files, as `a.rs -> b.rs -> a.rs`; edges between a module and one of its
/// submodules (at any depth) are left out of the graph, as they are allowed.
fn cycles(files: &[SourceFile]) -> Vec<String> {
    let by_module: BTreeMap<&[String], usize> = files
        .iter()
        .enumerate()
        .map(|(index, file)| (file.module.as_slice(), index))
        .collect();
    let edges: Vec<BTreeSet<usize>> = files
        .iter()
        .map(|file| {
            references(file)
                .into_iter()
                .filter_map(|path| resolve(&by_module, &path))
                .filter(|&target| {
                    let other = &files[target].module;
                    !other.starts_with(&file.module) && !file.module.starts_with(other)
                })
                .collect()
        })
        .collect();
    let names: Vec<&str> = files.iter().map(|file| file.name.as_str()).collect();
    find_cycles(&edges, &names)
}

/// The file of the longest prefix of `path` that is a module with a file of its own.
fn resolve(by_module: &BTreeMap<&[String], usize>, path: &[String]) -> Option<usize> {
    (0..=path.len())
        .rev()
        .find_map(|length| by_module.get(&path[..length]).copied())
}

/// Every pair of files that import each other, then the longer cycles a depth-first search meets
/// (a search alone would name only one cycle through a file, where the pairs are the rule).
fn find_cycles(edges: &[BTreeSet<usize>], names: &[&str]) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnStack,
        Done,
    }
    fn visit(
        node: usize,
        edges: &[BTreeSet<usize>],
        state: &mut [State],
        stack: &mut Vec<usize>,
        found: &mut BTreeMap<BTreeSet<usize>, Vec<usize>>,
    ) {
        state[node] = State::OnStack;
        stack.push(node);
        for &next in &edges[node] {
            match state[next] {
                State::New => visit(next, edges, state, stack, found),
                State::OnStack => {
                    let start = stack.iter().rposition(|&n| n == next).unwrap_or(0);
                    let cycle = stack[start..].to_vec();
                    found
                        .entry(cycle.iter().copied().collect())
                        .or_insert(cycle);
                }
                State::Done => {}
            }
        }
        stack.pop();
        state[node] = State::Done;
    }
    let mut found = BTreeMap::new();
    for (a, targets) in edges.iter().enumerate() {
        for &b in targets.range(a + 1..) {
            if edges[b].contains(&a) {
                found.insert(BTreeSet::from([a, b]), vec![a, b]);
            }
        }
    }
    let mut state = vec![State::New; edges.len()];
    for node in 0..edges.len() {
        if state[node] == State::New {
            visit(node, edges, &mut state, &mut Vec::new(), &mut found);
        }
    }
    found
        .into_values()
        .map(|cycle| {
            let mut line: Vec<&str> = cycle.iter().map(|&n| names[n]).collect();
            line.push(names[cycle[0]]);
            line.join(" -> ")
        })
        .collect()
}

/// A word of Rust source, as far as paths need: identifiers, `::`, and single punctuation.
#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Colons,
    Punct(char),
}

/// The tokens of `text`, without its comments and its string and character literals.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            // Block comments nest.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_string(&chars, i + 1);
        } else if c == '\'' {
            // A character literal (`'a'`, `'\n'`, `'"'`), or else a lifetime's quote.
            if at(i + 1) == '\\' {
                // Past the backslash and the character it escapes (`'\''`).
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let raw = matches!(word.as_str(), "r" | "br" | "cr");
            if raw && (at(i) == '"' || at(i) == '#') {
                let hashes = (i..).take_while(|&j| at(j) == '#').count();
                if at(i + hashes) == '"' {
                    i = skip_raw_string(&chars, i + hashes + 1, hashes);
                    continue;
                }
                // `r#name`, a raw identifier: the name follows as a word.
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = skip_string(&chars, i + 1);
                continue;
            } else if word == "b" && at(i) == '\'' {
                continue;
            }
            tokens.push(Token::Ident(word));
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push(Token::Colons);
            i += 2;
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// The index after the string literal whose text starts at `i`.
fn skip_string(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The index after the raw string literal with `hashes` hashes whose text starts at `i`.
fn skip_raw_string(chars: &[char], mut i: usize, hashes: usize) -> usize {
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// The absolute module paths `file` names, from the crate root (`crate::a::b::Item` is
/// `["a", "b", "Item"]`); a `use` tree's braces give one path per leaf.
fn references(file: &SourceFile) -> Vec<Vec<String>> {
    let tokens = tokens(&file.text);
    let ident = |i: usize| match tokens.get(i) {
        Some(Token::Ident(word)) => Some(word.as_str()),
        _ => None,
    };
    let mut paths = Vec::new();
    // The inline modules (`mod tests { ... }`) open around the current token, with the brace
    // depth each opened at: `super` and `self` are relative to the innermost.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|&(_, opened)| opened == depth) {
                    inline.pop();
                }
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some(name), Some(Token::Punct('{'))) = (ident(i + 1), tokens.get(i + 2)) {
                    inline.push((name.to_owned(), depth));
                }
            }
            Token::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && tokens.get(i + 1) == Some(&Token::Colons)
                    // A path's start, not a later segment of one (`super::super::x`).
                    && (i == 0 || tokens[i - 1] != Token::Colons) =>
            {
                let mut base: Vec<String> = Vec::new();
                if word != "crate" {
                    base.extend(file.module.iter().cloned());
                    base.extend(inline.iter().map(|(name, _)| name.clone()));
                }
                if word == "super" {
                    base.pop();
                }
                i = use_tree(&tokens, i + 2, base, &mut paths);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    paths
}

/// Reads the path (or `use` tree) that starts at token `i` after `prefix::`, adding each path it
/// names to `paths`; returns the index of the first token after it.
fn use_tree(
    tokens: &[Token],
    mut i: usize,
    mut prefix: Vec<String>,
    paths: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match tokens.get(i) {
            Some(Token::Ident(word)) => {
                match word.as_str() {
                    "super" => {
                        prefix.pop();
                    }
                    "self" => {}
                    _ => prefix.push(word.clone()),
                }
                i += 1;
                if tokens.get(i) == Some(&Token::Colons) {
                    i += 1;
                    continue;
                }
                paths.push(prefix);
                return i;
            }
            Some(Token::Punct('{')) => {
                i += 1;
                while i < tokens.len() && tokens[i] != Token::Punct('}') {
                    if tokens[i] == Token::Punct(',') {
                        i += 1;
                        continue;
                    }
                    let next = use_tree(tokens, i, prefix.clone(), paths);
                    // Skip what a tree does not read (`as name`), up to its `,` or `}`.
                    i = next.max(i + 1);
                    while i < tokens.len()
                        && tokens[i] != Token::Punct(',')
                        && tokens[i] != Token::Punct('}')
                    {
                        i += 1;
                    }
                }
                return i + 1;
            }
            // `*`, or a path cut short: what came before it is what the file refers to.
            _ => {
                paths.push(prefix);
                return i;
            }
        }
    }
}

/// The lint on small made-up crates, the old layout among them.
mod in_memory {
    use super::*;

    fn file(name: &str, text: &str) -> SourceFile {
        SourceFile {
            module: module_path(name),
            name: name.to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn two_files_that_import_each_other_are_a_cycle() {
        // The command line's old layout: cli imports the command, the command its arguments.
        let files = [
            file("lib.rs", "pub mod cli;\npub mod compare;\n"),
            file(
                "cli.rs",
                "use crate::compare;\npub struct CompareArgs;\nfn f() { compare::run(); }\n",
            ),
            file(
                "compare.rs",
                "use crate::cli::CompareArgs;\npub fn run(_: &CompareArgs) {}\n",
            ),
        ];
        assert_eq!(cycles(&files), ["cli.rs -> compare.rs -> cli.rs"]);
    }

    #[test]
    fn longer_cycles_and_every_kind_of_path_are_found() {
        let files = [
            file("a.rs", "use crate::{b::{self, Thing as Other}, x};"),
            file("b.rs", "fn f() -> crate::c::C { todo!() }"),
            file("c.rs", "#[attr(x = crate::a::f())]\nstruct C;"),
        ];
        assert_eq!(cycles(&files), ["a.rs -> b.rs -> c.rs -> a.rs"]);
    }

    #[test]
    fn a_module_and_its_submodules_may_import_each_other() {
        let files = [
            file(
                "compare.rs",
                "pub mod table;\nuse crate::compare::table::write;",
            ),
            file(
                "compare/table.rs",
                "use crate::compare::Comparison;\nuse super::Plan;",
            ),
            file("compare/deep/inner.rs", "use crate::compare::Plan;"),
            file("compare/deep.rs", "use super::deep::inner::X;"),
        ];
        assert!(cycles(&files).is_empty(), "{:?}", cycles(&files));
    }

    #[test]
    fn siblings_through_super_are_followed() {
        let files = [
            file("gen/a.rs", "use super::b::B;"),
            file("gen/b.rs", "use super::{a, c};"),
        ];
        assert_eq!(cycles(&files), ["gen/a.rs -> gen/b.rs -> gen/a.rs"]);
    }

    #[test]
    fn comments_strings_and_inline_test_modules_are_no_imports() {
        let files = [
            file(
                "a.rs",
                "// use crate::b;\n/* crate::b /* nested */ crate::b */\n\
                 /// [`crate::b`]\nconst S: &str = \"crate::b\";\n\
                 const R: &str = r#\"crate::b\"#;\n\
                 const Q: char = '\"'; const E: char = '\\''; fn f<'a>(_: &'a str) {}\n\
                 #[cfg(test)]\nmod tests { use super::*; }\n",
            ),
            file("b.rs", "use crate::a;"),
        ];
        assert!(cycles(&files).is_empty(), "{:?}", cycles(&files));
        // A `use super::*` in the inline module of `b` is `b` itself, not its parent.
        let files = [
            file("lib.rs", "mod tests { use super::b; }"),
            file("b.rs", "mod tests { use super::*; }"),
        ];
        assert!(cycles(&files).is_empty(), "{:?}", cycles(&files));
    }

    #[test]
    fn modules_are_named_by_their_files() {
        assert!(module_path("lib.rs").is_empty());
        assert_eq!(module_path("compare.rs"), ["compare"]);
        assert_eq!(module_path("compare/table.rs"), ["compare", "table"]);
        assert_eq!(module_path("compare/mod.rs"), ["compare"]);
    }
}

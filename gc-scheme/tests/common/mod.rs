//! The benchmark suite as the tests find and assemble it.

use std::path::{Path, PathBuf};

/// The suite: `SCHEME_BENCHMARKS` if set (a worktree outside the usual layout), else the
/// workspace's sibling `shared/scheme-benchmarks`; `None` (said on standard output) when absent.
pub fn suite() -> Option<PathBuf> {
    let dir = match std::env::var_os("SCHEME_BENCHMARKS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/scheme-benchmarks"),
    };
    if dir.join("src/common.scm").is_file() {
        Some(dir)
    } else {
        println!("skipped: no benchmark suite at {}", dir.display());
        None
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The program as the suite's README assembles it.
pub fn assemble(suite: &Path, name: &str) -> String {
    let src = suite.join("src");
    [
        format!("{name}.scm"),
        "common.scm".into(),
        "common-postlude.scm".into(),
    ]
    .iter()
    .map(|file| read(&src.join(file)))
    .collect::<Vec<_>>()
    .join("\n")
}

/// The tests' own input for program `name`.
pub fn input(name: &str) -> String {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/inputs/{name}.input")))
}

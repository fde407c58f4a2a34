# Shared by the scripts that check gclab's output with other people's tools (memlab, Chrome
# DevTools): source it from the repository's root.

# Exits 0 with "$1: skipped" when node or npm is missing: the tools these checks drive need them.
skip_without_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "$1: skipped (node and npm are needed)"
        exit 0
    fi
}

# Builds the release `gclab` and sets `gclab` to its path.
build_gclab() {
    cargo build --release --quiet -p bench-harness
    gclab="${CARGO_TARGET_DIR:-$(pwd)/target}/release/gclab"
}

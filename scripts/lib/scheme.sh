# Shared by the scripts that run a Scheme benchmark folder (laid out as
# ../shared/scheme-benchmarks: src/ and inputs/) on gcscheme: source it after `root` is set to
# the repository's root.

# Builds the release `gcscheme` and sets `gcscheme` to its path.
build_gcscheme() {
  cargo build --quiet --release -p gc-scheme --manifest-path "$root/Cargo.toml"
  gcscheme="${CARGO_TARGET_DIR:-$root/target}/release/gcscheme"
}

# Writes program $2 of suite $1 as the suite runs it (the program, then common.scm and
# common-postlude.scm) to $3; with $4 set, the definitions $4 come between the program and
# common.scm (Guile needs `this-scheme-implementation-name`).
assemble_program() {
  { cat "$1/src/$2.scm"
    [[ -z ${4:-} ]] || echo "$4"
    cat "$1/src/common.scm" "$1/src/common-postlude.scm"; } >"$3"
}

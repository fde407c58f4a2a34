#!/usr/bin/env python3
"""Writes the malformed-trace corpus next to this script, and `expected.tsv`: one row per file,
FILE, WHERE (`line N`, `record N` or `file`), a fragment of the error message, and WHO refuses
it: `trace` (every reader: the file breaks the format) or `replay` (only a replay: the file is
well-formed, but the heap cannot do what it says).

Run it after changing a case: `python3 bench-harness/tests/malformed/make_corpus.py`. The files
are checked in; `tests/malformed_corpus.rs` runs `gclab replay` on each one."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
cases = []  # (file name, bytes, where, message fragment)


def text(name, body, where, fragment, who="trace"):
    cases.append((name + ".gct", body.encode() if isinstance(body, str) else body, where, fragment, who))


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(n):
    return (n << 1) ^ (n >> 63) if n >= 0 else ((-n) << 1) - 1


def binary(name, body, where, fragment, who="trace"):
    cases.append((name + ".gctb", body, where, fragment, who))


H = "gctrace 1\n"
# Every error of shared/trace-format.md, in text.
text("empty", "", "file", "the trace is empty")
text("only-comments", "# nothing\n\n   \n", "file", "the trace is empty")
text("wrong-header", "gctrace 2\na 1 0 0\n", "line 1", "the header is not `gctrace 1`")
text("header-with-more", "gctrace 1 extra\n", "line 1", "the header is not `gctrace 1`")
text("unknown-record", H + "x 1\n", "line 2", "unknown record `x`")
text("missing-field", H + "a 1 0\n", "line 2", "missing field BYTES")
text("missing-value", H + "a 1 1 0\nw 1 0\n", "line 3", "missing field VALUE")
text("extra-field", H + "a 1 0 0 Node extra\n", "line 2", "extra field `extra`")
text("extra-field-after-gc", H + "gc major\n", "line 2", "extra field `major`")
text("id-not-a-number", H + "a x1 0 0\n", "line 2", "ID `x1` is not a decimal integer")
text("negative-slots", H + "a 1 -2 0\n", "line 2", "SLOTS `-2` is not a decimal integer")
text("id-out-of-range", H + "a 9223372036854775808 0 0\n", "line 2", "out of range (at most 9223372036854775807)")
text("huge-slots", H + "a 1 99999999999999999999999999999999999999 0\n", "line 2", "SLOTS `99999999999999999999999999999999999999` is out of range")
text("huge-bytes", H + "a 1 0 18446744073709551616\n", "line 2", "BYTES `18446744073709551616` is out of range")
text("huge-external", H + "a 1 0 0\ne 1 99999999999999999999999\n", "line 3", "is out of range")
text("huge-think", H + "t 60000000001\n", "line 2", "NANOS `60000000001` is out of range")
text("object-too-large", H + "a 1 4294967295 4294967295\n", "line 2", "exceed the 1 GiB object limit", "replay")
text("never-allocated", H + "+ 7\n", "line 2", "object 7 is not live")
text("value-never-allocated", H + "a 1 1 0\nw 1 0 5\n", "line 3", "object 5 is not live")
text("already-live", H + "a 1 0 0\na 1 0 0\n", "line 3", "object 1 is already live")
text("slot-out-of-range", H + "a 1 2 0\nw 1 2 null\n", "line 3", "slot 2 is out of range: object 1 has 2 slots")
text("read-out-of-range", H + "a 1 0 0\nr 1 0\n", "line 3", "slot 0 is out of range")
text("root-count-below-zero", H + "a 1 0 0\n- 1\n- 1\n", "line 4", "would go below zero")
text("smi-too-large", H + "a 1 1 0\nw 1 0 i1073741824\n", "line 3", "SMI `i1073741824` is out of range")
text("smi-too-small", H + "a 1 1 0\nw 1 0 i-1073741825\n", "line 3", "SMI `i-1073741825` is out of range")
text("smi-huge", H + "a 1 1 0\nw 1 0 i99999999999999999999999999\n", "line 3", "is out of range")
text("bad-value", H + "a 1 1 0\nw 1 0 nil\n", "line 3", "`nil` is not a VALUE")
text("metadata-after-events", H + "a 1 0 0\n@ late yes\n", "line 3", "metadata (`@`) after the first event")
text("dead-id-touched", H + "a 1 0 0\n- 1\nd 1\n+ 1\n", "line 5", "object 1 is not live")
text("reclaimed-touched", H + "a 1 1 0\n- 1\ngc\nw 1 0 null\n", "line 5", "object 1 was already reclaimed", "replay")
text("crlf", "gctrace 1\r\na 1 0 0\r\nz\r\n", "line 3", "unknown record `z`")
text("long-line", H + "@ note " + "x" * (1 << 17) + "\n", "line 2", "the line is longer than")
text("not-utf8", b"gctrace 1\na 1 0 0 \xff\xfe\n", "line 2", "the line is not UTF-8")
text("nul-bytes", b"gctrace 1\na 1\x00 0 0\n", "line 2", "ID `1\\u{0}` is not a decimal integer")
text("escape-sequence", H + "\x1b[2J\x1b]0;owned\x07 1\n", "line 2", "unknown record `\\u{1b}[2J\\u{1b}]0;owned\\u{7}`")
# Truncated text: a line cut in the middle of its fields, and a file cut inside the header.
text("truncated-mid-record", H + "a 1 2 0 Node\na 2 2", "line 3", "missing field BYTES")
text("truncated-header", "gctr", "line 1", "the header is not `gctrace 1`")
# Binary garbage read as text (no `GCTB` magic).
garbage = bytes((i * 197 + 89) % 256 for i in range(4096))
text("binary-garbage", garbage, "line 1", "")
text("random-bytes-after-header", H.encode() + bytes((i * 31 + 7) % 256 for i in range(512)), "line 2", "")

# Binary traces: a valid prefix, then the fault.
MAGIC = b"GCTB" + varint(1)
ALLOC, NEW_LABEL, LABEL, W_SMI, ADD, DROP, END, THINK = 0x02, 0x03, 0x04, 0x06, 0x09, 0x0A, 0x00, 0x0D
a1 = bytes([ALLOC]) + varint(zigzag(1)) + varint(2) + varint(16)
binary("bin-not-binary-version", b"GCTB" + varint(2) + bytes([END]), "file", "version 2 is not supported")
binary("bin-truncated-in-record", MAGIC + a1[:-1], "record 1", "ends in the middle of a record")
binary("bin-missing-end", MAGIC + a1, "record 2", "no end marker")
binary("bin-unknown-opcode", MAGIC + a1 + bytes([0x7F]), "record 2", "corrupt")
binary("bin-varint-overflow", MAGIC + bytes([ALLOC]) + b"\xff" * 11 + b"\x01", "record 1", "corrupt")
binary("bin-huge-slots", MAGIC + bytes([ALLOC]) + varint(zigzag(1)) + varint(1 << 40) + varint(0) + bytes([END]), "record 1", "SLOTS `1099511627776` is out of range")
binary("bin-huge-text-length", MAGIC + bytes([NEW_LABEL]) + varint(zigzag(1)) + varint(0) + varint(0) + varint(1 << 60) + b"Node", "record 1", "ends in the middle of a record")
binary("bin-label-index-out-of-range", MAGIC + bytes([LABEL]) + varint(zigzag(1)) + varint(0) + varint(0) + varint(5) + bytes([END]), "record 1", "corrupt")
binary("bin-smi-out-of-range", MAGIC + a1 + bytes([W_SMI]) + varint(zigzag(0)) + varint(0) + varint(zigzag(1 << 30)) + bytes([END]), "record 2", "out of range")
binary("bin-root-below-zero", MAGIC + a1 + bytes([DROP]) + varint(0) + bytes([DROP]) + varint(0) + bytes([END]), "record 3", "would go below zero")
binary("bin-trailing-bytes", MAGIC + a1 + bytes([END]) + b"junk", "record 2", "bytes after the end marker")
binary("bin-magic-only", b"GCTB", "file", "ends in the middle of a record")
binary("bin-garbage-after-magic", MAGIC + bytes((i * 193 + 41) % 256 for i in range(4096)), "record 1", "unknown record opcode")

names = [c[0] for c in cases]
assert len(names) == len(set(names)), "duplicate case names"
for name in os.listdir(HERE):
    if name.endswith((".gct", ".gctb")):
        os.remove(os.path.join(HERE, name))
with open(os.path.join(HERE, "expected.tsv"), "w") as rows:
    rows.write("# file\twhere\tmessage fragment (empty: any message)\twho refuses it\n")
    for name, body, where, fragment, who in cases:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(body)
        rows.write(f"{name}\t{where}\t{fragment}\t{who}\n")
print(f"{len(cases)} malformed traces written to {HERE}")

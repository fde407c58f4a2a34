//! Reads a `.heapsnapshot` incrementally: the top-level object is scanned key by key, the
//! numeric arrays (`nodes`, `edges`) are parsed number by number straight into `u32` vectors, and
//! values gclab does not use (`samples`, `trace_tree` ...) are skipped without being
//! kept. Only the small `snapshot.meta` object goes through serde. Memory is the numeric arrays
//! and the strings, never the JSON text or a JSON tree of it.
//!
//! Every malformed input is an error naming the file and the byte offset.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::Deserialize;

use super::model::{HeapSnapshot, Layout, LocationFields, SnapshotError};

const BUFFER: usize = 1 << 16;
/// The most numbers reserved on the header's word when the input's size is unknown.
const UNKNOWN_SIZE_RESERVE: usize = 1 << 20;

/// Reads and checks the snapshot at `path`.
pub fn read_snapshot(path: &Path) -> Result<HeapSnapshot, SnapshotError> {
    let name = path.display().to_string();
    let file = File::open(path)
        .map_err(|error| SnapshotError::new(&name, format!("cannot open: {error}")))?;
    // Every number takes at least two bytes of the file (a digit and a comma).
    let most_numbers = file.metadata().map_or(UNKNOWN_SIZE_RESERVE, |m| {
        usize::try_from(m.len() / 2).unwrap_or(usize::MAX)
    });
    read_with_limit(&name, file, most_numbers)
}

/// Reads and checks a snapshot from `input`; `name` names it in errors.
pub fn read_from(name: &str, input: impl Read) -> Result<HeapSnapshot, SnapshotError> {
    read_with_limit(name, input, UNKNOWN_SIZE_RESERVE)
}

/// `most_numbers` bounds what the header's counts may reserve up front (a header that lies
/// cannot make the reader reserve more than the file could hold).
fn read_with_limit(
    name: &str,
    input: impl Read,
    most_numbers: usize,
) -> Result<HeapSnapshot, SnapshotError> {
    let mut scanner = Scanner::new(input, most_numbers);
    let parts = scanner
        .top_level()
        .map_err(|problem| SnapshotError::new(name, problem))?;
    let layout = parts
        .layout
        .ok_or_else(|| SnapshotError::new(name, "no `snapshot.meta`: not a V8 heap snapshot"))?;
    let nodes = parts
        .nodes
        .ok_or_else(|| SnapshotError::new(name, "no `nodes` array"))?;
    let edges = parts
        .edges
        .ok_or_else(|| SnapshotError::new(name, "no `edges` array"))?;
    let strings = parts
        .strings
        .ok_or_else(|| SnapshotError::new(name, "no `strings` array"))?;
    let mut snapshot = HeapSnapshot::new(name, layout, nodes, edges, strings)?;
    snapshot.extra_native_bytes = parts.extra_native_bytes;
    if let (Some(locations), Some(fields)) = (parts.locations, parts.location_fields) {
        snapshot.set_locations(name, &locations, fields)?;
    }
    Ok(snapshot)
}

#[derive(Default)]
struct Parts {
    layout: Option<Layout>,
    /// Numbers the header announces for `nodes` and `edges`, to size their vectors once.
    expected: (usize, usize),
    nodes: Option<Vec<u32>>,
    edges: Option<Vec<u32>>,
    strings: Option<Vec<String>>,
    locations: Option<Vec<u32>>,
    location_fields: Option<LocationFields>,
    extra_native_bytes: u64,
}

/// What `snapshot` tells the rest of the read.
struct Header {
    layout: Layout,
    expected: (usize, usize),
    location_fields: Option<LocationFields>,
    extra_native_bytes: u64,
}

/// `snapshot` as V8 writes it: `meta`, the counts, and the native bytes no node holds.
#[derive(Deserialize)]
struct SnapshotHeader {
    meta: Meta,
    #[serde(default)]
    node_count: u64,
    #[serde(default)]
    edge_count: u64,
    #[serde(default)]
    extra_native_bytes: u64,
}

#[derive(Deserialize)]
struct Meta {
    node_fields: Vec<String>,
    node_types: Vec<serde_json::Value>,
    edge_fields: Vec<String>,
    edge_types: Vec<serde_json::Value>,
    #[serde(default)]
    location_fields: Vec<String>,
}

fn layout_of(meta: Meta) -> Result<Layout, String> {
    let field = |fields: &[String], name: &str, of: &str| {
        fields
            .iter()
            .position(|f| f == name)
            .ok_or_else(|| format!("`snapshot.meta.{of}` has no `{name}`"))
    };
    let nf = &meta.node_fields;
    let ef = &meta.edge_fields;
    let node_type = field(nf, "type", "node_fields")?;
    let edge_type = field(ef, "type", "edge_fields")?;
    Ok(Layout {
        node_fields: nf.len(),
        node_type,
        node_name: field(nf, "name", "node_fields")?,
        node_id: field(nf, "id", "node_fields")?,
        node_self_size: field(nf, "self_size", "node_fields")?,
        node_edge_count: field(nf, "edge_count", "node_fields")?,
        node_detachedness: nf.iter().position(|f| f == "detachedness"),
        node_types: type_names(&meta.node_types, node_type, "node_types")?,
        edge_fields: ef.len(),
        edge_type,
        edge_name: field(ef, "name_or_index", "edge_fields")?,
        edge_to: field(ef, "to_node", "edge_fields")?,
        edge_types: type_names(&meta.edge_types, edge_type, "edge_types")?,
    })
}

/// The offsets of a `locations` entry's fields; `None` when the meta does not declare them all.
fn location_fields_of(meta: &Meta) -> Option<LocationFields> {
    let fields = &meta.location_fields;
    let at = |name: &str| fields.iter().position(|f| f == name);
    Some(LocationFields {
        count: fields.len(),
        object_index: at("object_index")?,
        script_id: at("script_id")?,
        line: at("line")?,
        column: at("column")?,
    })
}

fn type_names(types: &[serde_json::Value], at: usize, of: &str) -> Result<Vec<String>, String> {
    let list = types
        .get(at)
        .and_then(|v| v.as_array())
        .ok_or_else(|| format!("`snapshot.meta.{of}` has no list of type names"))?;
    list.iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("`snapshot.meta.{of}` has a type name that is not a string"))
}

/// A byte scanner with its own buffer (a `BufRead` call per byte would cost more than the parse).
struct Scanner<R: Read> {
    input: R,
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes consumed before `buffer[start]`.
    offset: u64,
    /// The most numbers an array may reserve before it is read.
    most_numbers: usize,
}

type Scan<T> = Result<T, String>;

impl<R: Read> Scanner<R> {
    fn new(input: R, most_numbers: usize) -> Self {
        Scanner {
            input,
            buffer: vec![0; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            offset: 0,
            most_numbers,
        }
    }

    fn peek(&mut self) -> Scan<Option<u8>> {
        if self.start == self.end {
            self.offset += self.end as u64;
            self.start = 0;
            self.end = loop {
                match self.input.read(&mut self.buffer) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(format!("cannot read: {e}")),
                }
            };
            if self.end == 0 {
                return Ok(None);
            }
        }
        Ok(Some(self.buffer[self.start]))
    }

    fn position(&self) -> u64 {
        self.offset + self.start as u64
    }

    fn fail<T>(&self, what: &str) -> Scan<T> {
        Err(format!("byte {}: {what}", self.position()))
    }

    fn bump(&mut self) {
        self.start += 1;
    }

    /// The next byte that is not white space, not consumed.
    fn peek_token(&mut self) -> Scan<u8> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.bump(),
                Some(byte) => return Ok(byte),
                None => return self.fail("unexpected end of file"),
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Scan<()> {
        if self.peek_token()? != byte {
            return self.fail(&format!("expected `{}`", byte as char));
        }
        self.bump();
        Ok(())
    }

    fn top_level(&mut self) -> Scan<Parts> {
        let mut parts = Parts::default();
        self.expect(b'{')?;
        if self.peek_token()? == b'}' {
            return Ok(parts);
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            match key.as_str() {
                "snapshot" => {
                    let header = self.header()?;
                    parts.layout = Some(header.layout);
                    parts.expected = header.expected;
                    parts.location_fields = header.location_fields;
                    parts.extra_native_bytes = header.extra_native_bytes;
                }
                "nodes" => parts.nodes = Some(self.numbers("nodes", parts.expected.0)?),
                "edges" => parts.edges = Some(self.numbers("edges", parts.expected.1)?),
                "strings" => parts.strings = Some(self.strings()?),
                "locations" => parts.locations = Some(self.numbers("locations", 0)?),
                _ => self.skip_value()?,
            }
            match self.peek_token()? {
                b',' => self.bump(),
                b'}' => return Ok(parts),
                _ => return self.fail("expected `,` or `}` in the top-level object"),
            }
        }
    }

    /// The layout, and how many numbers `nodes` and `edges` should hold.
    fn header(&mut self) -> Scan<Header> {
        let mut raw = Vec::new();
        self.capture_value(&mut raw)?;
        let header: SnapshotHeader = serde_json::from_slice(&raw)
            .map_err(|e| format!("`snapshot` is not a V8 snapshot header: {e}"))?;
        let numbers = |count: u64, fields: usize| {
            usize::try_from(count.saturating_mul(fields as u64)).unwrap_or(usize::MAX)
        };
        let nodes = numbers(header.node_count, header.meta.node_fields.len());
        let edges = numbers(header.edge_count, header.meta.edge_fields.len());
        Ok(Header {
            location_fields: location_fields_of(&header.meta),
            extra_native_bytes: header.extra_native_bytes,
            layout: layout_of(header.meta)?,
            expected: (nodes, edges),
        })
    }

    /// An array of non-negative integers that fit in 32 bits (V8's readers hold them in
    /// `Uint32Array`s, so a larger number would be misread there).
    fn numbers(&mut self, name: &str, expected: usize) -> Scan<Vec<u32>> {
        // The header's count sizes the vector once (a doubling vector holds up to twice what it
        // needs); a header that lies costs at most what the file could hold.
        let mut numbers = Vec::with_capacity(expected.min(self.most_numbers));
        self.expect(b'[')?;
        if self.peek_token()? == b']' {
            self.bump();
            return Ok(numbers);
        }
        loop {
            self.peek_token()?;
            let mut value: u64 = 0;
            let mut digits = 0;
            while let Some(byte @ b'0'..=b'9') = self.peek()? {
                value = value * 10 + u64::from(byte - b'0');
                digits += 1;
                if value > u64::from(u32::MAX) {
                    return self.fail(&format!("a number in `{name}` exceeds 2^32 - 1"));
                }
                self.bump();
            }
            if digits == 0 {
                return self.fail(&format!(
                    "`{name}` holds something that is not a non-negative integer"
                ));
            }
            numbers.push(value as u32);
            match self.peek_token()? {
                b',' => self.bump(),
                b']' => {
                    self.bump();
                    return Ok(numbers);
                }
                _ => return self.fail(&format!("expected `,` or `]` in `{name}`")),
            }
        }
    }

    fn strings(&mut self) -> Scan<Vec<String>> {
        let mut strings = Vec::new();
        self.expect(b'[')?;
        if self.peek_token()? == b']' {
            self.bump();
            return Ok(strings);
        }
        loop {
            strings.push(self.string()?);
            match self.peek_token()? {
                b',' => self.bump(),
                b']' => {
                    self.bump();
                    return Ok(strings);
                }
                _ => return self.fail("expected `,` or `]` in `strings`"),
            }
        }
    }

    /// A JSON string; escapes are decoded by serde_json (only strings holding one pay for it).
    fn string(&mut self) -> Scan<String> {
        if self.peek_token()? != b'"' {
            return self.fail("expected a string");
        }
        let mut raw = Vec::new();
        let escaped = self.raw_string(&mut raw)?;
        if escaped {
            return serde_json::from_slice(&raw).map_err(|e| format!("a bad string: {e}"));
        }
        match String::from_utf8(raw) {
            Ok(mut text) => {
                text.pop();
                text.remove(0);
                Ok(text)
            }
            Err(_) => self.fail("a string that is not UTF-8"),
        }
    }

    /// Copies a string token, quotes included, into `raw`; whether it held an escape.
    fn raw_string(&mut self, raw: &mut Vec<u8>) -> Scan<bool> {
        self.bump();
        raw.push(b'"');
        let mut escaped = false;
        loop {
            let Some(byte) = self.peek()? else {
                return self.fail("a string runs to the end of the file");
            };
            // Copy the run of plain bytes in one go.
            let run = self.buffer[self.start..self.end]
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .unwrap_or(self.end - self.start);
            if run > 0 {
                raw.extend_from_slice(&self.buffer[self.start..self.start + run]);
                self.start += run;
                continue;
            }
            self.bump();
            raw.push(byte);
            if byte == b'"' {
                return Ok(escaped);
            }
            escaped = true;
            match self.peek()? {
                Some(next) => {
                    raw.push(next);
                    self.bump();
                }
                None => return self.fail("a string runs to the end of the file"),
            }
        }
    }

    /// Copies one JSON value's text into `raw`.
    fn capture_value(&mut self, raw: &mut Vec<u8>) -> Scan<()> {
        let mut depth = 0usize;
        loop {
            let byte = self.peek_token()?;
            match byte {
                b'"' => {
                    self.raw_string(raw)?;
                }
                b'{' | b'[' => {
                    depth += 1;
                    raw.push(byte);
                    self.bump();
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return self.fail("an unbalanced bracket");
                    }
                    depth -= 1;
                    raw.push(byte);
                    self.bump();
                }
                _ => {
                    raw.push(byte);
                    self.bump();
                    if depth == 0 {
                        // A scalar at the top: read to its end.
                        while let Some(b) = self.peek()? {
                            if matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                                break;
                            }
                            raw.push(b);
                            self.bump();
                        }
                    }
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Skips one JSON value without keeping it (strings are still scanned for their quotes).
    fn skip_value(&mut self) -> Scan<()> {
        let mut depth = 0usize;
        let mut scratch = Vec::new();
        loop {
            let byte = self.peek_token()?;
            match byte {
                b'"' => {
                    scratch.clear();
                    self.raw_string(&mut scratch)?;
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.bump();
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return self.fail("an unbalanced bracket");
                    }
                    depth -= 1;
                    self.bump();
                }
                b',' | b':' if depth > 0 => self.bump(),
                _ => {
                    self.bump();
                    while let Some(b) = self.peek()? {
                        if matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t' | b':') {
                            break;
                        }
                        self.bump();
                    }
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#""snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],"node_types":[["synthetic","object"],"string","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["element","property","weak"],"string_or_number","node"]},"node_count":2,"edge_count":1}"#;

    fn read(text: &str) -> Result<HeapSnapshot, SnapshotError> {
        read_from("t.heapsnapshot", text.as_bytes())
    }

    #[test]
    fn a_small_snapshot_reads_with_escapes_and_skipped_parts() {
        let text = format!(
            "{{{META},\n\"nodes\":[0,0,1,0,1,\n1,1,3,16,0],\"edges\":[1,1,5],\"locations\":[],\"samples\":[[1,2],{{\"a\":\"]\"}}],\"strings\":[\"\",\"A\\\"b\\u00e9\"]}}"
        );
        let snapshot = read(&text).unwrap();
        assert_eq!(snapshot.node_count(), 2);
        assert_eq!(snapshot.node_name(1), "A\"bé");
        assert_eq!(snapshot.edge_type(0), "property");
        assert_eq!(snapshot.edge_target(0), 1);
        assert_eq!(snapshot.self_size(1), 16);
    }

    #[test]
    fn a_header_that_lies_about_its_counts_reserves_little_and_reads_right() {
        let meta = META.replace("\"node_count\":2", "\"node_count\":4000000000");
        let text = format!(
            "{{{meta},\"nodes\":[0,0,1,0,1,1,1,3,16,0],\"edges\":[1,1,5],\"strings\":[\"\",\"x\"]}}"
        );
        let snapshot = read(&text).unwrap();
        assert_eq!(snapshot.node_count(), 2);
        assert!(snapshot.nodes.capacity() <= UNKNOWN_SIZE_RESERVE);
    }

    #[test]
    fn bad_snapshots_are_errors_naming_the_problem() {
        let cases = [
            (String::from("[]"), "byte 0: expected `{`"),
            (
                format!(
                    "{{{META},\"nodes\":[0,0,1,0,1,1,1,3,16,0],\"edges\":[1,2,7],\"strings\":[\"\",\"x\"]}}"
                ),
                "to_node 7 is not a node's start",
            ),
            (
                format!(
                    "{{{META},\"nodes\":[0,0,1,0,2,1,1,3,16,0],\"edges\":[1,2,5],\"strings\":[\"\",\"x\"]}}"
                ),
                "add up to 2 edges, but `edges` holds 1",
            ),
            (
                format!(
                    "{{{META},\"nodes\":[0,0,1,0,1,1,9,3,16,0],\"edges\":[1,2,5],\"strings\":[\"\",\"x\"]}}"
                ),
                "node 1: name 9 is past the 2 strings",
            ),
            (
                format!(
                    "{{{META},\"nodes\":[0,0,1,0,1,1,1,3,-16,0],\"edges\":[1,2,5],\"strings\":[\"\",\"x\"]}}"
                ),
                "not a non-negative integer",
            ),
            (
                format!("{{{META},\"nodes\":[0,0,1,0,1,1,1,3,99999999999,0]"),
                "exceeds 2^32 - 1",
            ),
            (
                format!("{{{META},\"nodes\":[0,0,1"),
                "unexpected end of file",
            ),
            (
                String::from("{\"nodes\":[],\"edges\":[],\"strings\":[]}"),
                "no `snapshot.meta`",
            ),
        ];
        for (text, expected) in cases {
            let error = read(&text).unwrap_err().to_string();
            assert!(error.starts_with("t.heapsnapshot: "), "{error}");
            assert!(error.contains(expected), "{error} (wanted {expected})");
        }
    }
}

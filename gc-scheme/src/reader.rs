//! The reader: Scheme source text into [`Datum`]s, each list carrying the line it starts on.
//!
//! Data read here live in Rust only until the compiler turns them into code and heap constants,
//! or `read` turns them into heap values; nothing here touches the heap.

use crate::errors::{Error, Result};

/// A datum as read, before it becomes code or a heap value.
#[derive(Clone, Debug, PartialEq)]
pub enum Datum {
    Int(i64),
    Float(f64),
    Bool(bool),
    Char(char),
    Str(String),
    Sym(String),
    /// A proper list (`tail` is `None`) or an improper one, and the line of its `(`.
    List(Vec<Datum>, Option<Box<Datum>>, u32),
    Vector(Vec<Datum>),
}

impl Datum {
    pub fn sym(name: &str) -> Datum {
        Datum::Sym(name.to_string())
    }

    pub fn list(items: Vec<Datum>, line: u32) -> Datum {
        Datum::List(items, None, line)
    }

    pub fn as_sym(&self) -> Option<&str> {
        match self {
            Datum::Sym(name) => Some(name),
            _ => None,
        }
    }

    /// The items of a proper list.
    pub fn as_list(&self) -> Option<&[Datum]> {
        match self {
            Datum::List(items, None, _) => Some(items),
            _ => None,
        }
    }
}

/// Reads data one at a time from a text, in place: reading a datum costs its own length, not
/// the text's, so `read` from a large port stays linear.
pub struct Reader<'t> {
    text: &'t str,
    /// A byte offset into `text`, always at a character boundary.
    pos: usize,
    line: u32,
}

impl<'t> Reader<'t> {
    pub fn new(text: &'t str) -> Self {
        Reader {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The character at byte `pos` (`pos` past the current character only when that one is
    /// ASCII, as every lookahead here is).
    fn char_at(&self, pos: usize) -> Option<char> {
        self.text.get(pos..)?.chars().next()
    }

    /// Every datum of the text.
    pub fn read_all(text: &str) -> Result<Vec<Datum>> {
        let mut reader = Reader::new(text);
        let mut data = Vec::new();
        while let Some(datum) = reader.next_datum()? {
            data.push(datum);
        }
        Ok(data)
    }

    /// How many bytes of the text the data read so far took.
    pub fn consumed_bytes(&self) -> usize {
        self.pos
    }

    fn peek(&self) -> Option<char> {
        self.char_at(self.pos)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_atmosphere(&mut self) -> Result<()> {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == ';' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else if c == '#' && self.char_at(self.pos + 1) == Some('|') {
                self.skip_block_comment()?;
            } else if c == '#' && self.char_at(self.pos + 1) == Some(';') {
                self.pos += 2;
                if self.next_datum()?.is_none() {
                    return Err(Error::syntax("end of input after #;", self.line));
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    fn skip_block_comment(&mut self) -> Result<()> {
        let start = self.line;
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            match self.bump() {
                None => return Err(Error::syntax("unterminated #| comment", start)),
                Some('|') if self.peek() == Some('#') => {
                    self.bump();
                    depth -= 1;
                }
                Some('#') if self.peek() == Some('|') => {
                    self.bump();
                    depth += 1;
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The next datum, or `None` at the end of the text.
    pub fn next_datum(&mut self) -> Result<Option<Datum>> {
        self.skip_atmosphere()?;
        let line = self.line;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let datum = match c {
            '(' | '[' => {
                self.bump();
                self.read_list(if c == '(' { ')' } else { ']' }, line)?
            }
            ')' | ']' => return Err(Error::syntax(format!("unexpected '{c}'"), line)),
            '\'' => self.read_abbreviation("quote", line)?,
            '`' => self.read_abbreviation("quasiquote", line)?,
            ',' => {
                self.bump();
                if self.peek() == Some('@') {
                    self.read_abbreviation("unquote-splicing", line)?
                } else {
                    self.pos -= 1;
                    self.read_abbreviation("unquote", line)?
                }
            }
            '"' => self.read_string(line)?,
            '#' => self.read_hash(line)?,
            _ => self.read_atom(),
        };
        Ok(Some(datum))
    }

    fn read_abbreviation(&mut self, name: &str, line: u32) -> Result<Datum> {
        self.bump();
        match self.next_datum()? {
            Some(datum) => Ok(Datum::list(vec![Datum::sym(name), datum], line)),
            None => Err(Error::syntax(format!("end of input after {name}"), line)),
        }
    }

    fn read_list(&mut self, close: char, line: u32) -> Result<Datum> {
        let mut items = Vec::new();
        loop {
            self.skip_atmosphere()?;
            match self.peek() {
                None => return Err(Error::syntax("unterminated list", line)),
                Some(c) if c == close => {
                    self.bump();
                    return Ok(Datum::List(items, None, line));
                }
                Some('.') if self.is_delimiter_at(self.pos + 1) => {
                    self.bump();
                    let tail = self
                        .next_datum()?
                        .ok_or_else(|| Error::syntax("unterminated list", line))?;
                    self.skip_atmosphere()?;
                    if self.bump() != Some(close) || items.is_empty() {
                        return Err(Error::syntax("bad dotted list", line));
                    }
                    return Ok(Datum::List(items, Some(Box::new(tail)), line));
                }
                Some(_) => {
                    if let Some(datum) = self.next_datum()? {
                        items.push(datum);
                    }
                }
            }
        }
    }

    fn is_delimiter_at(&self, pos: usize) -> bool {
        self.char_at(pos)
            .is_none_or(|c| c.is_whitespace() || "()[]\";".contains(c))
    }

    fn read_string(&mut self, line: u32) -> Result<Datum> {
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(Error::syntax("unterminated string", line)),
                Some('"') => return Ok(Datum::Str(text)),
                Some('\\') => match self.bump() {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('r') => text.push('\r'),
                    Some('a') => text.push('\u{7}'),
                    Some('0') => text.push('\0'),
                    Some('\n') => {
                        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
                            self.bump();
                        }
                    }
                    Some(c) => text.push(c),
                    None => return Err(Error::syntax("unterminated string", line)),
                },
                Some(c) => text.push(c),
            }
        }
    }

    fn read_hash(&mut self, line: u32) -> Result<Datum> {
        match self.char_at(self.pos + 1) {
            Some('(') => {
                self.pos += 2;
                match self.read_list(')', line)? {
                    Datum::List(items, None, _) => Ok(Datum::Vector(items)),
                    _ => Err(Error::syntax("bad vector literal", line)),
                }
            }
            Some('\\') => {
                self.pos += 2;
                self.read_char(line)
            }
            _ => {
                let token = self.token();
                match token.as_str() {
                    "#t" | "#true" => Ok(Datum::Bool(true)),
                    "#f" | "#false" => Ok(Datum::Bool(false)),
                    _ => parse_number(&token)
                        .ok_or_else(|| Error::syntax(format!("bad syntax {token}"), line)),
                }
            }
        }
    }

    fn read_char(&mut self, line: u32) -> Result<Datum> {
        let first = self
            .bump()
            .ok_or_else(|| Error::syntax("end of input in character", line))?;
        let mut name = String::from(first);
        while !self.is_delimiter_at(self.pos) {
            name.extend(self.bump());
        }
        if name.chars().count() == 1 {
            return Ok(Datum::Char(first));
        }
        let c = match name.as_str() {
            "space" => ' ',
            "newline" | "linefeed" | "nl" => '\n',
            "tab" => '\t',
            "return" => '\r',
            "null" | "nul" => '\0',
            "alarm" => '\u{7}',
            "backspace" => '\u{8}',
            "delete" | "rubout" => '\u{7f}',
            "escape" | "altmode" => '\u{1b}',
            _ => name
                .strip_prefix('x')
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32)
                .ok_or_else(|| Error::syntax(format!("unknown character #\\{name}"), line))?,
        };
        Ok(Datum::Char(c))
    }

    fn token(&mut self) -> String {
        let mut token = String::new();
        while !self.is_delimiter_at(self.pos) {
            token.extend(self.bump());
        }
        token
    }

    fn read_atom(&mut self) -> Datum {
        let token = self.token();
        if token.starts_with('|') && token.ends_with('|') && token.len() >= 2 {
            return Datum::Sym(token[1..token.len() - 1].to_string());
        }
        parse_number(&token).unwrap_or(Datum::Sym(token))
    }
}

/// A number in Scheme syntax (decimal integers and reals, `#x`/`#b`/`#o`/`#d`/`#e`/`#i`
/// prefixes), or `None`.
pub fn parse_number(token: &str) -> Option<Datum> {
    let mut text = token;
    let mut radix = 10;
    let mut exactness = None;
    while let Some(rest) = text.strip_prefix('#') {
        let mut chars = rest.chars();
        match chars.next()?.to_ascii_lowercase() {
            'x' => radix = 16,
            'b' => radix = 2,
            'o' => radix = 8,
            'd' => radix = 10,
            'e' => exactness = Some(true),
            'i' => exactness = Some(false),
            _ => return None,
        }
        text = chars.as_str();
    }
    let number = parse_real(text, radix)?;
    Some(match (exactness, number) {
        (Some(false), Datum::Int(n)) => Datum::Float(n as f64),
        (Some(true), Datum::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => {
            Datum::Int(f as i64)
        }
        (_, number) => number,
    })
}

fn parse_real(text: &str, radix: u32) -> Option<Datum> {
    if text.is_empty() {
        return None;
    }
    if let Ok(n) = i64::from_str_radix(text, radix) {
        let first = text.chars().next()?;
        if first == '+' && text.len() == 1 {
            return None;
        }
        return Some(Datum::Int(n));
    }
    if radix != 10 {
        return None;
    }
    match text {
        "+inf.0" => return Some(Datum::Float(f64::INFINITY)),
        "-inf.0" => return Some(Datum::Float(f64::NEG_INFINITY)),
        "+nan.0" | "-nan.0" => return Some(Datum::Float(f64::NAN)),
        _ => {}
    }
    let starts_numeric = text
        .trim_start_matches(['+', '-'])
        .starts_with(|c: char| c.is_ascii_digit() || c == '.');
    let valid = text
        .chars()
        .all(|c| c.is_ascii_digit() || "+-.eE/".contains(c));
    if !starts_numeric || !valid || text == "." || text == "..." {
        return None;
    }
    if let Some((num, den)) = text.split_once('/') {
        let (num, den) = (num.parse::<f64>().ok()?, den.parse::<f64>().ok()?);
        return Some(Datum::Float(num / den));
    }
    text.parse::<f64>().ok().map(Datum::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Datum> {
        match Reader::read_all(text) {
            Ok(data) => data,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    #[test]
    fn atoms() {
        assert_eq!(
            read("42 -7 3.5 #t #false foo \"a\\nb\" #\\a #\\space"),
            vec![
                Datum::Int(42),
                Datum::Int(-7),
                Datum::Float(3.5),
                Datum::Bool(true),
                Datum::Bool(false),
                Datum::sym("foo"),
                Datum::Str("a\nb".into()),
                Datum::Char('a'),
                Datum::Char(' '),
            ]
        );
        assert_eq!(read("+ - ... 1+ #x1F 1e3"), {
            vec![
                Datum::sym("+"),
                Datum::sym("-"),
                Datum::sym("..."),
                Datum::sym("1+"),
                Datum::Int(31),
                Datum::Float(1000.0),
            ]
        });
    }

    #[test]
    fn lists_quotes_vectors_and_lines() {
        let data = read("; comment\n(a . b)\n'(1 #(2 3))");
        assert_eq!(
            data[0],
            Datum::List(vec![Datum::sym("a")], Some(Box::new(Datum::sym("b"))), 2)
        );
        assert_eq!(
            data[1],
            Datum::List(
                vec![
                    Datum::sym("quote"),
                    Datum::List(
                        vec![
                            Datum::Int(1),
                            Datum::Vector(vec![Datum::Int(2), Datum::Int(3)])
                        ],
                        None,
                        3
                    )
                ],
                None,
                3
            )
        );
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let error = Reader::read_all("(a\n(b c)")
            .err()
            .map(|e| e.report("f.scm"));
        assert_eq!(
            error.as_deref(),
            Some("f.scm:1: syntax error: unterminated list")
        );
        let error = Reader::read_all("\n)").err().map(|e| e.report("f.scm"));
        assert_eq!(
            error.as_deref(),
            Some("f.scm:2: syntax error: unexpected ')'")
        );
    }
}

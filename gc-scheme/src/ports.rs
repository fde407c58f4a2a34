//! Ports: standard input, output and error, files, and strings (R7RS's textual ports and its
//! `(scheme file)`).
//!
//! A port value is a heap object of kind `Port` whose payload is its number. Numbers 0, 1 and 2
//! are standard input, output and error; the interpreter keeps the first two itself
//! (`Interp::input`, `Interp::out`, which the embedder gives). Every other port's state lives in
//! this table, by number, until the program ends: a port is not finalized when its object dies,
//! so a program closes its ports (`close-port`, or a `call-with-…` procedure) or they close when
//! the interpreter is dropped. An input file is read whole when it is opened.

use std::fs::File;
use std::io::{BufWriter, Write};

pub const STDIN: u32 = 0;
pub const STDOUT: u32 = 1;
pub const STDERR: u32 = 2;
/// The number of the first port of [`Ports`]' own.
const FIRST_OPENED: u32 = 3;

/// An input port's text, and how much of it was read. Reading moves a position rather than
/// draining the string, so reading a file datum by datum stays linear in its length.
pub struct InputText {
    text: String,
    at: usize,
}

impl InputText {
    pub fn new(text: String) -> Self {
        InputText { text, at: 0 }
    }

    /// The text not yet read.
    pub fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    /// Marks `bytes` more as read (at most the rest; the caller keeps to character boundaries).
    pub fn advance(&mut self, bytes: usize) {
        self.at = (self.at + bytes).min(self.text.len());
    }
}

/// The state of a port the program opened.
pub enum PortState {
    Input(InputText),
    OutputFile(BufWriter<File>),
    /// An output string port's text so far (`get-output-string`).
    OutputString(String),
    Closed {
        input: bool,
    },
}

/// The ports the program opened, and which ports are current.
pub struct Ports {
    /// Standard input's text, once a program reads it (read whole at the first read).
    pub stdin: Option<InputText>,
    opened: Vec<PortState>,
    pub current_input: u32,
    pub current_output: u32,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            stdin: None,
            opened: Vec::new(),
            current_input: STDIN,
            current_output: STDOUT,
        }
    }
}

impl Ports {
    /// A new port's number.
    pub fn open(&mut self, state: PortState) -> u32 {
        self.opened.push(state);
        FIRST_OPENED + (self.opened.len() as u32 - 1)
    }

    /// The state of an opened port; `None` for the standard ones.
    pub fn state(&mut self, number: u32) -> Option<&mut PortState> {
        let index = number.checked_sub(FIRST_OPENED)?;
        self.opened.get_mut(index as usize)
    }

    /// Whether `number` is an input port (open or closed).
    pub fn is_input(&mut self, number: u32) -> bool {
        match self.state(number) {
            None => number == STDIN,
            Some(PortState::Input(_) | PortState::Closed { input: true }) => true,
            Some(_) => false,
        }
    }

    /// Whether `number` is open. The standard ports always are.
    pub fn is_open(&mut self, number: u32) -> bool {
        !matches!(self.state(number), Some(PortState::Closed { .. }))
    }

    /// Closes `number` (flushing a file); the standard ports stay open, as R7RS allows.
    pub fn close(&mut self, number: u32) -> std::io::Result<()> {
        let input = self.is_input(number);
        if let Some(state) = self.state(number) {
            if let PortState::OutputFile(file) = state {
                file.flush()?;
            }
            *state = PortState::Closed { input };
        }
        Ok(())
    }
}

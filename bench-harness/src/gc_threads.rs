//! `--gc-threads N`: how many threads a collection's parallel work may use, for the commands that
//! make a heap from the user's options (`run`, `replay`, `compare`, and the `measure` that
//! `compare` runs in a child process). One definition, so that they take the same option, reject
//! the same values, and `compare` can hand its choice on to its children as an argument.

use clap::Args;
use gc_core::{HeapConfig, MAX_GC_THREADS, default_gc_threads};

/// The option, flattened into each command that takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct GcThreadsArgs {
    /// The threads a collection's parallel work may use (scavenges of larger new spaces, the
    /// marking of full collections and of large incremental finalizations, sweeping of large old
    /// spaces), from 1 to 64 [default: the available cores, at most 64].
    #[arg(
        long,
        value_name = "N",
        value_parser = parse_gc_threads,
        // `-1` must reach the parser, which names the range, rather than read as a flag.
        allow_negative_numbers = true
    )]
    pub gc_threads: Option<usize>,
}

impl GcThreadsArgs {
    /// The thread count asked for, or `HeapConfig`'s default when the option is absent.
    pub fn count(&self) -> usize {
        self.gc_threads.unwrap_or_else(default_gc_threads)
    }

    /// Sets `config`'s thread count to [`GcThreadsArgs::count`].
    pub fn apply(&self, config: &mut HeapConfig) {
        config.gc_threads = self.count();
    }
}

/// Parses a thread count: a whole number from 1 to [`MAX_GC_THREADS`].
pub fn parse_gc_threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(threads) if (1..=MAX_GC_THREADS).contains(&threads) => Ok(threads),
        _ => Err(format!(
            "`{text}` is not a thread count from 1 to {MAX_GC_THREADS}"
        )),
    }
}

/// The arguments that ask a `gclab` command for `threads` (what a child process is given).
pub fn gc_threads_arguments(threads: usize) -> [String; 2] {
    ["--gc-threads".to_owned(), threads.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        threads: GcThreadsArgs,
    }

    fn parse(args: &[&str]) -> Result<GcThreadsArgs, clap::Error> {
        let words = std::iter::once("gclab").chain(args.iter().copied());
        Command::try_parse_from(words).map(|command| command.threads)
    }

    #[test]
    fn the_default_is_the_heaps_default() {
        let threads = parse(&[]).map(|threads| threads.count());
        assert_eq!(threads.ok(), Some(HeapConfig::default().gc_threads));
    }

    #[test]
    fn counts_from_one_to_the_most_are_taken() {
        let count = |args: &[&str]| parse(args).map(|threads| threads.count()).ok();
        assert_eq!(count(&["--gc-threads", "1"]), Some(1));
        assert_eq!(count(&["--gc-threads=2"]), Some(2));
        assert_eq!(count(&["--gc-threads", "64"]), Some(MAX_GC_THREADS));
        let mut config = HeapConfig::default();
        if let Ok(threads) = parse(&["--gc-threads", "3"]) {
            threads.apply(&mut config);
        }
        assert_eq!(config.gc_threads, 3);
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn other_values_are_usage_errors_naming_the_range() {
        for value in ["0", "65", "-1", "abc", "1.5", "", "99999999999999999999999"] {
            let error = parse(&["--gc-threads", value]).expect_err(value);
            assert_eq!(error.exit_code(), 2, "{value}");
            let message = error.to_string();
            let expected = format!("`{value}` is not a thread count from 1 to 64");
            assert!(message.contains(&expected), "{value}: {message}");
        }
    }

    #[test]
    fn a_count_written_as_arguments_reads_back_the_same() {
        for threads in [1, 7, MAX_GC_THREADS] {
            let words = gc_threads_arguments(threads);
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let count = parse(&words).map(|threads| threads.count());
            assert_eq!(count.ok(), Some(threads), "{words:?}");
        }
    }
}

//! `--no-think` and `--max-think`: what the commands that replay a trace for its timings
//! (`replay`, `compare`, and the `measure` that `compare` runs in a child process) do with the
//! trace's `t` records. One definition, so that the three take the same options, and the same
//! policy written back as arguments (for the child process) and as words (for `results.json`).

use std::fmt;
use std::time::Duration;

use clap::Args;

use crate::replay::ThinkTime;

/// The think-time options, flattened into each command that takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct ThinkArgs {
    /// Skips every `t` record (the program computing without the heap): the heap's work alone.
    #[arg(long, conflicts_with = "max_think")]
    pub no_think: bool,
    /// The bound on the trace's total think time (`t` records), in seconds (`0.5` allowed); past
    /// it the rest is skipped, with one warning.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = Seconds(ThinkTime::DEFAULT_BUDGET),
        value_parser = parse_seconds,
        // `-1` must reach the parser, which says why it is wrong, rather than read as a flag.
        allow_negative_numbers = true
    )]
    pub max_think: Seconds,
}

impl ThinkArgs {
    /// The policy the options ask for.
    pub fn policy(&self) -> ThinkTime {
        match self.no_think {
            true => ThinkTime::Skip,
            false => ThinkTime::Spin {
                budget: self.max_think.0,
            },
        }
    }
}

/// A duration written as decimal seconds (`60`, `0.5`), as `--max-think` takes and shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

/// Parses a number of seconds: 0 or more, decimals allowed.
pub fn parse_seconds(text: &str) -> Result<Seconds, String> {
    let not_a_number = || format!("`{text}` is not a number of seconds");
    let seconds: f64 = text.trim().parse().map_err(|_| not_a_number())?;
    if seconds.is_nan() {
        return Err(not_a_number());
    }
    if seconds < 0.0 {
        return Err(format!("`{text}` is negative; give 0 or more seconds"));
    }
    Duration::try_from_secs_f64(seconds)
        .map(Seconds)
        .map_err(|_| format!("`{text}` is too many seconds"))
}

/// The arguments that ask a `gclab` command for `think` (what a child process is given).
pub fn think_arguments(think: ThinkTime) -> Vec<String> {
    match think {
        ThinkTime::Skip => vec!["--no-think".to_owned()],
        ThinkTime::Spin { budget } => vec!["--max-think".to_owned(), Seconds(budget).to_string()],
    }
}

/// `think` in words, for a reader of the results: `spin up to 60 s` or `skip`.
pub fn describe(think: ThinkTime) -> String {
    match think {
        ThinkTime::Skip => "skip".to_owned(),
        ThinkTime::Spin { budget } => format!("spin up to {} s", Seconds(budget)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        think: ThinkArgs,
    }

    fn parse(args: &[&str]) -> Result<ThinkTime, clap::Error> {
        let words = std::iter::once("gclab").chain(args.iter().copied());
        Command::try_parse_from(words).map(|command| command.think.policy())
    }

    #[test]
    fn the_default_is_the_replays_default() {
        assert_eq!(parse(&[]).ok(), Some(ThinkTime::default()));
    }

    #[test]
    fn the_options_choose_the_policy() {
        let spin = |seconds: f64| ThinkTime::Spin {
            budget: Duration::from_secs_f64(seconds),
        };
        assert_eq!(parse(&["--no-think"]).ok(), Some(ThinkTime::Skip));
        assert_eq!(parse(&["--max-think", "0.5"]).ok(), Some(spin(0.5)));
        assert_eq!(parse(&["--max-think=2"]).ok(), Some(spin(2.0)));
        assert_eq!(parse(&["--max-think", "0"]).ok(), Some(spin(0.0)));
    }

    #[test]
    fn bad_bounds_and_both_options_are_usage_errors() {
        for args in [
            &["--max-think", "-1"][..],
            &["--max-think", "abc"],
            &["--max-think", "NaN"],
            &["--max-think", "inf"],
            &["--max-think", ""],
            &["--no-think", "--max-think", "1"],
        ] {
            let error = parse(args).expect_err(&format!("{args:?} was accepted"));
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
        let negative = parse(&["--max-think", "-1"]).map_err(|e| e.to_string());
        assert!(
            negative.as_ref().is_err_and(|e| e.contains("negative")),
            "{negative:?}"
        );
    }

    #[test]
    fn a_policy_written_as_arguments_reads_back_the_same() {
        for think in [
            ThinkTime::Skip,
            ThinkTime::default(),
            ThinkTime::Spin {
                budget: Duration::from_millis(10),
            },
        ] {
            let words = think_arguments(think);
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            assert_eq!(parse(&words).ok(), Some(think), "{words:?}");
        }
    }

    #[test]
    fn policies_read_as_words() {
        assert_eq!(describe(ThinkTime::default()), "spin up to 60 s");
        assert_eq!(describe(ThinkTime::Skip), "skip");
    }
}

//! A generator's parameters: the `--key value` / `--key=value` words after its name, checked
//! against its [`ParamSpec`]s, and each number checked against its range when the generator asks
//! for it.
//!
//! Invariant: a generator reads every parameter (through [`Args::number`]) before it writes its
//! first record, so a bad word or value never leaves a half-written trace; what it read is what
//! [`Args::source`] reports.

use std::ops::RangeInclusive;

use super::{GenError, ParamSpec};

/// The words given for one generator, and the values it has read so far.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    generator: &'static str,
    specs: &'static [ParamSpec],
    given: Vec<(&'static str, &'a str)>,
    effective: Vec<(&'static str, u64)>,
}

impl<'a> Args<'a> {
    /// Checks that every word names one of `specs` once and has a value.
    pub fn parse(
        generator: &'static str,
        specs: &'static [ParamSpec],
        words: &'a [String],
    ) -> Result<Self, GenError> {
        let mut args = Args {
            generator,
            specs,
            given: Vec::new(),
            effective: Vec::new(),
        };
        let mut words = words.iter().peekable();
        while let Some(word) = words.next() {
            let Some(key) = word.strip_prefix("--") else {
                return Err(GenError::NotAParam { word: word.clone() });
            };
            let (key, value) = match key.split_once('=') {
                Some((key, value)) => (key, value),
                // A next word that is itself a parameter means this one's value is missing.
                None => match words.next_if(|next| !next.starts_with("--")) {
                    Some(value) => (key, value.as_str()),
                    None => return Err(GenError::MissingValue { name: key.into() }),
                },
            };
            args.add(key, value)?;
        }
        Ok(args)
    }

    fn add(&mut self, key: &str, value: &'a str) -> Result<(), GenError> {
        let Some(spec) = self.specs.iter().find(|spec| spec.name == key) else {
            return Err(GenError::UnknownParam {
                generator: self.generator,
                name: key.into(),
                valid: self.valid_names(),
            });
        };
        if self.given.iter().any(|&(name, _)| name == spec.name) {
            return Err(GenError::Repeated { name: key.into() });
        }
        self.given.push((spec.name, value));
        Ok(())
    }

    fn valid_names(&self) -> String {
        let names: Vec<String> = self.specs.iter().map(|s| format!("--{}", s.name)).collect();
        names.join(", ")
    }

    /// The value of parameter `name` (given, else its default), which must lie in `range`.
    ///
    /// `name` must be one of the generator's specs: asking for another is a bug in the generator.
    pub fn number<T: TryFrom<u64>>(
        &mut self,
        name: &'static str,
        range: RangeInclusive<u64>,
    ) -> Result<T, GenError> {
        let text = match self.given.iter().find(|&&(given, _)| given == name) {
            Some(&(_, value)) => value,
            None => self.default_of(name),
        };
        let bad = || GenError::BadValue {
            name,
            value: text.into(),
            min: *range.start(),
            max: *range.end(),
        };
        let value: u64 = text.parse().map_err(|_| bad())?;
        if !range.contains(&value) {
            return Err(bad());
        }
        self.effective.push((name, value));
        T::try_from(value).map_err(|_| bad())
    }

    fn default_of(&self, name: &str) -> &'static str {
        let spec = self.specs.iter().find(|spec| spec.name == name);
        debug_assert!(
            spec.is_some(),
            "{} reads --{name}, not in its specs",
            self.generator
        );
        spec.map_or("", |spec| spec.default)
    }

    /// The value of the `@ source` record: the generator's name and every parameter it read.
    pub fn source(&self) -> String {
        let mut source = self.generator.to_owned();
        for (name, value) in &self.effective {
            source.push_str(&format!(" {name}={value}"));
        }
        source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "depth",
            default: "5",
            help: "depth; 1 to 10",
        },
        ParamSpec {
            name: "seed",
            default: "1",
            help: "seed",
        },
    ];

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    fn depth(text: &str) -> Result<u32, String> {
        let words = words(text);
        let mut args = Args::parse("test", SPECS, &words).map_err(|e| e.to_string())?;
        args.number("depth", 1..=10).map_err(|e| e.to_string())
    }

    #[test]
    fn both_spellings_and_the_default() {
        assert_eq!(depth("--depth 7"), Ok(7));
        assert_eq!(depth("--depth=8"), Ok(8));
        assert_eq!(depth("--seed 3"), Ok(5));
    }

    #[test]
    fn bad_words_are_errors() {
        assert_eq!(
            depth("depth 7").unwrap_err(),
            "expected a parameter (--name value), found \"depth\""
        );
        assert_eq!(
            depth("--depth --seed 2").unwrap_err(),
            "--depth needs a value"
        );
        assert_eq!(
            depth("--depth 2 --depth=3").unwrap_err(),
            "--depth is given more than once"
        );
        assert_eq!(
            depth("--width 2").unwrap_err(),
            "test has no parameter --width; its parameters are --depth, --seed"
        );
        assert_eq!(
            depth("--depth 11").unwrap_err(),
            "bad value \"11\" for --depth: expected an integer from 1 to 10"
        );
    }

    #[test]
    fn source_lists_what_was_read() {
        let words = words("--depth 3");
        let mut args = Args::parse("test", SPECS, &words).unwrap();
        let _: u32 = args.number("depth", 1..=10).unwrap();
        let _: u64 = args.number("seed", 0..=u64::MAX).unwrap();
        assert_eq!(args.source(), "test depth=3 seed=1");
    }
}

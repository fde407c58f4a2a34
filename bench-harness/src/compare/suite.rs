//! What `gclab compare` runs: trace files named on the command line, built-in workloads (the
//! trace generators, with parameters: `binary-trees:depth=12`), or without arguments the
//! built-in suite. A workload is generated once, into the output folder as a binary trace, so
//! that every collector replays the very same file.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::generators::Generator;
use gc_trace::open;

/// The built-in suite: each generator that stresses collectors differently, sized so that the
/// whole suite, three measured runs of each trace on six collectors (eight with
/// `concurrent`), takes about fifteen (twenty) seconds on two cores.
pub const DEFAULT_SUITE: &[&str] = &[
    "gcbench:stretch-depth=14,long-lived-depth=12,max-depth=12,array-size=100000",
    "binary-trees:depth=12",
    "splay:nodes=5000,steps=8",
    "server:requests=3000",
    "listeners:connections=20000",
    "fragment:objects=80000,churn=160000",
];

/// One comparison input, as named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A trace file, in any format `gclab` reads.
    Trace(PathBuf),
    /// A generator with `--name value` parameters.
    Workload {
        generator: Generator,
        params: Vec<String>,
    },
}

/// A trace ready to replay, and what to call it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The workload's name and parameters as given, or the trace's path.
    pub name: String,
    pub trace: PathBuf,
}

impl Input {
    /// An existing file is a trace; otherwise `NAME[:key=value,...]` names a workload.
    pub fn parse(text: &str) -> Result<Input, Error> {
        let path = Path::new(text);
        if path.is_file() {
            return Ok(Input::Trace(path.to_owned()));
        }
        let (name, params) = text.split_once(':').unwrap_or((text, ""));
        let Some(generator) = Generator::from_name(name) else {
            return Err(Error::UnknownInput {
                input: text.to_owned(),
                workloads: Generator::ALL.map(|g| g.name()).join(", "),
            });
        };
        let params = params
            .split(',')
            .filter(|param| !param.is_empty())
            .flat_map(|param| match param.split_once('=') {
                Some((key, value)) => [format!("--{key}"), value.to_owned()],
                // Leaves the value out, so the generator names the parameter that lacks one.
                None => [format!("--{param}"), String::new()],
            })
            .filter(|word| !word.is_empty())
            .collect();
        Ok(Input::Workload { generator, params })
    }

    /// The trace to replay: the file itself, or the workload generated into `traces` (a
    /// folder, created if missing) as `NAME.gctb`.
    pub fn prepare(&self, original: &str, traces: &Path) -> Result<Job, Error> {
        match self {
            Input::Trace(path) => Ok(Job {
                name: original.to_owned(),
                trace: path.clone(),
            }),
            Input::Workload { generator, params } => {
                let file_name = original.replace([':', ',', '=', '/'], "_");
                let trace = traces.join(format!("{file_name}.gctb"));
                generate(*generator, params, &trace)?;
                Ok(Job {
                    name: original.to_owned(),
                    trace,
                })
            }
        }
    }
}

fn generate(generator: Generator, params: &[String], trace: &Path) -> Result<(), Error> {
    let path = trace.display().to_string();
    let write_error = |source| Error::WriteTrace {
        path: path.clone(),
        source,
    };
    if let Some(folder) = trace.parent() {
        std::fs::create_dir_all(folder).map_err(write_error)?;
    }
    let mut sink = open::create_sink(trace)
        .ok_or_else(|| Error::UnknownTraceFormat(path.clone()))?
        .map_err(write_error)?;
    generator
        .generate(params, &mut *sink)
        .map_err(|source| Error::Generator {
            generator: generator.name(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_parse_with_their_parameters() {
        assert_eq!(
            Input::parse("binary-trees:depth=12").ok(),
            Some(Input::Workload {
                generator: Generator::BinaryTrees,
                params: vec!["--depth".into(), "12".into()],
            })
        );
        assert_eq!(
            Input::parse("splay").ok(),
            Some(Input::Workload {
                generator: Generator::Splay,
                params: vec![],
            })
        );
    }

    #[test]
    fn an_unknown_input_lists_the_workloads() {
        let error = Input::parse("no-such-thing.gct").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`no-such-thing.gct`"), "{message}");
        assert!(message.contains("binary-trees"), "{message}");
        assert_eq!(error.exit_code(), crate::error::EXIT_USAGE);
    }

    /// Refuses the first record: a generator reaching it has accepted its parameters.
    struct StopAtFirstRecord;

    impl gc_trace::TraceSink for StopAtFirstRecord {
        fn write_record(&mut self, _: &gc_trace::Record<'_>) -> std::io::Result<()> {
            Err(std::io::Error::other("enough"))
        }

        fn finish(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_suite_parses_and_its_parameters_are_valid() {
        for input in DEFAULT_SUITE {
            let Ok(Input::Workload { generator, params }) = Input::parse(input) else {
                panic!("{input} is not a workload");
            };
            let result = generator.generate(&params, &mut StopAtFirstRecord);
            assert!(
                matches!(result, Err(crate::generators::GenError::Io(_))),
                "{input}: {result:?}"
            );
        }
        let Ok(Input::Workload { generator, params }) = Input::parse("splay:steps=x") else {
            panic!("splay is a workload");
        };
        let result = generator.generate(&params, &mut StopAtFirstRecord);
        assert!(
            matches!(result, Err(crate::generators::GenError::BadValue { .. })),
            "{result:?}"
        );
    }
}

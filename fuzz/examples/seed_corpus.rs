//! Writes the seed corpora under `fuzz/corpus/`: each generator's trace at small parameters, in
//! text (for `text_reader`) and binary (for `binary_reader`), and the testkit's random mutator
//! programs, encoded (for `mutator_program`). Deterministic: the same seeds on every run.

use std::fs;
use std::io;
use std::path::Path;

use bench_harness::generators::Generator;
use gc_core::testkit::program_strategy;
use gc_trace::binary_writer::BinaryWriter;
use gc_trace::text_writer::TextWriter;
use gc_trace::{OwnedRecord, TraceSink};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Small parameters: seeds of a few kilobytes keep libFuzzer's inputs short and fast.
fn small_params(generator: Generator) -> &'static [&'static str] {
    match generator {
        Generator::GcBench => &[
            "--stretch-depth",
            "4",
            "--long-lived-depth",
            "3",
            "--array-size",
            "20",
            "--min-depth",
            "2",
            "--max-depth",
            "4",
        ],
        Generator::BinaryTrees => &["--depth", "6"],
        Generator::Splay => &[
            "--nodes",
            "20",
            "--modifications",
            "5",
            "--steps",
            "3",
            "--payload-depth",
            "1",
        ],
        Generator::Leaky => &["--ticks", "4", "--bytes", "64", "--interval", "0"],
        Generator::Listeners => &["--connections", "20", "--open", "4", "--buffer", "16"],
        Generator::Server => &["--requests", "40", "--sessions", "4", "--users", "10"],
        Generator::Random => &["--events", "200", "--max-live", "20"],
        Generator::Fragment => &["--objects", "60", "--rounds", "2", "--churn", "40"],
    }
}

fn write_trace<S: TraceSink>(records: &[OwnedRecord], sink: &mut S) -> io::Result<()> {
    for record in records {
        sink.write_record(&record.borrow())?;
    }
    sink.finish()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let (text_dir, binary_dir, program_dir) = (
        root.join("text_reader"),
        root.join("binary_reader"),
        root.join("mutator_program"),
    );
    for dir in [&text_dir, &binary_dir, &program_dir] {
        fs::create_dir_all(dir)?;
    }
    for generator in Generator::ALL {
        let args: Vec<String> = small_params(generator)
            .iter()
            .map(|p| p.to_string())
            .collect();
        let mut records = Vec::new();
        generator.generate(&args, &mut records)?;
        let mut text = TextWriter::new(Vec::new())?;
        write_trace(&records, &mut text)?;
        fs::write(text_dir.join(generator.name()), text.into_inner())?;
        let mut binary = BinaryWriter::new(Vec::new())?;
        write_trace(&records, &mut binary)?;
        fs::write(binary_dir.join(generator.name()), binary.into_inner())?;
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    for index in 0..64 {
        let program = program_strategy(1..200)
            .new_tree(&mut runner)
            .map_err(|e| e.to_string())?
            .current();
        let bytes = gclab_fuzz::encode_program(&program);
        fs::write(program_dir.join(format!("testkit-{index:02}")), bytes)?;
    }
    println!("seed corpora written under {}", root.display());
    Ok(())
}

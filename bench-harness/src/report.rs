//! The text `gclab` prints: a summary of each run, and the list of collectors.

use std::io::{self, Write};
use std::time::Duration;

use gc_core::CollectorConstraints;

use crate::collectors::{self, KnownCollector};
use crate::pauses::PauseSummary;
use crate::runner::RunReport;

const MB: f64 = 1024.0 * 1024.0;

/// Writes the summary of one run, e.g.
///
/// ```text
/// marksweep / churn (scale 16)
///   pauses: 41 GCs, total 310.22 ms, p50 6.10 ms, p99 21.92 ms, max 21.92 ms
///   allocated: 1048577 objects, 848.3 MB; peak committed 140.5 MB
///   live after a full GC: 98311 objects, 61.2 MB; digest 5f0c…(32 hex digits)
///   wall: 2.31 s
/// ```
pub fn write_summary(out: &mut impl Write, report: &RunReport) -> io::Result<()> {
    writeln!(
        out,
        "{} / {} (scale {})",
        report.collector, report.workload, report.scale
    )?;
    writeln!(out, "  pauses: {}", pause_line(&report.pauses))?;
    writeln!(
        out,
        "  allocated: {} objects, {:.1} MB; peak committed {:.1} MB",
        report.allocated_objects,
        report.allocated_bytes as f64 / MB,
        report.peak_committed_bytes as f64 / MB,
    )?;
    writeln!(
        out,
        "  live after a full GC: {} objects, {:.1} MB; digest {}",
        report.live.objects,
        report.live.object_bytes as f64 / MB,
        report.live.digest,
    )?;
    writeln!(out, "  wall: {:.2} s", report.wall.as_secs_f64())
}

fn pause_line(pauses: &PauseSummary) -> String {
    let (Some(p50), Some(p99), Some(max)) = (pauses.p50, pauses.p99, pauses.max) else {
        return "0 GCs".to_owned();
    };
    format!(
        "{} GCs, total {} ms, p50 {} ms, p99 {} ms, max {} ms",
        pauses.count,
        ms(pauses.total),
        ms(p50),
        ms(p99),
        ms(max),
    )
}

/// Milliseconds with two decimals.
fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

/// Lists the compiled-in collectors with their constraints, then the known ones this build
/// lacks with the features that would add them.
pub fn write_collectors(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "compiled in (best first; `auto` picks the first):")?;
    let compiled_in = collectors::compiled_in_constraints();
    if compiled_in.is_empty() {
        writeln!(out, "  none")?;
    }
    for constraints in compiled_in {
        write_constraints(out, &constraints)?;
    }
    let missing: Vec<&KnownCollector> = collectors::not_compiled_in().collect();
    if !missing.is_empty() {
        writeln!(out, "not compiled in:")?;
    }
    for known in missing {
        let features = collectors::cargo_features(known.features);
        writeln!(out, "  {:<16} {features}", known.name)?;
    }
    Ok(())
}

fn write_constraints(out: &mut impl Write, c: &CollectorConstraints) -> io::Result<()> {
    writeln!(
        out,
        "  {:<16} moves objects: {}, generational: {}, incremental: {}, barrier: {:?}",
        c.name,
        yes_no(c.moves_objects),
        yes_no(c.generational),
        yes_no(c.incremental),
        c.barrier,
    )
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

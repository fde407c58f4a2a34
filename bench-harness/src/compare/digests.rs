//! The check that makes a comparison a comparison: every collector must leave the same live
//! graph after replaying the same trace (the replay's final full collection, then gc-core's
//! digest). A collector whose digest differs lost or kept an object it should not have; its
//! figures are not comparable, and the difference is an error naming the collectors, never
//! averaged away. Runs of one collector must agree with each other too.

use crate::error::Error;
use crate::metrics::RunMetrics;

/// Fails with [`Error::DigestMismatch`] unless every run of `runs` (collector, runs) has the same
/// digest.
pub fn check(job: &str, runs: &[(String, Vec<RunMetrics>)]) -> Result<(), Error> {
    // Digests in order of first appearance, each with the collectors that produced it.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (collector, metrics) in runs {
        for run in metrics {
            match groups.iter_mut().find(|(digest, _)| *digest == run.digest) {
                Some((_, names)) if names.contains(&collector.as_str()) => {}
                Some((_, names)) => names.push(collector),
                None => groups.push((&run.digest, vec![collector])),
            }
        }
    }
    if groups.len() <= 1 {
        return Ok(());
    }
    let described: Vec<String> = groups
        .iter()
        .map(|(digest, names)| format!("{} (digest {digest})", names.join(", ")))
        .collect();
    Err(Error::DigestMismatch {
        job: job.to_owned(),
        groups: described.join(" vs "),
    })
}

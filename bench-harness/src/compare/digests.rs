//! The check that makes a comparison a comparison: every collector must leave the same live
//! graph after replaying the same trace (the replay's final full collection, then gc-core's
//! digest). A collector whose digest differs lost or kept an object it should not have; its
//! figures are not comparable, and the difference is an error naming the collectors, never
//! averaged away. Runs of one collector must agree with each other too.

use crate::error::Error;

/// Fails with [`Error::DigestMismatch`] unless every run, given as (collector, digest), has the
/// same digest.
pub fn check<'a>(
    job: &str,
    runs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), Error> {
    // Digests in order of first appearance, each with the collectors that produced it.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (collector, digest) in runs {
        match groups.iter_mut().find(|(known, _)| *known == digest) {
            Some((_, names)) if names.contains(&collector) => {}
            Some((_, names)) => names.push(collector),
            None => groups.push((digest, vec![collector])),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_digests_pass() {
        let runs = [("a", "d1"), ("b", "d1"), ("a", "d1"), ("c", "d1")];
        assert!(check("job", runs).is_ok());
        assert!(check("job", []).is_ok());
    }

    #[test]
    fn a_differing_collector_is_named_with_each_digest() {
        let runs = [("a", "d1"), ("b", "d1"), ("c", "d2"), ("a", "d1")];
        let message = check("job", runs).unwrap_err().to_string();
        assert_eq!(
            message,
            "job: the collectors left different live graphs (a collector bug): \
             a, b (digest d1) vs c (digest d2)"
        );
    }

    #[test]
    fn a_collector_that_disagrees_with_itself_is_caught() {
        let runs = [("a", "d1"), ("b", "d1"), ("b", "d3")];
        let message = check("job", runs).unwrap_err().to_string();
        assert!(
            message.ends_with("a, b (digest d1) vs b (digest d3)"),
            "{message}"
        );
    }
}

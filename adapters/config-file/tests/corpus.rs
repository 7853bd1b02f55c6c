//! Finding the AWS conformance vectors, which live outside the repository.

use serde_json::Value;
use std::path::Path;

/// The parsed JSON of `file` inside `$AWS_RUNAS_CONFORMANCE_DIR`, or `None` when the variable is
/// unset.
///
/// An unset variable is announced on stderr and tolerated on a developer machine, but fails the
/// test when `CI=true`, so that CI can never pass without running the vectors.
/// `vectors` names the vectors for the message, e.g. `AWS profile-parser vectors`.
#[allow(clippy::disallowed_methods)] // Tests may read the environment; this is where the corpus location enters.
pub(crate) fn conformance_corpus(file: &str, vectors: &str) -> Option<Value> {
    let dir = match std::env::var("AWS_RUNAS_CONFORMANCE_DIR") {
        Ok(dir) if !dir.is_empty() => dir,
        _ => {
            let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(
                !in_ci,
                "AWS_RUNAS_CONFORMANCE_DIR is unset while CI=true; the {vectors} must run in CI"
            );
            eprintln!(
                "conformance corpus not available: AWS_RUNAS_CONFORMANCE_DIR is unset; {vectors} did NOT run"
            );
            return None;
        }
    };
    let path = Path::new(&dir).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "AWS_RUNAS_CONFORMANCE_DIR is set but {} cannot be read: {e}",
            path.display()
        )
    });
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    Some(json)
}

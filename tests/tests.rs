//! Cross-crate scenarios: registry, tidy rules and the conformance vectors, and the checks that the
//! test harness itself (moto, the recording proxy, the CLI environment) works.

mod harness;
mod tidy;

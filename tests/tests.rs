//! Cross-crate checks: the tidy rules that keep the architecture and its documentation honest, and
//! the checks that the test harness itself (moto, the recording proxy, the CLI environment) works.
//! The registry, conformance and end-to-end scenarios live with the crates they exercise.

mod harness;
mod tidy;

//! The one integration-test binary of the config-file adapter.

mod conformance;
mod corpus;
mod fixtures;
mod render;
mod store;
#[cfg(unix)]
mod write;

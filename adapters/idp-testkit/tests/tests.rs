//! Integration tests of the testkit: the mock server, and the conformance suite, the replay
//! harness and the registration checks proved with a small example adapter (and caught out by
//! broken variants of it).

mod example;
mod oidc_example;
mod oidc_mock;
mod replay;
mod server;
mod suite;

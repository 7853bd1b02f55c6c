//! Integration tests of the testkit: the mock server, and the conformance suite proved with a
//! small example adapter (and caught out by broken variants of it).

mod example;
mod server;
mod suite;

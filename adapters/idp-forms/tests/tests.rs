//! Integration tests of the `forms` adapter: the shared conformance suite, the fixture-driven
//! cases of real IdP markup, and the flows around them (sessions, bounds, refusals).

// Names the adapter crate so that the linker keeps its registration.
use aws_runas_idp_forms as _;

mod conformance;
mod fixtures;
mod flows;
mod support;

//! Integration tests of the `forms` adapter: the shared conformance suite, the fixture-driven
//! cases of real IdP markup, the flows around them (sessions, bounds, refusals), and the OIDC
//! login (its conformance suite and forms cases).

// Names the adapter crate so that the linker keeps its registration.
use aws_runas_idp_forms as _;

mod conformance;
mod fixtures;
mod flows;
mod oidc;
mod support;

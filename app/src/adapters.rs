//! Names every identity-provider adapter crate once, so the linker keeps their `inventory`
//! registrations (an adapter only listed in `Cargo.toml` is dropped silently; see inventory#7,
//! cargo#9391). The tidy test checks that every `adapters/idp-*` folder appears here.
//!
//! No identity-provider adapter exists yet; the SAML and OIDC issues add one line each.

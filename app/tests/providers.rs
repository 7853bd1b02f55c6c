//! `aws-runas providers`: the table of linked identity-provider adapters.

use crate::support::BIN;
use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, MfaKind,
    ProbeResponse, Protocol, registry,
};

fn matches_example(url: &AuthUrl) -> bool {
    url.host_ends_with("idp.example")
}

fn no_probe(_: &ProbeResponse) -> bool {
    false
}

fn build(_: &IdpSettings, _: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    Err(IdpError::unsupported(
        "the table test adapter logs nobody in",
    ))
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "table-test",
    aliases: &["tt"],
    protocols: &[Protocol::Saml],
    mfa: &[MfaKind::Code, MfaKind::Push],
    matches_url: matches_example,
    matches_probe: no_probe,
    build,
});

/// The identity-provider adapters the app links (app/src/adapters.rs).
const LINKED: &[&str] = &[
    "adfs",
    "azuread",
    "browser",
    "browser-sp",
    "forgerock",
    "forms",
    "keycloak",
    "mock",
    "oidc",
    "okta",
    "onelogin",
];

#[test]
fn a_registered_adapter_appears_in_the_table() {
    let registry = registry().expect("no duplicate names");
    let mut want: Vec<&str> = LINKED.to_vec();
    want.push("table-test");
    assert_eq!(
        registry.names(),
        want,
        "exactly the app's adapters and this test's own"
    );
    let table = aws_runas::providers_table(registry);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("PROTOCOLS") && header.contains("CRATE"),
        "{table}"
    );
    let row = table.lines().find(|l| l.starts_with("table-test")).unwrap();
    for cell in ["table-test", "tt", "saml", "code,push", "aws-runas"] {
        assert!(row.contains(cell), "{cell} missing from {row:?}");
    }
    assert_eq!(registry.get("TT").unwrap().name(), "table-test");
    assert!(
        registry
            .detect_by_url(&AuthUrl::parse("https://login.idp.example/x").unwrap())
            .is_some()
    );
}

#[test]
fn the_binary_lists_exactly_its_adapters() {
    let out = std::process::Command::new(BIN)
        .arg("providers")
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("NAME"), "{text}");
    let names: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, LINKED, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("forms") && l.contains("saml") && l.contains("code")),
        "{text}"
    );
}

#[test]
fn an_empty_registry_says_so() {
    let empty = aws_runas_domain::ports::idp::Registry::build([]).unwrap();
    assert!(
        aws_runas::providers_table(&empty).contains("no identity-provider adapters are linked")
    );
}

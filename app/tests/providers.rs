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
    Err(IdpError::Unsupported(
        "the table test adapter logs nobody in".into(),
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

#[test]
fn a_registered_adapter_appears_in_the_table() {
    let registry = registry().expect("no duplicate names");
    assert_eq!(
        registry.names(),
        vec!["table-test"],
        "exactly the adapters linked into this test binary"
    );
    let table = aws_runas::providers_table(registry);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("PROTOCOLS") && header.contains("CRATE"),
        "{table}"
    );
    let row = lines.next().unwrap();
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
fn the_binary_lists_no_adapter_yet() {
    let out = std::process::Command::new(BIN)
        .arg("providers")
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("NAME"), "{text}");
    assert!(
        text.contains("no identity-provider adapters are linked"),
        "{text}"
    );
}

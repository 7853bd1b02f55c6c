//! The registration record and the settings checks made when the adapter is built.

use crate::{deps, oidc};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    AuthUrl, IdpError, IdpSettings, ProbeResponse, Protocol, registry,
};
use aws_runas_idp_testkit::ScriptedPrompter;
use std::sync::Arc;

#[test]
fn the_registry_of_this_binary_holds_exactly_oidc() {
    assert_eq!(registry().unwrap().names(), vec!["oidc"]);
}

#[test]
fn name_alias_and_capabilities() {
    let reg = oidc();
    assert_eq!(reg.name(), "oidc");
    assert_eq!(reg.aliases(), ["browser"]);
    assert_eq!(reg.crate_name(), "aws-runas-idp-oidc");
    assert_eq!(reg.protocols(), [Protocol::Oidc]);
    assert!(reg.mfa().is_empty());
    assert_eq!(registry().unwrap().get("Browser").unwrap().name(), "oidc");
    assert_eq!(registry().unwrap().get("OIDC").unwrap().name(), "oidc");
}

#[test]
fn it_is_never_detected() {
    let reg = oidc();
    for url in [
        "https://login.example.com/tenant",
        "https://idp.example.com/realms/corp",
        "https://example.okta.com/oauth2/default",
        "https://accounts.google.com",
    ] {
        assert!(!reg.matches_url(&AuthUrl::parse(url).unwrap()), "{url}");
    }
    let probe = ProbeResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        cookies: vec!["KC_RESTART".into(), "JSESSIONID".into()],
    };
    assert!(!reg.matches_probe(&probe));
}

fn build(pairs: &[(&str, &str)]) -> Result<(), IdpError> {
    oidc()
        .build(
            &IdpSettings::from_pairs(pairs.iter().copied()),
            deps(Arc::new(ScriptedPrompter::new()), None),
        )
        .map(|_| ())
}

#[test]
fn bad_settings_are_refused_when_building() {
    let url = ("url", "https://login.example.com/tenant");
    let unknown = build(&[url, ("oidc_flows", "device")]).unwrap_err();
    assert!(
        matches!(&unknown, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("`oidc_flows`")}),
        "{unknown:?}"
    );
    let flow = build(&[url, ("oidc_flow", "popup")]).unwrap_err();
    assert!(
        matches!(&flow, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("oidc_flow") && m.contains("browser or device")}),
        "{flow:?}"
    );
    let timeout = build(&[url, ("oidc_timeout", "forever")]).unwrap_err();
    assert!(
        matches!(&timeout, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("oidc_timeout")}),
        "{timeout:?}"
    );
    let missing = build(&[]).unwrap_err();
    assert!(
        matches!(&missing, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("web_identity_auth_url")}),
        "{missing:?}"
    );
    assert!(matches!(
        build(&[("url", "login.example.com")]),
        Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
    ));
    build(&[
        url,
        ("oidc_flow", "device"),
        ("oidc_timeout", "3m"),
        ("oidc_scopes", "email,groups"),
        ("username", "jane.doe"),
        ("keycloak_otp_device", "another adapter's key"),
    ])
    .unwrap();
}

#[tokio::test]
async fn saml_is_unsupported_and_named() {
    let adapter = oidc()
        .build(
            &IdpSettings::from_pairs([("url", "https://login.example.com/tenant")]),
            deps(Arc::new(ScriptedPrompter::new()), None),
        )
        .unwrap();
    let e = adapter.saml_assertion().await.unwrap_err();
    assert!(
        matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Unsupported && {let m = err_.to_string(); m.contains("oidc identity provider is oidc-only")}),
        "{e:?}"
    );
}

#[test]
fn the_adapter_debug_shows_no_secret() {
    let settings = IdpSettings::from_pairs([
        ("url", "https://login.example.com/tenant?token=t0ken"),
        ("oidc_scopes", "email"),
    ])
    .with_secrets(Some(Secret::new("hunter2-password")), None);
    let adapter = oidc()
        .build(&settings, deps(Arc::new(ScriptedPrompter::new()), None))
        .unwrap();
    let shown = format!("{adapter:?}");
    for secret in ["hunter2-password", "t0ken"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("/tenant") && shown.contains("Browser") && shown.contains("email"),
        "{shown}"
    );
}

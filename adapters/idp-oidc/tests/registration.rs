//! The registration record and the settings checks made when the adapter is built.

use crate::{deps, oidc};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{IdpErrorKind, IdpSettings, ProbeResponse, Protocol};
use aws_runas_idp_testkit::{
    ExpectedRegistration, ScriptedPrompter, assert_accepted, assert_refused, assert_registration,
};
use std::sync::Arc;

#[test]
fn registration_it_is_never_detected() {
    assert_registration(
        oidc(),
        &ExpectedRegistration {
            registry: &["oidc"],
            name: "oidc",
            aliases: &[],
            crate_name: "aws-runas-idp-oidc",
            protocols: &[Protocol::Oidc],
            mfa: &[],
            found_as: &["Oidc"],
            urls_matched: &[],
            urls_not_matched: &[
                "https://login.example.com/tenant",
                "https://idp.example.com/realms/corp",
                "https://example.okta.com/oauth2/default",
                "https://accounts.google.com",
            ],
            probes_matched: vec![],
            probes_not_matched: vec![ProbeResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                cookies: vec!["KC_RESTART".into(), "JSESSIONID".into()],
            }],
        },
    );
}

#[test]
fn bad_settings_are_refused_when_building() {
    let url = ("url", "https://login.example.com/tenant");
    assert_refused(oidc(), &[url, ("oidc_flows", "device")], &["`oidc_flows`"]);
    assert_refused(
        oidc(),
        &[url, ("oidc_flow", "popup")],
        &["oidc_flow", "browser or device"],
    );
    assert_refused(
        oidc(),
        &[url, ("oidc_timeout", "forever")],
        &["oidc_timeout"],
    );
    assert_refused(oidc(), &[], &["web_identity_auth_url"]);
    assert_refused(oidc(), &[("url", "login.example.com")], &[]);
    assert_accepted(
        oidc(),
        &[
            url,
            ("oidc_flow", "device"),
            ("oidc_timeout", "3m"),
            ("oidc_scopes", "email,groups"),
            ("username", "jane.doe"),
            ("keycloak_otp_device", "another adapter's key"),
        ],
    );
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
    assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");
    assert!(
        e.to_string()
            .contains("oidc identity provider is oidc-only"),
        "{e}"
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

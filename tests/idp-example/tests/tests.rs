//! The `example` adapter's one integration binary: its registration, the shared conformance
//! suite, and the cases only Example SSO has, replayed from `fixtures/idp/example/`.

mod cases;
mod mock;

use aws_runas_domain::ports::idp::{AuthUrl, ProbeResponse, registry};
use aws_runas_idp_testkit::{Scenario, conformance};

// Names the crate so the linker keeps its registration (see docs/adding-an-idp.md).
use aws_runas_idp_example as _;

#[test]
fn the_registry_holds_exactly_the_example() {
    let registry = registry().unwrap();
    assert_eq!(registry.names(), vec!["example"]);
    let reg = registry.get("Example-SSO").unwrap();
    assert_eq!(reg.name(), "example");
    assert_eq!(reg.crate_name(), "aws-runas-idp-example");
}

#[test]
fn example_sso_is_detected_by_its_host_and_its_cookie() {
    let registry = registry().unwrap();
    for (url, detected) in [
        ("https://sso.example.test/start", true),
        ("https://eu.sso.example.test/start?RelayState=x", true),
        ("https://notsso.example.test/start", false),
        ("https://idp.example.test/start", false),
    ] {
        let url = AuthUrl::parse(url).unwrap();
        assert_eq!(registry.detect_by_url(&url).is_some(), detected, "{url:?}");
    }
    let probe = |cookie: &str| ProbeResponse {
        status: 200,
        headers: vec![],
        cookies: vec![cookie.to_string()],
    };
    assert_eq!(
        registry
            .detect_by_probe(&probe("example_sso"))
            .map(|r| r.name()),
        Some("example")
    );
    assert!(registry.detect_by_probe(&probe("KC_RESTART")).is_none());
}

#[tokio::test]
async fn the_example_passes_every_conformance_scenario() {
    let reg = registry().unwrap().get("example").unwrap();
    let report = conformance(reg, &mock::ExampleSsoMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

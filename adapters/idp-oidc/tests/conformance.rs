//! The shared conformance suites, run for the generic OIDC adapter: the OIDC suite through the
//! browser flow (the testkit's fake browser signs in at the mock provider and follows the
//! redirect to the adapter's loopback listener); the SAML suite only checks that SAML is refused
//! as unsupported. Every scenario that cannot apply is skipped here with the reason.

use crate::oidc;
use aws_runas_idp_testkit::{
    ConformanceMock, MockOidc, MockServer, OIDC_REDIRECT_PATH, OidcConformanceMock, OidcScenario,
    Scenario, ScenarioContext, conformance, oidc_conformance,
};

/// The OIDC adapter's side of the suites.
struct BrowserLogin;

impl OidcConformanceMock for BrowserLogin {
    fn browser(&self) -> bool {
        true
    }

    /// A loopback URI without a port: the adapter listens on a free one.
    fn redirect_uri(&self, _client: &MockServer) -> String {
        format!("http://127.0.0.1{OIDC_REDIRECT_PATH}")
    }

    fn extra_settings(&self, _oidc: &MockOidc) -> Vec<(String, String)> {
        vec![("oidc_timeout".into(), "10s".into())]
    }

    fn skip(&self, scenario: OidcScenario) -> Option<&'static str> {
        (scenario == OidcScenario::WrongPassword).then_some(
            "the password is typed into the browser: the adapter never sees the provider refuse \
             it, only a wait for the redirect that runs out at oidc_timeout",
        )
    }
}

impl ConformanceMock for BrowserLogin {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        ctx.server().url("/oidc")
    }

    fn skip(&self, _scenario: Scenario) -> Option<&'static str> {
        Some("oidc is an OIDC-only adapter: it makes no SAML login")
    }
}

#[tokio::test]
async fn the_browser_flow_passes_the_oidc_suite() {
    let report = oidc_conformance(oidc(), &BrowserLogin).await;
    assert_eq!(
        report.passed,
        [
            OidcScenario::Success,
            OidcScenario::StateMismatch,
            OidcScenario::ServerError,
            OidcScenario::NoIdToken,
        ]
    );
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].0, OidcScenario::WrongPassword);
}

#[tokio::test]
async fn saml_is_refused_as_unsupported_and_every_saml_scenario_says_why() {
    let report = conformance(oidc(), &BrowserLogin).await;
    assert!(report.passed.is_empty());
    let skipped: Vec<Scenario> = report.skipped.iter().map(|(s, _)| *s).collect();
    assert_eq!(skipped, Scenario::ALL.to_vec());
}

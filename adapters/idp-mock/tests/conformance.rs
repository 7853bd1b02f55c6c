//! The shared conformance suites, run for the mock: it talks to no IdP (it issues its own
//! assertion and token, from its settings alone), so no scenario can apply, and each is skipped
//! here with the reason; the suites check that every skip has one.

use crate::mock;
use aws_runas_idp_testkit::{
    ConformanceMock, MockOidc, OidcConformanceMock, OidcScenario, Scenario, ScenarioContext,
    conformance, oidc_conformance,
};

/// The mock's side of the suites: the URL it is configured with, and why each scenario does not
/// apply.
struct NoNetwork;

impl ConformanceMock for NoNetwork {
    fn setup(&self, _ctx: &ScenarioContext<'_>) -> String {
        "http://127.0.0.1/mock".to_string()
    }

    fn skip(&self, scenario: Scenario) -> Option<&'static str> {
        Some(match scenario {
            Scenario::OneRole | Scenario::SeveralRoles => {
                "the mock issues its own assertion for mock_roles; there is no IdP response to return"
            }
            Scenario::PasswordGivenUpFront | Scenario::WrongPassword => {
                "the mock asks for and checks no password"
            }
            Scenario::MfaAccepted | Scenario::MfaRejectedThenAccepted => {
                "the mock declares no MFA kind and asks for no code"
            }
            Scenario::ServerError | Scenario::Timeout | Scenario::UnrecognisedPage => {
                "the mock sends no request, so no server can fail it"
            }
        })
    }
}

impl OidcConformanceMock for NoNetwork {
    fn url(&self, _oidc: &MockOidc) -> String {
        "http://127.0.0.1/mock/oidc".to_string()
    }

    fn skip(&self, scenario: OidcScenario) -> Option<&'static str> {
        Some(match scenario {
            OidcScenario::Success => {
                "the mock mints its own unsigned token; no provider issues one to return"
            }
            OidcScenario::StateMismatch => "the mock makes no authorization request to answer",
            OidcScenario::WrongPassword => "the mock asks for and checks no password",
            OidcScenario::ServerError | OidcScenario::NoIdToken => {
                "the mock calls no token endpoint"
            }
        })
    }
}

#[tokio::test]
async fn no_saml_scenario_applies_and_each_says_why() {
    let report = conformance(mock(), &NoNetwork).await;
    assert!(report.passed.is_empty());
    let skipped: Vec<Scenario> = report.skipped.iter().map(|(s, _)| *s).collect();
    assert_eq!(skipped, Scenario::ALL.to_vec());
}

#[tokio::test]
async fn no_oidc_scenario_applies_and_each_says_why() {
    let report = oidc_conformance(mock(), &NoNetwork).await;
    assert!(report.passed.is_empty());
    let skipped: Vec<OidcScenario> = report.skipped.iter().map(|(s, _)| *s).collect();
    assert_eq!(skipped, OidcScenario::ALL.to_vec());
}

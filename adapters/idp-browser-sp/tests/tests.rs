//! The `browser-sp` adapter's one integration binary: the registration, the conformance suite
//! (every scenario is performed by a human in their own browser, so each is skipped with the
//! reason), and the login against a fake browser that plays the IdP.

mod cases;

use aws_runas_domain::ports::idp::{IdpRegistration, MfaKind, Protocol, registry};
use aws_runas_idp_testkit::{
    ConformanceMock, ExpectedRegistration, Scenario, ScenarioContext, assert_refused,
    assert_registration, conformance, probe_with_cookies,
};

use aws_runas_idp_browser_sp as _;

pub(crate) fn browser_sp() -> &'static IdpRegistration {
    registry().unwrap().get("browser-sp").unwrap()
}

#[test]
fn registration() {
    assert_registration(
        browser_sp(),
        &ExpectedRegistration {
            registry: &["browser-sp"],
            name: "browser-sp",
            aliases: &["browserne"],
            crate_name: "aws-runas-idp-browser-sp",
            protocols: &[Protocol::Saml],
            mfa: &[] as &[MfaKind],
            found_as: &["browser-sp", "BrowserNE"],
            urls_matched: &[],
            urls_not_matched: &[
                "https://login.microsoftonline.com/tenant/saml2",
                "https://idp.example.test/sso",
            ],
            probes_matched: vec![],
            probes_not_matched: vec![probe_with_cookies(&["JSESSIONID"])],
        },
    );
}

#[test]
fn a_mistyped_key_is_refused_by_name() {
    assert_refused(
        browser_sp(),
        &[
            ("url", "https://idp.example.test/saml2"),
            ("browser_sp_entityid", "urn:x"),
        ],
        &["browser_sp_entityid", "browser_sp_entity_id"],
    );
}

#[test]
fn a_url_that_is_not_http_is_refused() {
    assert_refused(
        browser_sp(),
        &[("url", "ftp://idp.example.test/saml2")],
        &["ftp"],
    );
}

struct HumanInTheBrowser;

impl ConformanceMock for HumanInTheBrowser {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        ctx.server().url("/saml2")
    }

    fn skip(&self, scenario: Scenario) -> Option<&'static str> {
        Some(match scenario {
            Scenario::OneRole | Scenario::SeveralRoles => {
                "performed by a human: the IdP's SAML response reaches the local ACS from the user's browser (tests/cases.rs plays it with a fake browser)"
            }
            Scenario::PasswordGivenUpFront | Scenario::WrongPassword => {
                "performed by a human: the password is typed into the IdP's page in the user's browser, never seen by aws-runas"
            }
            Scenario::MfaAccepted | Scenario::MfaRejectedThenAccepted => {
                "performed by a human: the second factor is answered in the user's browser"
            }
            Scenario::ServerError | Scenario::Timeout | Scenario::UnrecognisedPage => {
                "performed by a human: aws-runas never requests the IdP's pages, the browser does; a login that never finishes ends at mfa_wait_timeout (tests/cases.rs)"
            }
        })
    }
}

#[tokio::test]
async fn every_conformance_scenario_is_a_human_one() {
    let report = conformance(browser_sp(), &HumanInTheBrowser).await;
    assert!(report.passed.is_empty());
    assert_eq!(report.skipped.len(), Scenario::ALL.len());
}

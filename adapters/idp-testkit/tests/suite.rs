//! The conformance suite: the example adapter passes every scenario; broken variants are caught.

use crate::example::{ALL_AUTH, ExampleMock, NAME, NO_MFA_DECLARED, PASSWORD_IN_URL, RETRYING};
use aws_runas_domain::ports::idp::registry;
use aws_runas_idp_testkit::{
    ConformanceMock, Scenario, ScenarioContext, conformance, run_scenario,
};

#[tokio::test]
async fn the_example_adapter_passes_every_scenario() {
    let reg = registry().unwrap().get(NAME).unwrap();
    assert_eq!(reg.crate_name(), "aws-runas-idp-testkit");
    let report = conformance(reg, &ExampleMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

#[tokio::test]
async fn an_adapter_that_retries_a_wrong_password_fails() {
    let e = run_scenario(&RETRYING, &ExampleMock, Scenario::WrongPassword)
        .await
        .unwrap_err();
    assert!(e.contains("the adapter panicked: scripted prompter"), "{e}");
    assert!(e.contains("prompter: unexpected questions"), "{e}");
}

#[tokio::test]
async fn an_adapter_that_calls_every_failure_authentication_fails() {
    for scenario in [
        Scenario::ServerError,
        Scenario::Timeout,
        Scenario::UnrecognisedPage,
    ] {
        let e = run_scenario(&ALL_AUTH, &ExampleMock, scenario)
            .await
            .unwrap_err();
        assert!(
            e.contains("expected an IdpError of kind"),
            "{scenario:?}: {e}"
        );
        assert!(e.contains("kind: BadCredentials"), "{scenario:?}: {e}");
    }
    run_scenario(&ALL_AUTH, &ExampleMock, Scenario::WrongPassword)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_in_a_url_fails() {
    let e = run_scenario(&PASSWORD_IN_URL, &ExampleMock, Scenario::OneRole)
        .await
        .unwrap_err();
    assert!(
        e.contains("a secret was sent in the URL of GET /example-idp/login"),
        "{e}"
    );
}

/// The example's mock, saying the adapter has no second factor.
struct NoMfaMock;

impl ConformanceMock for NoMfaMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        ExampleMock.setup(ctx)
    }

    fn skip(&self, scenario: Scenario) -> Option<&'static str> {
        scenario
            .requires_mfa()
            .then_some("the example IdP is configured without a second factor")
    }
}

#[tokio::test]
async fn skipped_scenarios_are_reported_and_mfa_must_be_declared() {
    let report = conformance(&NO_MFA_DECLARED, &NoMfaMock).await;
    assert_eq!(report.passed.len(), 7);
    assert_eq!(
        report.skipped.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![Scenario::MfaAccepted, Scenario::MfaRejectedThenAccepted]
    );
    // Running the MFA scenarios without declaring `MfaKind::Code` fails the suite.
    let undeclared = tokio::spawn(conformance(&NO_MFA_DECLARED, &ExampleMock)).await;
    let panic = undeclared.unwrap_err().into_panic();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("does not declare MfaKind::Code"),
        "{message}"
    );
}

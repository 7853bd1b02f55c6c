//! A small headless OIDC adapter written the way a real one would be (with the support crate's
//! `OidcClient`), the OIDC conformance suite it passes, and broken variants the suite catches.

use async_trait::async_trait;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    AuthUrl, IdToken, IdentityProvider, IdpDeps, IdpError, IdpRegistration, IdpRegistrationSpec,
    IdpSettings, OidcRequest, ProbeResponse, Protocol, SamlAssertion, registry,
};
use aws_runas_idp_support::{HttpClient, HttpRequest, HttpResponse, OidcClient};
use aws_runas_idp_testkit::{
    MockOidc, MockOidcConfig, OidcConformanceMock, OidcScenario, oidc_conformance,
    run_oidc_scenario,
};
use std::fmt;

/// The name the OIDC example registers under.
const NAME: &str = "testkit-oidc-example";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quirk {
    None,
    /// Asks for the password again after a refusal.
    RetriesPasswords,
    /// Reports every failure as `Authentication`.
    EverythingIsAuthentication,
    /// Follows every redirect, fetching the client's redirect URI.
    FetchesTheRedirect,
}

struct ExampleOidc {
    issuer: String,
    username: String,
    http: HttpClient,
    deps: IdpDeps,
    password: Option<Secret>,
    quirk: Quirk,
}

impl fmt::Debug for ExampleOidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExampleOidc")
            .field("issuer", &self.issuer)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl ExampleOidc {
    fn answer(&self, page: &HttpResponse, tries: &mut usize) -> Result<HttpRequest, IdpError> {
        let html = page.html();
        let form = html
            .form_with_password()
            .ok_or_else(|| page.unexpected_page())?;
        if *tries > 0 && self.quirk != Quirk::RetriesPasswords {
            return Err(IdpError::bad_credentials(format!(
                "the identity provider refused the password of {}; it is not tried again",
                self.username
            )));
        }
        *tries += 1;
        let password = match (&self.password, *tries) {
            (Some(given), 1) => given.clone(),
            _ => self.deps.prompter.read_secret("Password: ")?,
        };
        let mut form = form.clone();
        form.fill("username", self.username.clone())
            .fill("password", password.expose());
        Ok(form.to_request().step("posting the password"))
    }

    async fn login(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        let client =
            OidcClient::discover(self.http.clone(), &self.deps, &self.issuer, None).await?;
        if self.quirk == Quirk::FetchesTheRedirect {
            let session = client.session(req)?;
            let page = self.http.follow(HttpRequest::get(session.url())).await?;
            let mut tries = 0;
            let answer = self.http.follow(self.answer(&page, &mut tries)?).await?;
            return Err(answer.unexpected_page().into());
        }
        let mut tries = 0;
        client
            .login_headless(req, |page| self.answer(page, &mut tries))
            .await
    }
}

#[async_trait]
impl IdentityProvider for ExampleOidc {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        Err(IdpError::unsupported("the example speaks OIDC only"))
    }

    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        match (self.quirk, self.login(req).await) {
            (Quirk::EverythingIsAuthentication, Err(e)) => Err(IdpError::bad_credentials(e)),
            (_, result) => result,
        }
    }
}

fn build_with(
    settings: &IdpSettings,
    deps: IdpDeps,
    quirk: Quirk,
) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let issuer = settings
        .get(IdpSettings::URL)
        .ok_or_else(|| IdpError::configuration("web_identity_auth_url is not set"))?;
    AuthUrl::parse(issuer)?;
    let username = settings
        .get(IdpSettings::USERNAME)
        .ok_or_else(|| IdpError::configuration("web_identity_username is not set"))?;
    Ok(Box::new(ExampleOidc {
        issuer: issuer.to_string(),
        username: username.to_string(),
        http: HttpClient::from_deps(&deps),
        deps,
        password: settings.password().cloned(),
        quirk,
    }))
}

fn build(s: &IdpSettings, d: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(s, d, Quirk::None)
}

fn build_retrying(s: &IdpSettings, d: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(s, d, Quirk::RetriesPasswords)
}

fn build_all_auth(s: &IdpSettings, d: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(s, d, Quirk::EverythingIsAuthentication)
}

fn build_fetching(s: &IdpSettings, d: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(s, d, Quirk::FetchesTheRedirect)
}

fn never_url(_: &AuthUrl) -> bool {
    false
}

fn never_probe(_: &ProbeResponse) -> bool {
    false
}

const fn spec(
    name: &'static str,
    protocols: &'static [Protocol],
    build: aws_runas_domain::ports::idp::IdpBuilder,
) -> IdpRegistrationSpec {
    IdpRegistrationSpec {
        name,
        aliases: &[],
        protocols,
        mfa: &[],
        matches_url: never_url,
        matches_probe: never_probe,
        build,
    }
}

aws_runas_domain::register_idp!(spec(NAME, &[Protocol::Oidc], build));

static RETRYING: IdpRegistration = IdpRegistration::new(
    "oidc-example-tests",
    spec("retrying", &[Protocol::Oidc], build_retrying),
);
static ALL_AUTH: IdpRegistration = IdpRegistration::new(
    "oidc-example-tests",
    spec("all-auth", &[Protocol::Oidc], build_all_auth),
);
static FETCHING: IdpRegistration = IdpRegistration::new(
    "oidc-example-tests",
    spec("fetching", &[Protocol::Oidc], build_fetching),
);
static UNDECLARED: IdpRegistration = IdpRegistration::new(
    "oidc-example-tests",
    spec("undeclared", &[Protocol::Saml], build),
);

/// The example provider: the testkit's mock as it comes.
struct ExampleMock;

impl OidcConformanceMock for ExampleMock {}

/// The same provider laid out like Keycloak, with its own login page.
struct KeycloakLayout;

impl OidcConformanceMock for KeycloakLayout {
    fn config(&self, _: OidcScenario) -> MockOidcConfig {
        let base = "/realms/corp/protocol/openid-connect";
        MockOidcConfig {
            issuer_path: "/realms/corp".into(),
            authorize_path: format!("{base}/auth"),
            token_path: format!("{base}/token"),
            jwks_path: format!("{base}/certs"),
            device_path: format!("{base}/auth/device"),
            login_page: std::sync::Arc::new(|p: &aws_runas_idp_testkit::LoginPage<'_>| {
                format!(
                    r#"<html><body><div id="kc-form"><form id="kc-form-login" method="post" action="{}">
<input id="username" name="{}"><input id="password" name="{}" type="password">
<input type="submit" name="login" value="Sign In"></form></div>{}</body></html>"#,
                    p.action.replace('&', "&amp;"),
                    p.username_field,
                    p.password_field,
                    p.error
                        .map(|e| format!(r#"<span id="input-error">{e}</span>"#))
                        .unwrap_or_default()
                )
            }),
            ..MockOidcConfig::new()
        }
    }

    fn url(&self, oidc: &MockOidc) -> String {
        oidc.issuer()
    }
}

#[tokio::test]
async fn the_oidc_example_passes_every_scenario() {
    let reg = registry().unwrap().get(NAME).unwrap();
    assert_eq!(reg.protocols(), &[Protocol::Oidc]);
    let report = oidc_conformance(reg, &ExampleMock).await;
    assert_eq!(report.passed, OidcScenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
    let keycloak = oidc_conformance(reg, &KeycloakLayout).await;
    assert_eq!(keycloak.passed, OidcScenario::ALL.to_vec());
}

#[tokio::test]
async fn retrying_a_refused_password_is_caught() {
    let e = run_oidc_scenario(&RETRYING, &ExampleMock, OidcScenario::WrongPassword)
        .await
        .unwrap_err();
    assert!(e.contains("prompter: unexpected questions"), "{e}");
}

#[tokio::test]
async fn calling_every_failure_authentication_is_caught() {
    for scenario in [OidcScenario::ServerError, OidcScenario::NoIdToken] {
        let e = run_oidc_scenario(&ALL_AUTH, &ExampleMock, scenario)
            .await
            .unwrap_err();
        assert!(
            e.contains("expected an IdpError of kind"),
            "{scenario:?}: {e}"
        );
    }
    run_oidc_scenario(&ALL_AUTH, &ExampleMock, OidcScenario::WrongPassword)
        .await
        .unwrap();
}

#[tokio::test]
async fn fetching_the_redirect_uri_is_caught() {
    let e = run_oidc_scenario(&FETCHING, &ExampleMock, OidcScenario::Success)
        .await
        .unwrap_err();
    assert!(e.contains("the redirect uri was fetched"), "{e}");
    assert!(e.contains("expected an id token"), "{e}");
}

/// Skips what the example cannot do, to show the report.
struct SkippingMock;

impl OidcConformanceMock for SkippingMock {
    fn skip(&self, scenario: OidcScenario) -> Option<&'static str> {
        (scenario == OidcScenario::NoIdToken).then_some("pretend the provider always sends one")
    }
}

#[tokio::test]
async fn skipped_scenarios_are_reported_and_oidc_must_be_declared() {
    let reg = registry().unwrap().get(NAME).unwrap();
    let report = oidc_conformance(reg, &SkippingMock).await;
    assert_eq!(report.passed.len(), 4);
    assert_eq!(report.skipped.len(), 1);
    let undeclared = tokio::spawn(oidc_conformance(&UNDECLARED, &ExampleMock)).await;
    let panic = undeclared.unwrap_err().into_panic();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("does not declare the OIDC protocol"),
        "{message}"
    );
}

/// Skips every scenario, one of them without a reason.
struct SkippingAllMock;

impl OidcConformanceMock for SkippingAllMock {
    fn skip(&self, scenario: OidcScenario) -> Option<&'static str> {
        Some(if scenario == OidcScenario::StateMismatch {
            " "
        } else {
            "not an oidc adapter"
        })
    }
}

#[tokio::test]
async fn a_skip_needs_a_reason_and_an_undeclared_protocol_must_be_unsupported() {
    let skipped = tokio::spawn(oidc_conformance(&UNDECLARED, &SkippingAllMock)).await;
    let panic = skipped.unwrap_err().into_panic();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("oidc_state_mismatch: skipped without a reason"),
        "{message}"
    );
    // Every scenario skipped, but the adapter still logs in (it asks the password): caught.
    assert!(
        message.contains("oidc_token() panicked: scripted prompter"),
        "{message}"
    );
}

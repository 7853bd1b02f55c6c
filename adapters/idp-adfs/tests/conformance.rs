//! The shared conformance suite, against a mock AD FS serving the fixture pages of the default
//! theme (the forms login and its error version, the Azure MFA verification-code page and its
//! refused version) and the suite's own SAML auto-post page.

use crate::{adfs, fixture_page};
use aws_runas_idp_testkit::{
    ConformanceMock, MockResponse, Scenario, ScenarioContext, conformance,
};

const SIGN_ON: &str = "/adfs/ls/IdpInitiatedSignOn.aspx";

/// A mock AD FS: the sign-on page answers the login form for `loginToRp=urn:amazon:webservices`;
/// the form posts back to it, which answers the next page.
struct AdfsMock;

impl ConformanceMock for AdfsMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let base = server.base_url();
        let login = fixture_page("bad-password", "login.html", &base);
        let login_error = fixture_page("bad-password", "login-error.html", &base);
        let code = fixture_page("otp-page", "mfa-code.html", &base);
        let code_refused = fixture_page("otp-page", "mfa-code-refused.html", &base);
        let saml = ctx.auto_post_page().to_string();
        let (user, password, mfa_code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();

        server.route("GET", SIGN_ON, move |r| {
            if r.query_param("loginToRp").as_deref() == Some("urn:amazon:webservices") {
                MockResponse::html(login.clone())
            } else {
                MockResponse::html("<html><body>unknown relying party</body></html>")
                    .with_status(400)
            }
        });
        server.route("POST", SIGN_ON, move |r| {
            let signed_in = || {
                MockResponse::html(saml.clone())
                    .set_cookie("MSISAuthenticated=RmFrZQ==; path=/adfs; HttpOnly")
            };
            if r.form_value("AuthMethod").as_deref() == Some("AzureMfaAuthentication") {
                let password_done = r.cookie("MSISAuth").as_deref() == Some("fake-msisauth-0001");
                let context_ok = r.form_value("Context").is_some();
                return match r.form_value("VerificationCode") {
                    Some(c) if password_done && context_ok && c == mfa_code => signed_in(),
                    _ => MockResponse::html(code_refused.clone()),
                };
            }
            let ok = r.form_value("UserName").as_deref() == Some(user)
                && r.form_value("Password").as_deref() == Some(password)
                && r.form_value("AuthMethod").as_deref() == Some("FormsAuthentication");
            match (ok, mfa) {
                (false, _) => MockResponse::html(login_error.clone()),
                (true, false) => signed_in(),
                (true, true) => MockResponse::html(code.clone())
                    .set_cookie("MSISAuth=fake-msisauth-0001; path=/adfs; HttpOnly"),
            }
        });
        // The bare host: the adapter builds the IdP-initiated sign-on URL itself.
        base
    }
}

#[tokio::test]
async fn adfs_passes_every_conformance_scenario() {
    let report = conformance(adfs(), &AdfsMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

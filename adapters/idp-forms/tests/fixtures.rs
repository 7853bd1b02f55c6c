//! Cases driven by the fixture pages of `fixtures/idp/forms/`: real IdP markup (Shibboleth,
//! SimpleSAMLphp, Apereo CAS, a portal with unusual field names), in English and German.

use crate::support::{
    CODE, PASSWORD, USER, WRONG_CODE, WRONG_PASSWORD, fixture, login, message, registration,
    saml_fixture, saml_response, settings, settings_for_user, with_secrets,
};
use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_domain::ports::prompter::PromptError;
use aws_runas_idp_testkit::{MockResponse, MockServer, PromptKind, ScriptedPrompter, saml_roles};
use std::sync::Arc;

const SHIB_SSO: &str = "/idp/profile/SAML2/Unsolicited/SSO";

/// A Shibboleth IdP: IdP-initiated SSO, the login form, the attribute-release consent page, and
/// the POST-binding page; the login form comes back with its error banner for a wrong password.
fn shibboleth(server: &MockServer, saml: &str) {
    let saml_page = saml_fixture("shibboleth-consent", "saml-post.html", saml);
    server.route("GET", SHIB_SSO, |r| {
        match r.query_param("execution").as_deref() {
            None if r.query_param("providerId").as_deref() == Some("urn:amazon:webservices") => {
                MockResponse::redirect(format!("{SHIB_SSO}?execution=e1s1"))
                    .cookie("JSESSIONID", "fake-session-0001")
            }
            Some("e1s1") if r.cookie("JSESSIONID").is_some() => {
                MockResponse::html(fixture("shibboleth-consent", "login.html"))
            }
            Some("e1s2") => MockResponse::html(fixture("shibboleth-consent", "consent.html")),
            _ => MockResponse::new(400).body("bad request"),
        }
    });
    server.route("POST", SHIB_SSO, move |r| {
        match r.query_param("execution").as_deref() {
            Some("e1s1") => {
                let ok = r.form_value("csrf_token").as_deref() == Some("_fake-csrf-0001")
                    && r.form_value("_eventId_proceed").is_some()
                    && r.form_value("j_username").as_deref() == Some(USER)
                    && r.form_value("j_password").as_deref() == Some(PASSWORD)
                    && r.form_value("donotcache").is_none();
                if ok {
                    MockResponse::redirect(format!("{SHIB_SSO}?execution=e1s2"))
                } else {
                    MockResponse::html(fixture("shibboleth-error-banner", "login-failed.html"))
                }
            }
            Some("e1s2") => {
                let form = r.form();
                let ids: Vec<&str> = form
                    .iter()
                    .filter(|(n, _)| n == "_shib_idp_consentIds")
                    .map(|(_, v)| v.as_str())
                    .collect();
                let ok = r.form_value("_eventId_proceed").as_deref() == Some("Accept")
                    && r.form_value("_eventId_AttributeReleaseRejected").is_none()
                    && r.form_value("_shib_idp_consentOptions").as_deref()
                        == Some("_shib_idp_rememberConsent")
                    && ids == ["uid", "awsRole"];
                if ok {
                    MockResponse::html(saml_page.clone())
                } else {
                    MockResponse::html(
                        "<html><body><p>Attribute release rejected.</p></body></html>",
                    )
                }
            }
            // The failed-login page posts to e1s2 as well; a second password is never expected.
            _ => MockResponse::new(400).body("bad request"),
        }
    });
}

#[tokio::test]
async fn shibboleth_login_then_a_consent_page_in_the_middle() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "Shibboleth");
    shibboleth(&server, &saml);
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let url = server.url(&format!("{SHIB_SSO}?providerId=urn:amazon:webservices"));
    let s = settings_for_user(&url, &[]);
    let assertion = login(&s, &prompter, None).await.unwrap();
    assert_eq!(assertion.0.expose(), saml);
    let roles = saml_roles(assertion.0.expose()).unwrap();
    assert_eq!(
        roles[0].role_arn,
        "arn:aws:iam::123456789012:role/FormsReader"
    );
    assert_eq!(prompter.labels(), vec!["Password: "]);
    prompter.assert_finished();
    let steps: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method(),
                r.query_param("execution").unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        steps,
        ["GET ", "GET e1s1", "POST e1s1", "GET e1s2", "POST e1s2"]
    );
}

#[tokio::test]
async fn shibboleth_login_form_back_with_its_error_banner_is_authentication_failed() {
    let server = MockServer::start();
    shibboleth(&server, &saml_response("FormsReader", "Shibboleth"));
    let prompter = Arc::new(ScriptedPrompter::new().secret(WRONG_PASSWORD));
    let url = server.url(&format!("{SHIB_SSO}?providerId=urn:amazon:webservices"));
    let e = login(&settings_for_user(&url, &[]), &prompter, None)
        .await
        .unwrap_err();
    let text = message(&e);
    assert!(matches!(&e, err_ if err_.is_authentication()), "{e:?}");
    assert!(
        text.contains(&server.url(SHIB_SSO))
            && text.contains("The password you entered was incorrect.")
            && text.contains("not retried"),
        "{text}"
    );
    // One question, one password sent.
    prompter.assert_finished();
    assert_eq!(server.requests_to("POST", SHIB_SSO).len(), 1);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.target().contains(WRONG_PASSWORD))
    );
}

const SSP_LOGIN: &str = "/simplesaml/module.php/core/loginuserpass";

/// A SimpleSAMLphp IdP behind an SP that sends the SAML request with an auto-post page; the
/// user name is asked (not configured), in English or German pages, with a consent page in the
/// German one.
fn simplesamlphp(server: &MockServer, saml: &str, german: bool) {
    let case = if german {
        "german-login"
    } else {
        "simplesamlphp-auto-post"
    };
    let saml_page = saml_fixture(case, "saml-post.html", saml);
    server.route("GET", "/sp/aws", |_| {
        MockResponse::html(fixture("simplesamlphp-auto-post", "sp-request.html"))
    });
    server.route("POST", "/simplesaml/saml2/idp/SSOService.php", |r| {
        if r.form_value("SAMLRequest").is_some() && r.form_value("RelayState").is_some() {
            MockResponse::redirect(format!("{SSP_LOGIN}?AuthState=_fake-authstate"))
                .cookie("SimpleSAMLSessionID", "fake-session-0002")
        } else {
            MockResponse::new(400).body("no SAMLRequest")
        }
    });
    server.route("GET", SSP_LOGIN, move |_| {
        MockResponse::html(fixture(case, "login.html"))
    });
    let after_login = saml_page.clone();
    server.route("POST", SSP_LOGIN, move |r| {
        let ok = r
            .form_value("AuthState")
            .is_some_and(|s| s.starts_with("_fake-authstate-"))
            && r.form_value("username").as_deref() == Some(USER)
            && r.form_value("password").as_deref() == Some(PASSWORD);
        match (ok, german) {
            (false, _) => MockResponse::html(fixture(case, "login-failed.html")),
            (true, false) => MockResponse::html(after_login.clone()),
            (true, true) => MockResponse::redirect(
                "/simplesaml/module.php/consent/getconsent?StateId=_fake-stateid-0002%3Aconsent",
            ),
        }
    });
    server.route(
        "GET",
        "/simplesaml/module.php/consent/getconsent",
        move |r| match (r.query_param("yes"), r.query_param("StateId")) {
            (None, Some(_)) => MockResponse::html(fixture("german-login", "consent.html")),
            (Some(_), Some(state)) if state == "_fake-stateid-0002:consent" => {
                MockResponse::html(saml_page.clone())
            }
            _ => MockResponse::new(400).body("bad consent"),
        },
    );
    server.route("GET", "/simplesaml/module.php/consent/noconsent", |_| {
        MockResponse::html("<html><body><h1>Keine Zustimmung</h1></body></html>")
    });
}

#[tokio::test]
async fn simplesamlphp_behind_an_auto_post_hop_asks_the_user_name() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "SimpleSAMLphp");
    simplesamlphp(&server, &saml, false);
    let prompter = Arc::new(ScriptedPrompter::new().line(USER).secret(PASSWORD));
    let s = settings(&server.url("/sp/aws"), &[]);
    let assertion = login(&s, &prompter, None).await.unwrap();
    assert_eq!(assertion.0.expose(), saml);
    assert_eq!(prompter.labels(), vec!["Username: ", "Password: "]);
    prompter.assert_finished();
    let hop = server.requests_to("POST", "/simplesaml/saml2/idp/SSOService.php");
    assert_eq!(hop.len(), 1);
    assert_eq!(
        hop[0].form_value("SAMLRequest").as_deref(),
        Some("PHNhbWxwOkF1dGhuUmVxdWVzdCBJRD0iX2Zha2UtcmVxdWVzdC0wMDAxIi8+")
    );
}

#[tokio::test]
async fn a_german_login_with_a_german_consent_page() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "SimpleSAMLphp");
    simplesamlphp(&server, &saml, true);
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let s = settings_for_user(&server.url("/sp/aws"), &[]);
    let assertion = login(&s, &prompter, None).await.unwrap();
    assert_eq!(assertion.0.expose(), saml);
    prompter.assert_finished();
    // The "yes" form was submitted (a GET form: its fields went into the query), never the "no" one.
    let consent = server.requests_to("GET", "/simplesaml/module.php/consent/getconsent");
    assert_eq!(consent.len(), 2);
    assert_eq!(consent[1].query_param("yes").as_deref(), Some(""));
    assert_eq!(consent[1].query_param("saveconsent"), None);
    assert!(
        server
            .requests_to("GET", "/simplesaml/module.php/consent/noconsent")
            .is_empty()
    );
}

#[tokio::test]
async fn a_german_login_form_back_with_its_banner_is_authentication_failed() {
    let server = MockServer::start();
    simplesamlphp(
        &server,
        &saml_response("FormsReader", "SimpleSAMLphp"),
        true,
    );
    let prompter = Arc::new(ScriptedPrompter::new().secret(WRONG_PASSWORD));
    let s = settings_for_user(&server.url("/sp/aws"), &[]);
    let e = login(&s, &prompter, None).await.unwrap_err();
    let text = message(&e);
    assert!(matches!(&e, err_ if err_.is_authentication()), "{e:?}");
    assert!(
        text.contains("Falscher Benutzername oder Passwort") && text.contains(SSP_LOGIN),
        "{text}"
    );
    prompter.assert_finished();
    assert_eq!(server.requests_to("POST", SSP_LOGIN).len(), 1);
}

/// An Apereo CAS IdP with a Google Authenticator token page.
fn cas(server: &MockServer, saml: &str) {
    let saml_page = saml_fixture("cas-otp", "saml-post.html", saml);
    server.route("GET", "/cas/login", |r| {
        if r.query_param("service").is_some() {
            MockResponse::html(fixture("cas-otp", "login.html")).cookie("TGC-pending", "fake")
        } else {
            MockResponse::new(400).body("no service")
        }
    });
    server.route("POST", "/cas/login", move |r| {
        if r.form_value("password").is_some() {
            let ok = r.form_value("execution").as_deref() == Some("_fake-execution-e1s1")
                && r.form_value("_eventId").as_deref() == Some("submit")
                && r.form_value("username").as_deref() == Some(USER)
                && r.form_value("password").as_deref() == Some(PASSWORD);
            return if ok {
                MockResponse::html(fixture("cas-otp", "token.html"))
            } else {
                MockResponse::html(fixture("cas-otp", "login.html"))
            };
        }
        let ok = r
            .form_value("execution")
            .is_some_and(|e| e.starts_with("_fake-execution-e1s"))
            && r.form_value("submit").is_some()
            && r.form_value("token").as_deref() == Some(CODE);
        if ok {
            MockResponse::html(saml_page.clone())
        } else {
            MockResponse::html(fixture("cas-otp", "token-refused.html"))
        }
    });
}

fn cas_url(server: &MockServer) -> String {
    server.url("/cas/login?service=https%3A%2F%2Fcas.example.test%2Fcas%2Fidp%2Fprofile%2FSAML2%2FCallback")
}

fn token_posts(server: &MockServer) -> Vec<String> {
    server
        .requests_to("POST", "/cas/login")
        .iter()
        .filter_map(|r| r.form_value("token"))
        .collect()
}

#[tokio::test]
async fn a_one_time_code_page_refused_once_then_accepted() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "CAS");
    cas(&server, &saml);
    let prompter = Arc::new(
        ScriptedPrompter::new()
            .secret(PASSWORD)
            .line(WRONG_CODE)
            .line(CODE),
    );
    let assertion = login(&settings_for_user(&cas_url(&server), &[]), &prompter, None)
        .await
        .unwrap();
    assert_eq!(assertion.0.expose(), saml);
    assert_eq!(
        prompter.labels(),
        vec!["Password: ", "MFA code: ", "MFA code: "]
    );
    prompter.assert_finished();
    assert_eq!(token_posts(&server), [WRONG_CODE, CODE]);
    let notices = prompter.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("Invalid or expired token."),
        "{notices:?}"
    );
}

#[tokio::test]
async fn three_refused_codes_end_the_login() {
    let server = MockServer::start();
    cas(&server, &saml_response("FormsReader", "CAS"));
    let prompter = Arc::new(
        ScriptedPrompter::new()
            .secret(PASSWORD)
            .line(WRONG_CODE)
            .line("000000")
            .line("111111"),
    );
    let e = login(&settings_for_user(&cas_url(&server), &[]), &prompter, None)
        .await
        .unwrap_err();
    let text = message(&e);
    assert!(matches!(&e, err_ if err_.is_authentication()), "{e:?}");
    assert!(
        text.contains("refused 3 one-time codes") && text.contains("Invalid or expired token."),
        "{text}"
    );
    prompter.assert_finished();
    assert_eq!(token_posts(&server), [WRONG_CODE, "000000", "111111"]);
}

#[tokio::test]
async fn a_code_given_up_front_answers_the_first_question_only() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "CAS");
    cas(&server, &saml);
    // Right away: nothing is asked but the password.
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let s = with_secrets(settings_for_user(&cas_url(&server), &[]), None, Some(CODE));
    assert_eq!(login(&s, &prompter, None).await.unwrap().0.expose(), saml);
    prompter.assert_finished();
    // Refused: the next code is asked.
    let server = MockServer::start();
    cas(&server, &saml);
    let prompter = Arc::new(ScriptedPrompter::new().line(CODE));
    let s = with_secrets(
        settings_for_user(&cas_url(&server), &[]),
        Some(PASSWORD),
        Some(WRONG_CODE),
    );
    assert_eq!(login(&s, &prompter, None).await.unwrap().0.expose(), saml);
    assert_eq!(prompter.labels(), vec!["MFA code: "]);
    assert_eq!(token_posts(&server), [WRONG_CODE, CODE]);
}

#[tokio::test]
async fn a_code_page_with_mfa_type_none_is_a_configuration_error() {
    let server = MockServer::start();
    cas(&server, &saml_response("FormsReader", "CAS"));
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let s = settings_for_user(&cas_url(&server), &[(IdpSettings::MFA_TYPE, "none")]);
    let e = login(&s, &prompter, None).await.unwrap_err();
    assert!(
        matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("mfa_type is none") && m.contains("/cas/login")}),
        "{e:?}"
    );
    prompter.assert_finished();
    assert!(token_posts(&server).is_empty());
}

#[tokio::test]
async fn no_terminal_for_the_code_is_a_prompt_error() {
    let server = MockServer::start();
    cas(&server, &saml_response("FormsReader", "CAS"));
    let prompter = Arc::new(
        ScriptedPrompter::new()
            .secret(PASSWORD)
            .fail(PromptKind::Line, PromptError::NoTerminal),
    );
    let e = login(&settings_for_user(&cas_url(&server), &[]), &prompter, None)
        .await
        .unwrap_err();
    assert_eq!(e, IdpError::from(PromptError::NoTerminal));
}

const PORTAL: &str = "/portal/Account/SignOn";

/// A company portal whose user name is `ident` (after which comes a prefilled `realm`) and
/// whose password is the second password input, `secret`.
fn portal(server: &MockServer, saml: &str) {
    let saml_page = saml_fixture("unusual-field-names", "saml-post.html", saml);
    server.route("GET", "/portal/saml/aws", |_| {
        MockResponse::redirect(format!("{PORTAL}?ReturnUrl=%2Fportal%2Fsaml%2Faws"))
    });
    server.route("GET", PORTAL, |_| {
        MockResponse::html(fixture("unusual-field-names", "login.html"))
    });
    server.route("POST", PORTAL, move |r| {
        let ok = r.query_param("ReturnUrl").as_deref() == Some("/portal/saml/aws")
            && r.form_value("__RequestVerificationToken").as_deref()
                == Some("_fake-antiforgery-0001")
            && r.form_value("ident").as_deref() == Some(USER)
            && r.form_value("realm").as_deref() == Some("CORP")
            && r.form_value("secret").as_deref() == Some(PASSWORD)
            && r.form_value("pin").as_deref() == Some("")
            && r.form_value("action").as_deref() == Some("Sign on");
        if ok {
            MockResponse::html(saml_page.clone())
        } else {
            MockResponse::html(fixture("unusual-field-names", "login-failed.html"))
        }
    });
}

#[tokio::test]
async fn unusual_field_names_need_the_override_keys() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "AcmePortal");
    portal(&server, &saml);
    let url = server.url("/portal/saml/aws");
    let overrides = [
        ("forms_username_field", "ident"),
        ("forms_password_field", "secret"),
    ];
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let assertion = login(&settings_for_user(&url, &overrides), &prompter, None)
        .await
        .unwrap();
    assert_eq!(assertion.0.expose(), saml);
    prompter.assert_finished();

    // Without them, the guesses (the last text input before the first password input) are wrong,
    // and the portal's refusal is an authentication failure quoting its banner.
    let server = MockServer::start();
    portal(&server, &saml);
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let e = login(
        &settings_for_user(&server.url("/portal/saml/aws"), &[]),
        &prompter,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(&e, err_ if err_.is_authentication()), "{e:?}");
    assert!(
        message(&e).contains("The staff number or passphrase is not valid."),
        "{e}"
    );
    let sent = &server.requests_to("POST", PORTAL)[0];
    assert_eq!(sent.form_value("realm").as_deref(), Some(USER));
    assert_eq!(sent.form_value("pin").as_deref(), Some(PASSWORD));
}

#[tokio::test]
async fn an_override_naming_no_input_of_the_form_is_a_configuration_error() {
    let server = MockServer::start();
    portal(&server, &saml_response("FormsReader", "AcmePortal"));
    let prompter = Arc::new(ScriptedPrompter::new());
    let s = settings_for_user(
        &server.url("/portal/saml/aws"),
        &[("forms_username_field", "staff_no")],
    );
    let e = login(&s, &prompter, None).await.unwrap_err();
    assert!(
        matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("\"staff_no\"") && m.contains("forms_username_field") && m.contains(PORTAL)}),
        "{e:?}"
    );
    // Nothing was asked or posted.
    assert!(prompter.questions().is_empty());
    assert!(server.requests_to("POST", PORTAL).is_empty());
}

#[test]
fn an_unknown_forms_key_is_refused_when_the_adapter_is_built() {
    let prompter = Arc::new(ScriptedPrompter::new());
    let s = settings(
        "https://idp.example.test/sso",
        &[
            ("forms_user_field", "ident"),
            ("keycloak_realm", "other adapter"),
        ],
    );
    let e = registration()
        .build(&s, crate::support::deps(&prompter, None))
        .unwrap_err();
    assert!(
        matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("`forms_user_field`")}),
        "{e:?}"
    );
}

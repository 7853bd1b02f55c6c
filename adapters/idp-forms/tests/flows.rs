//! Flows around the pages: an IdP session kept in the cookie jar, identifier-first logins,
//! refusals with a 4xx status, the bound on pages, unknown pages mid-flow, and forms that would
//! put a secret in a URL.

use crate::support::{PASSWORD, USER, login, message, saml_response, settings, settings_for_user};
use aws_runas_domain::ports::idp::{IdpError, IdpErrorKind};
use aws_runas_idp_testkit::{MockResponse, MockServer, ScriptedPrompter, auto_post_page};
use std::sync::Arc;

const LOGIN_FORM: &str = r#"<!DOCTYPE html><html><body>
<form method="post" action="/login"><input name="username"><input type="password" name="password">
<input type="submit" value="Go"></form></body></html>"#;

/// A login page that hands out a session cookie, and an SSO page that answers with the SAML
/// page straight away when the session cookie comes with the request.
fn session_idp(server: &MockServer, saml: &str) {
    let page = auto_post_page(saml);
    let again = page.clone();
    server.route("GET", "/sso", move |r| {
        if r.cookie("IDP_SESSION").as_deref() == Some("fake-session-0003") {
            MockResponse::html(page.clone())
        } else {
            MockResponse::redirect("/login")
        }
    });
    server.route("GET", "/login", |_| MockResponse::html(LOGIN_FORM));
    server.route("POST", "/login", move |r| {
        if r.form_value("password").as_deref() == Some(PASSWORD) {
            MockResponse::html(again.clone())
                .set_cookie("IDP_SESSION=fake-session-0003; Path=/; HttpOnly")
        } else {
            MockResponse::html(LOGIN_FORM)
        }
    });
}

#[tokio::test]
async fn an_idp_session_in_the_cookie_jar_asks_nothing() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "Session");
    session_idp(&server, &saml);
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join(".aws_runas.cookies");
    let s = settings_for_user(&server.url("/sso"), &[]);

    let first = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    assert_eq!(
        login(&s, &first, Some(&jar)).await.unwrap().0.expose(),
        saml
    );
    first.assert_finished();

    // A new adapter (a new run) with the same jar: the page already carries the SAMLResponse.
    let second = Arc::new(ScriptedPrompter::new());
    assert_eq!(
        login(&s, &second, Some(&jar)).await.unwrap().0.expose(),
        saml
    );
    assert!(second.questions().is_empty());
    assert_eq!(server.requests_to("POST", "/login").len(), 1);
    assert_eq!(server.requests_to("GET", "/sso").len(), 2);
}

/// An identifier-first IdP: a page asking the user name only, then the password page.
fn identifier_first(server: &MockServer, saml: &str) {
    let page = auto_post_page(saml);
    server.route("GET", "/start", |_| {
        MockResponse::html(
            r#"<form method="post" action="/identify"><input type="hidden" name="flow" value="f1">
            <input type="email" name="identifier" autocomplete="username"><button name="next">Weiter</button></form>"#,
        )
    });
    server.route("POST", "/identify", |r| {
        if r.form_value("identifier").as_deref() == Some(USER) && r.form_value("next").is_some() {
            MockResponse::html(
                r#"<form method="post" action="/password"><input type="hidden" name="identifier" value="jane.doe">
                <input type="password" name="passwd"><button name="next">Weiter</button></form>"#,
            )
        } else {
            MockResponse::html(
                r#"<div role="alert">Unbekanntes Konto</div><form method="post" action="/identify">
                <input type="email" name="identifier"><button name="next">Weiter</button></form>"#,
            )
        }
    });
    server.route("POST", "/password", move |r| {
        if r.form_value("passwd").as_deref() == Some(PASSWORD)
            && r.form_value("identifier").as_deref() == Some(USER)
        {
            MockResponse::html(page.clone())
        } else {
            MockResponse::new(401).body("refused")
        }
    });
}

#[tokio::test]
async fn an_identifier_first_login_sends_the_user_name_then_the_password() {
    let server = MockServer::start();
    let saml = saml_response("FormsReader", "IdentifierFirst");
    identifier_first(&server, &saml);
    let prompter = Arc::new(ScriptedPrompter::new().line(USER).secret(PASSWORD));
    let s = settings(&server.url("/start"), &[]);
    assert_eq!(login(&s, &prompter, None).await.unwrap().0.expose(), saml);
    // The user name is asked once, although two forms carry it.
    assert_eq!(prompter.labels(), vec!["Username: ", "Password: "]);
    prompter.assert_finished();
}

#[tokio::test]
async fn an_unknown_user_name_is_bad_credentials_before_any_password() {
    let server = MockServer::start();
    identifier_first(&server, &saml_response("FormsReader", "IdentifierFirst"));
    let prompter = Arc::new(ScriptedPrompter::new());
    let s = settings(&server.url("/start"), &[("username", "nobody")]);
    let e = login(&s, &prompter, None).await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
    let m = message(&e);
    assert!(
        m.contains("unknown user name") && m.contains("nobody") && m.contains("Unbekanntes Konto"),
        "{m}"
    );
    assert!(prompter.questions().is_empty());
    assert_eq!(server.requests_to("POST", "/identify").len(), 1);
}

#[tokio::test]
async fn a_login_form_back_with_a_4xx_status_is_bad_credentials() {
    let server = MockServer::start();
    server.route("GET", "/login", |_| MockResponse::html(LOGIN_FORM));
    server.route("POST", "/login", |_| {
        MockResponse::html(LOGIN_FORM).with_status(401)
    });
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let e = login(
        &settings_for_user(&server.url("/login"), &[]),
        &prompter,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
    prompter.assert_finished();
    assert_eq!(server.requests_to("POST", "/login").len(), 1);
}

#[tokio::test]
async fn a_5xx_after_the_password_is_unavailable_naming_the_step() {
    let server = MockServer::start();
    server.route("GET", "/login", |_| MockResponse::html(LOGIN_FORM));
    server.route("POST", "/login", |_| {
        MockResponse::html(LOGIN_FORM).with_status(502)
    });
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let e = login(
        &settings_for_user(&server.url("/login"), &[]),
        &prompter,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unavailable, "{e:?}");
    assert_eq!(e.step(), Some("posting the password"));
    assert_eq!(e.host(), Some(server.host().as_str()));
    assert!(message(&e).contains("502"), "{e}");
}

#[tokio::test]
async fn an_unknown_page_after_the_password_names_its_url_and_the_step() {
    let server = MockServer::start();
    server.route("GET", "/login", |_| MockResponse::html(LOGIN_FORM));
    server.route("POST", "/login", |_| {
        MockResponse::redirect("/welcome?ticket=abc")
    });
    server.route("GET", "/welcome", |_| {
        MockResponse::html(
            "<html><body><h1>Willkommen</h1><a href=\"/apps\">Apps</a></body></html>",
        )
    });
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let e = login(
        &settings_for_user(&server.url("/login"), &[]),
        &prompter,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        IdpError::unexpected_page(format!("unrecognised page at {}", server.url("/welcome")))
            .at_step("posting the password")
    );
}

#[tokio::test]
async fn a_loop_of_forms_ends_at_the_page_bound() {
    let server = MockServer::start();
    let form =
        r#"<form method="post" action="/loop"><input type="hidden" name="n" value="1"></form>"#;
    server.route("GET", "/loop", move |_| MockResponse::html(form));
    server.route("POST", "/loop", move |_| MockResponse::html(form));
    let prompter = Arc::new(ScriptedPrompter::new());
    let e = login(&settings(&server.url("/loop"), &[]), &prompter, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("15 pages") && m.contains(&server.url("/loop")),
        "{m}"
    );
    assert_eq!(server.requests().len(), 15);
}

#[tokio::test]
async fn a_login_form_that_would_put_the_password_in_its_url_is_refused() {
    let server = MockServer::start();
    server.route("GET", "/login", |_| {
        MockResponse::html(r#"<form action="/check"><input name="user"><input type="password" name="pass"></form>"#)
    });
    let prompter = Arc::new(ScriptedPrompter::new());
    let e = login(
        &settings_for_user(&server.url("/login"), &[]),
        &prompter,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");
    let m = e.to_string();
    assert!(m.contains("password") && m.contains("method GET"), "{m}");
    assert!(prompter.questions().is_empty());
    assert_eq!(server.requests().len(), 1);
}

//! SAML end to end: the forms adapter against a mock IdP on 127.0.0.1, then AssumeRoleWithSAML
//! on moto; the bad inputs of the identity-provider issue; the stored password.

use crate::support::{Lab, assert_no_secret_leaks, assert_one_line_error, exports, now, runas};
use aws_runas_idp_testkit::{
    MockResponse, MockServer, SamlResponseBuilder, SamlRole, auto_post_page,
};
use aws_runas_tests::{Moto, TestEnv, unique_name};

const PASSWORD: &str = "correct horse battery staple";

const LOGIN_PAGE: &str = r#"<html><body><form method="post" action="/login">
<input type="text" name="username"><input type="password" name="password">
<input type="hidden" name="csrf" value="token-1"><button type="submit">Sign in</button></form></body></html>"#;

/// A form-login IdP: GET /login shows the form; POST /login with the right password answers
/// `assertion` as an auto-post page, with a wrong one the form again.
fn idp(assertion: String) -> MockServer {
    let server = MockServer::start();
    server.route("GET", "/login", |_| MockResponse::html(LOGIN_PAGE));
    server.route("POST", "/login", move |req| {
        if req.form_value("password").as_deref() == Some(PASSWORD)
            && req.form_value("csrf").as_deref() == Some("token-1")
        {
            MockResponse::html(auto_post_page(&assertion))
        } else {
            MockResponse::html(LOGIN_PAGE)
        }
    });
    server
}

struct Saml {
    lab: Lab,
    role: String,
    provider: String,
}

fn saml_account() -> Saml {
    let moto = Moto::shared();
    let provider_name = unique_name("corp");
    let metadata = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.org"/>"#;
    let out = moto
        .query(
            "iam",
            "CreateSAMLProvider",
            &[("Name", &provider_name), ("SAMLMetadataDocument", metadata)],
        )
        .unwrap();
    let provider = out
        .split("<SAMLProviderArn>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithSAML"}}]}}"#
    );
    let role = moto.create_role("saml-admin", &trust);
    Saml {
        lab: Lab::new(),
        role,
        provider,
    }
}

fn assertion(roles: &[(&str, &str)]) -> String {
    SamlResponseBuilder::new(now())
        .roles(roles.iter().map(|(r, p)| SamlRole::new(*r, *p)))
        .session_name(Some("alice@example.com"))
        .base64()
}

fn config(server: &MockServer, role: &str, extra: &str) -> String {
    format!(
        "[profile corp]\nsaml_auth_url = {}\nsaml_provider = forms\nsaml_username = alice\nrole_arn = {role}\n{extra}",
        server.url("/login")
    )
}

#[test]
fn forms_login_then_assume_role_with_saml_as_env_json_and_exec() {
    let s = saml_account();
    let saml = assertion(&[(&s.role, &s.provider)]);
    let server = idp(saml.clone());
    let env = TestEnv::new(&config(&server, &s.role, ""), "");
    let run = runas(
        &env,
        s.lab.url(),
        &["-vv", "corp"],
        &[("SAML_PASSWORD", PASSWORD)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let vars = exports(&run.stdout);
    assert!(
        vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"),
        "{}",
        run.stdout
    );
    assert_eq!(s.lab.proxy.count("AssumeRoleWithSAML"), 1);
    let call = s
        .lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRoleWithSAML"))
        .unwrap();
    assert_eq!(call.param("RoleArn").as_deref(), Some(s.role.as_str()));
    assert_eq!(
        call.param("PrincipalArn").as_deref(),
        Some(s.provider.as_str())
    );
    assert_eq!(
        call.param("SAMLAssertion").as_deref(),
        Some(saml.as_str()),
        "the assertion exactly as the IdP sent it"
    );
    assert_eq!(
        server.requests_to("POST", "/login").len(),
        1,
        "one password attempt"
    );
    assert_no_secret_leaks(&run, &[PASSWORD, &saml, &vars["AWS_SECRET_ACCESS_KEY"]]);
    assert!(env.home().join(".aws").join(".aws_saml_role_corp").exists());

    // JSON and a command, from the cache: no new login, no new STS call.
    let json = runas(&env, s.lab.url(), &["-O", "json", "corp"], &[]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert!(
        json.stdout.contains(&vars["AWS_ACCESS_KEY_ID"]),
        "{}",
        json.stdout
    );
    let exec = runas(
        &env,
        s.lab.url(),
        &["-E", "corp", "sh", "-c", "echo $AWS_ACCESS_KEY_ID"],
        &[],
    );
    assert_eq!(exec.stdout.trim(), vars["AWS_ACCESS_KEY_ID"]);
    assert_eq!(server.requests_to("POST", "/login").len(), 1);
    assert_eq!(s.lab.proxy.count("AssumeRoleWithSAML"), 1);
}

#[test]
fn a_login_form_no_adapter_claims_is_logged_in_with_forms() {
    let s = saml_account();
    let saml = assertion(&[(&s.role, &s.provider)]);
    let server = idp(saml.clone());
    // No saml_provider: neither the address nor a probe names an adapter.
    let env = TestEnv::new(
        &format!(
            "[profile corp]\nsaml_auth_url = {}\nsaml_username = alice\nrole_arn = {}\n",
            server.url("/login"),
            s.role
        ),
        "",
    );
    let run = runas(
        &env,
        s.lab.url(),
        &["-v", "corp"],
        &[("SAML_PASSWORD", PASSWORD)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let vars = exports(&run.stdout);
    assert!(
        vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("DEBUG no adapter claims")
                && l.contains(&server.url("/login"))
                && l.ends_with("it serves a login form, using forms")),
        "{}",
        run.stderr
    );
    assert_eq!(s.lab.proxy.count("AssumeRoleWithSAML"), 1);
    assert_eq!(
        server.requests_to("POST", "/login").len(),
        1,
        "one password attempt"
    );
    assert_no_secret_leaks(&run, &[PASSWORD, &saml, &vars["AWS_SECRET_ACCESS_KEY"]]);
}

#[test]
fn jump_role_then_target_role() {
    let s = saml_account();
    let target = Moto::shared().create_role(
        "jump-target",
        &aws_runas_tests::trust_policy("arn:aws:iam::123456789012:root"),
    );
    let server = idp(assertion(&[(&s.role, &s.provider)]));
    let env = TestEnv::new(
        &config(&server, &target, &format!("jump_role_arn = {}\n", s.role)),
        "",
    );
    let run = runas(
        &env,
        s.lab.url(),
        &["corp"],
        &[("RUNAS_PASSWORD", PASSWORD)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let actions = s.lab.proxy.actions();
    let saml_at = actions
        .iter()
        .position(|a| a == "AssumeRoleWithSAML")
        .unwrap();
    let role_at = actions.iter().position(|a| a == "AssumeRole").unwrap();
    assert!(saml_at < role_at, "{actions:?}");
    let ar = s
        .lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRole"))
        .unwrap();
    assert_eq!(ar.param("RoleArn").as_deref(), Some(target.as_str()));
    assert_eq!(ar.param("DurationSeconds").as_deref(), Some("3600"));
}

#[test]
fn list_roles_of_a_saml_profile_comes_from_the_assertion() {
    let s = saml_account();
    let second = "arn:aws:iam::123456789012:role/another";
    let server = idp(assertion(&[(&s.role, &s.provider), (second, &s.provider)]));
    let env = TestEnv::new(&config(&server, &s.role, ""), "");
    let run = runas(
        &env,
        s.lab.url(),
        &["list", "roles", "corp"],
        &[("SAML_PASSWORD", PASSWORD)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut want = [s.role.clone(), second.to_string()];
    want.sort();
    assert_eq!(
        run.stdout,
        format!(
            "Available role ARNs for alice@example.com\n  {}\n  {}\n",
            want[0], want[1]
        )
    );
    assert_eq!(s.lab.proxy.actions().len(), 0, "listing needs no STS call");
}

#[test]
fn stored_password_is_used_and_obfuscated() {
    let s = saml_account();
    let server = idp(assertion(&[(&s.role, &s.provider)]));
    let env = TestEnv::new(
        &config(&server, &s.role, ""),
        "[other]\naws_access_key_id = AKIAKEEP\n",
    );
    let stored = runas(
        &env,
        s.lab.url(),
        &["-P", PASSWORD, "password", "corp"],
        &[],
    );
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    assert!(
        stored.stderr.contains("obfuscated, not encrypted"),
        "{}",
        stored.stderr
    );
    let text = std::fs::read_to_string(env.credentials_file()).unwrap();
    assert!(
        text.starts_with("[other]\naws_access_key_id = AKIAKEEP\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("[{}]", server.url("/login"))),
        "{text}"
    );
    assert!(
        text.contains("saml_password = 12$") && !text.contains(PASSWORD),
        "{text}"
    );
    let run = runas(&env, s.lab.url(), &["corp"], &[]);
    assert_eq!(run.code, 0, "the stored password logs in: {}", run.stderr);
    assert_eq!(server.requests_to("POST", "/login").len(), 1);

    // A cache hit touches no password store: switched to a keyring that cannot be reached, the
    // next run still succeeds without a word about it.
    env.write_config(&config(&server, &s.role, "password_store = keyring\n"));
    let hit = runas(
        &env,
        s.lab.url(),
        &["-v", "corp"],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")],
    );
    assert_eq!(hit.code, 0, "{}", hit.stderr);
    assert!(!hit.stderr.contains("keyring"), "{}", hit.stderr);
    // With the cache dropped, the unreachable keyring is reported and the password asked for,
    // which fails at once without a terminal.
    let miss = runas(
        &env,
        s.lab.url(),
        &["-r", "corp"],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")],
    );
    assert_eq!(miss.code, 1, "{}", miss.stderr);
    assert!(
        miss.stderr.contains("OS keyring") && miss.stderr.contains("not available"),
        "{}",
        miss.stderr
    );
}

#[test]
fn a_wrong_password_is_tried_once() {
    let s = saml_account();
    let server = idp(assertion(&[(&s.role, &s.provider)]));
    let env = TestEnv::new(&config(&server, &s.role, ""), "");
    let run = runas(&env, s.lab.url(), &["corp"], &[("SAML_PASSWORD", "wrong")]);
    assert_one_line_error(&run, &["authentication failed"]);
    assert_eq!(
        server.requests_to("POST", "/login").len(),
        1,
        "never retried automatically"
    );
}

#[test]
fn identity_provider_bad_inputs() {
    let s = saml_account();
    let good = assertion(&[(&s.role, &s.provider)]);
    let server = idp(good.clone());
    let pw = [("SAML_PASSWORD", PASSWORD)];

    // Unknown provider name: the error lists the known ones.
    let env = TestEnv::new(&config(&server, &s.role, ""), "");
    let run = runas(&env, s.lab.url(), &["-R", "nope", "corp"], &pw);
    assert_one_line_error(&run, &["unknown identity provider `nope`", "forms"]);

    // A URL no adapter claims, and a probe nobody recognises.
    let plain = MockServer::start();
    plain.route("*", "/*", |_| {
        MockResponse::html("<html><body>hello</body></html>")
    });
    let env = TestEnv::new(
        &format!(
            "[profile corp]\nsaml_auth_url = {}\nrole_arn = {}\n",
            plain.url("/sso"),
            s.role
        ),
        "",
    );
    let run = runas(&env, s.lab.url(), &["corp"], &pw);
    assert_one_line_error(
        &run,
        &[
            "cannot tell which identity provider serves",
            "/sso",
            "no login form",
            "set saml_provider to one of: adfs, azuread, browser, browser-sp, forgerock, forms, keycloak",
        ],
    );

    // The configured role is not granted: the granted ones are listed.
    let env = TestEnv::new(
        &config(&server, "arn:aws:iam::123456789012:role/not-granted", ""),
        "",
    );
    let run = runas(&env, s.lab.url(), &["corp"], &pw);
    assert_one_line_error(&run, &["role/not-granted", &s.role]);

    // An assertion without the AWS role attribute, and one that is not base64.
    for (bad, needle) in [
        (
            SamlResponseBuilder::new(now())
                .session_name(Some("x"))
                .base64(),
            "role",
        ),
        ("%%%not-base64%%%".to_string(), "base64"),
    ] {
        let server = idp(bad);
        let env = TestEnv::new(&config(&server, &s.role, ""), "");
        let run = runas(&env, s.lab.url(), &["corp"], &pw);
        assert_one_line_error(&run, &[needle]);
    }

    // An IdP nobody answers at: a clear error naming the host.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let env = TestEnv::new(
        &format!(
            "[profile corp]\nsaml_auth_url = http://127.0.0.1:{port}/login\nsaml_provider = forms\nrole_arn = {}\n",
            s.role
        ),
        "",
    );
    let run = runas(&env, s.lab.url(), &["corp"], &pw);
    assert_one_line_error(&run, &["127.0.0.1"]);

    // Both kinds of identity provider.
    let env = TestEnv::new(
        &format!(
            "{}web_identity_auth_url = https://idp.example.org/oauth2\n",
            config(&server, &s.role, "")
        ),
        "",
    );
    assert_one_line_error(
        &runas(&env, s.lab.url(), &["corp"], &pw),
        &["saml_auth_url and web_identity_auth_url"],
    );
}

#[test]
fn the_mock_provider_needs_no_network_at_all() {
    let s = saml_account();
    let env = TestEnv::new(
        &format!(
            "[profile demo]\nsaml_auth_url = http://localhost/mock/saml\nrole_arn = {}\nmock_roles = {}\nmock_provider = {}\n",
            s.role, s.role, s.provider
        ),
        "",
    );
    let run = runas(&env, s.lab.url(), &["-O", "json", "demo"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("{\"AccessKeyId\":\"ASIA"),
        "{}",
        run.stdout
    );
    assert_eq!(s.lab.proxy.count("AssumeRoleWithSAML"), 1);
}

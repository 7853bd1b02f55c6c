//! Web Identity end to end on moto: an OIDC login (the mock provider), token files, the
//! environment pair Kubernetes sets, and the bad inputs.

use crate::support::{Lab, assert_one_line_error, exports, now, runas};
use aws_runas_tests::{Moto, TestEnv};

fn role() -> String {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.example.org"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#;
    Moto::shared().create_role("web", trust)
}

#[test]
fn a_quick_start_web_identity_profile_gets_credentials() {
    let (lab, role) = (Lab::new(), role());
    // As in the Quick Start, with the mock provider standing in for the company's IdP.
    let config = format!(
        "[profile my-profile]\nweb_identity_auth_url     = http://localhost/mock/oauth2\nweb_identity_username     = my-user-name\n\
         web_identity_client_id    = theClientID\nweb_identity_redirect_uri = app:/callback\nrole_arn                  = {role}\n"
    );
    let env = TestEnv::new(&config, "");
    let run = runas(&env, lab.url(), &["-vv", "my-profile"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(exports(&run.stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"));
    let call = lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRoleWithWebIdentity"))
        .unwrap();
    assert_eq!(call.param("RoleArn").as_deref(), Some(role.as_str()));
    assert_eq!(
        call.param("RoleSessionName").as_deref(),
        Some("my-user-name"),
        "the token's user name"
    );
    let token = call.param("WebIdentityToken").unwrap();
    assert!(
        !run.stderr.contains(&token),
        "the token never reaches a log"
    );
    let aws = env.home().join(".aws");
    assert!(aws.join(".aws_web_role_my-profile").exists());
    let cached = std::fs::read_to_string(aws.join(".aws_runas_identity_token.cache")).unwrap();
    assert!(
        cached.contains(&token),
        "the token is cached for the next refresh"
    );
    // Put a token of our own, still fresh, in the cache; drop only the role credentials: the
    // cached token is reused, with no login.
    let planted = planted_token();
    std::fs::write(
        aws.join(".aws_runas_identity_token.cache"),
        cached.replace(&token, &planted),
    )
    .unwrap();
    std::fs::remove_file(aws.join(".aws_web_role_my-profile")).unwrap();
    assert_eq!(runas(&env, lab.url(), &["my-profile"], &[]).code, 0);
    assert_eq!(last_token(&lab), planted, "the cached token was used");
    // -r drops the role credentials and the token cache: a new login, not the planted token.
    let again = runas(&env, lab.url(), &["-r", "my-profile"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_ne!(last_token(&lab), planted);
    assert_eq!(lab.proxy.count("AssumeRoleWithWebIdentity"), 3);
}

fn last_token(lab: &Lab) -> String {
    let calls: Vec<_> = lab
        .proxy
        .exchanges()
        .into_iter()
        .filter(|x| x.action() == Some("AssumeRoleWithWebIdentity"))
        .collect();
    calls.last().unwrap().param("WebIdentityToken").unwrap()
}

/// An unsigned token for `theClientID` that expires in 2100.
fn planted_token() -> String {
    use base64::Engine as _;
    let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.",
        b(r#"{"alg":"none"}"#),
        b(r#"{"aud":"theClientID","exp":4102444800,"preferred_username":"planted"}"#)
    )
}

#[test]
fn token_files_are_read_fresh_on_every_refresh() {
    let (lab, role) = (Lab::new(), role());
    let env = TestEnv::new("", "");
    let file = env.home().join("token");
    std::fs::write(&file, "first-token-from-the-platform\n").unwrap();
    env.write_config(&format!(
        "[profile pod]\nrole_arn = {role}\nweb_identity_token_file = {}\nrole_session_name = pod-7\n",
        file.display()
    ));
    let run = runas(&env, lab.url(), &["pod"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(&file, "second-token\n").unwrap();
    let run = runas(&env, lab.url(), &["-r", "pod"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tokens: Vec<(String, String)> = lab
        .proxy
        .exchanges()
        .into_iter()
        .filter(|x| x.action() == Some("AssumeRoleWithWebIdentity"))
        .map(|x| {
            (
                x.param("WebIdentityToken").unwrap(),
                x.param("RoleSessionName").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tokens,
        [
            (
                "first-token-from-the-platform".to_string(),
                "pod-7".to_string()
            ),
            ("second-token".to_string(), "pod-7".to_string())
        ]
    );

    // The pair Kubernetes and CI systems set, with no profile at all.
    let run = runas(
        &env,
        lab.url(),
        &[],
        &[
            ("AWS_ROLE_ARN", &role),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", file.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(lab.proxy.count("AssumeRoleWithWebIdentity"), 3);
}

#[test]
fn web_identity_bad_inputs() {
    let (lab, role) = (Lab::new(), role());
    let env = TestEnv::new(
        &format!(
            "[profile w]\nweb_identity_auth_url = http://localhost/mock/oidc\nweb_identity_client_id = c\nrole_arn = {role}\n"
        ),
        "",
    );
    assert_one_line_error(
        &runas(&env, lab.url(), &["w"], &[]),
        &["profile `w`", "web_identity_redirect_uri"],
    );

    env.write_config(&format!(
        "[profile t]\nrole_arn = {role}\nweb_identity_token_file = /nonexistent/token\n"
    ));
    assert_one_line_error(
        &runas(&env, lab.url(), &["t"], &[]),
        &["/nonexistent/token"],
    );
    let empty = env.home().join("empty");
    std::fs::write(&empty, "  \n").unwrap();
    env.write_config(&format!(
        "[profile t]\nrole_arn = {role}\nweb_identity_token_file = {}\n",
        empty.display()
    ));
    assert_one_line_error(
        &runas(&env, lab.url(), &["t"], &[]),
        &[empty.to_str().unwrap(), "empty"],
    );

    env.write_config(&format!(
        "[profile w]\nweb_identity_auth_url = http://localhost/mock/oidc\nweb_identity_client_id = c\nweb_identity_redirect_uri = app:/cb\nrole_arn = {role}\n"
    ));
    assert_one_line_error(
        &runas(&env, lab.url(), &["list", "roles", "w"], &[]),
        &["Web Identity profile", "role enumeration"],
    );
}

/// An OIDC provider laid out like Keycloak (discovery, login form, token, JWKS), realm `corp`,
/// whose login form the generic `forms` adapter fills.
fn keycloak_oidc() -> (
    aws_runas_idp_testkit::MockServer,
    aws_runas_idp_testkit::MockOidc,
) {
    use aws_runas_idp_testkit::{MockOidc, MockOidcConfig, MockServer};
    let server = MockServer::start();
    let base = "/realms/corp/protocol/openid-connect";
    let config = MockOidcConfig {
        issuer_path: "/realms/corp".into(),
        authorize_path: format!("{base}/auth"),
        token_path: format!("{base}/token"),
        jwks_path: format!("{base}/certs"),
        device_path: format!("{base}/auth/device"),
        now: now(),
        ..MockOidcConfig::new()
    };
    let oidc = MockOidc::install(&server, config);
    (server, oidc)
}

#[test]
fn an_oidc_login_with_pkce_and_jwks_ends_in_credentials() {
    let (lab, role) = (Lab::new(), role());
    let (_server, oidc) = keycloak_oidc();
    let cfg = oidc.config().clone();
    let config = format!(
        "[profile kc]\nweb_identity_auth_url = {}\nweb_identity_provider = forms\nweb_identity_username = {}\n\
         web_identity_client_id = {}\nweb_identity_redirect_uri = http://127.0.0.1:1/callback\nrole_arn = {role}\n",
        oidc.issuer(),
        cfg.username,
        cfg.client_id
    );
    let env = TestEnv::new(&config, "");
    let run = runas(
        &env,
        lab.url(),
        &["-vv", "kc"],
        &[("WEB_PASSWORD", &cfg.password)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(oidc.password_attempts(), 1);
    let issued = oidc.issued_id_tokens();
    assert_eq!(issued.len(), 1);
    assert_eq!(
        last_token(&lab),
        issued[0],
        "the verified ID token went to STS"
    );
    assert!(
        !run.stderr.contains(&issued[0]) && !run.stderr.contains(&cfg.password),
        "no token or password in logs"
    );
    assert!(
        oidc.received_verifiers().len() == 1,
        "PKCE: the verifier was sent with the code"
    );
    // Cached: the next run asks the IdP nothing.
    let again = runas(&env, lab.url(), &["kc"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(oidc.issued_id_tokens().len(), 1);
}

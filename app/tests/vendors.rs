//! One end-to-end run per vendor adapter: its login pages served on 127.0.0.1 from the adapter's
//! own fixture markup, then AssumeRoleWithSAML on moto, credentials printed.

use crate::support::{Lab, exports, runas};
use aws_runas_idp_testkit::{
    MockResponse, MockServer, SamlResponseBuilder, SamlRole, auto_post_page,
};
use aws_runas_tests::{Moto, TestEnv, unique_name};
use std::path::PathBuf;

pub(crate) const PASSWORD: &str = "vendor-test-password";

fn fixture(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("fixtures/idp");
    std::fs::read_to_string(root.join(path)).unwrap()
}

/// A SAML provider and a role trusting it, in moto; the assertion granting that role.
pub(crate) fn saml_role() -> (Lab, String, String) {
    let moto = Moto::shared();
    let metadata = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test"><!-- {} --></md:EntityDescriptor>"#,
        "padding ".repeat(130)
    );
    let out = moto
        .query(
            "iam",
            "CreateSAMLProvider",
            &[
                ("Name", &unique_name("vendor")),
                ("SAMLMetadataDocument", &metadata),
            ],
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
    let role = moto.create_role("vendor", &trust);
    let saml = SamlResponseBuilder::new(crate::support::now())
        .roles([SamlRole::new(role.clone(), provider)])
        .session_name(Some("jane.doe@example.test"))
        .base64();
    (Lab::new(), role, saml)
}

/// Runs `aws-runas corp` against `server` with `provider` and checks credentials came back.
pub(crate) fn assert_login_works(lab: &Lab, config: String, extra: &[(&str, &str)]) {
    let env = TestEnv::new(&config, "");
    let mut vars = vec![("SAML_PASSWORD", PASSWORD)];
    vars.extend_from_slice(extra);
    let run = runas(&env, lab.url(), &["-vv", "corp"], &vars);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        exports(&run.stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"),
        "{}",
        run.stdout
    );
    assert_eq!(lab.proxy.count("AssumeRoleWithSAML"), 1);
    assert!(
        !run.stderr.contains(PASSWORD),
        "the password never reaches a log"
    );
}

#[test]
fn adfs_forms_login_to_credentials() {
    let (lab, role, saml) = saml_role();
    let server = MockServer::start();
    let login = fixture("adfs/forms-login/login.html");
    server.route("GET", "/adfs/ls/IdpInitiatedSignOn.aspx", move |req| {
        if req.cookie("MSISAuth").is_some() {
            MockResponse::html(auto_post_page(&saml))
        } else {
            MockResponse::html(login.clone())
        }
    });
    server.route("POST", "/adfs/ls/IdpInitiatedSignOn.aspx", |req| {
        if req.form_value("Password").as_deref() == Some(PASSWORD)
            && req.form_value("AuthMethod").as_deref() == Some("FormsAuthentication")
        {
            MockResponse::redirect(
                "/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn%3aamazon%3awebservices",
            )
            .cookie("MSISAuth", "session-1")
        } else {
            MockResponse::html(fixture("adfs/bad-password/login.html"))
        }
    });
    let config = format!(
        "[profile corp]\nsaml_auth_url = {}\nsaml_username = jane.doe@example.test\nrole_arn = {role}\n",
        server.url("/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices")
    );
    assert_login_works(&lab, config, &[]);
}

/// An AD FS whose Azure MFA push nobody approves.
fn adfs_push_never_approved() -> MockServer {
    let server = MockServer::start();
    server.route("GET", "/adfs/ls/IdpInitiatedSignOn.aspx", |req| {
        if req.cookie("MSISAuth").is_some() {
            MockResponse::html(fixture("adfs/push-timed-out/mfa-push.html"))
        } else {
            MockResponse::html(fixture("adfs/push-timed-out/login.html"))
        }
    });
    server.route("POST", "/adfs/ls/IdpInitiatedSignOn.aspx", |req| {
        if req.form_value("Password").is_some() {
            MockResponse::redirect("/adfs/ls/IdpInitiatedSignOn.aspx?client-request-id=x")
                .cookie("MSISAuth", "session-1")
        } else {
            MockResponse::html(fixture("adfs/push-timed-out/mfa-push.html"))
        }
    });
    server
}

fn push_config(server: &MockServer, role: &str) -> String {
    format!(
        "[profile corp]\nsaml_auth_url = {}\nsaml_username = jane.doe@example.test\nrole_arn = {role}\n",
        server.url("/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices")
    )
}

#[test]
fn a_push_wait_tells_the_user_and_gives_up_at_the_bound() {
    let (lab, role, _) = saml_role();
    let server = adfs_push_never_approved();
    let env = TestEnv::new(&push_config(&server, &role), "");
    let run = runas(
        &env,
        lab.url(),
        &["corp"],
        &[
            ("SAML_PASSWORD", PASSWORD),
            ("RUNAS_MFA_WAIT_TIMEOUT", "1s"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("Waiting for you to"),
        "the user is told what the wait is for: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .contains("gave up after 1s"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing but credentials on stdout");
    // The same bound from the profile key.
    env.write_config(&format!(
        "{}mfa_wait_timeout = 1s\n",
        push_config(&server, &role)
    ));
    let run = runas(&env, lab.url(), &["corp"], &[("SAML_PASSWORD", PASSWORD)]);
    assert!(run.stderr.contains("gave up after 1s"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_push_wait_ends_the_run_and_caches_nothing() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    let (lab, role, _) = saml_role();
    let server = adfs_push_never_approved();
    let env = TestEnv::new(&push_config(&server, &role), "");
    // `setsid` (without --wait) detaches from any terminal and then becomes aws-runas itself
    // (it execs when it is not a process-group leader), so the signal reaches aws-runas.
    let mut child = std::process::Command::new("setsid")
        .args([crate::support::BIN, "corp"])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_CONFIG_FILE", env.config_file())
        .env("AWS_SHARED_CREDENTIALS_FILE", env.credentials_file())
        .env("AWS_ENDPOINT_URL", lab.url())
        .env("SAML_PASSWORD", PASSWORD)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 && !line.contains("Waiting for you to") {
        line.clear();
    }
    assert!(line.contains("Waiting for you to"), "the wait started");
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(2),
        "ended by the interrupt (a shell reports 130): {status:?}"
    );
    let cached: Vec<_> = std::fs::read_dir(env.home().join(".aws"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".aws_saml_role") && !n.ends_with(".lock"))
        .collect();
    assert!(cached.is_empty(), "no credentials cached: {cached:?}");
    assert_eq!(lab.proxy.count("AssumeRoleWithSAML"), 0);
}

/// Puts `saml` in the value of every `SAMLResponse` input of `page` (the fixtures may
/// entity-encode their fake one).
fn swap_saml(page: &str, saml: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(at) = rest.find("name=\"SAMLResponse\"") {
        let open = rest[..at].rfind('<').unwrap_or(0);
        let close = at + rest[at..].find('>').unwrap_or(rest.len() - at);
        let tag = &rest[open..close];
        let tag = match tag.find("value=\"") {
            Some(v) => {
                let start = v + 7;
                let end = start + tag[start..].find('"').unwrap_or(0);
                format!("{}{saml}{}", &tag[..start], &tag[end..])
            }
            None => tag.to_string(),
        };
        out.push_str(&rest[..open]);
        out.push_str(&tag);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// Replays one of an adapter's recorded fixture conversations on a mock server: each request is
/// answered by the next exchange (its page, redirect and cookies, with the fixture hosts pointing
/// at the server), and the fixture's fake assertion is swapped for `saml`.
fn replay(
    case_dir: &str,
    hosts: &'static [&'static str],
    fake_saml: &str,
    saml: &str,
) -> (MockServer, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("fixtures/idp")
        .join(case_dir);
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("case.json")).unwrap()).unwrap();
    let server = MockServer::start();
    let base = server.base_url();
    let rebase = move |t: &str| hosts.iter().fold(t.to_string(), |t, h| t.replace(h, &base));
    let exchanges: Vec<serde_json::Value> = case["exchanges"].as_array().unwrap().clone();
    let next = std::sync::Arc::new(std::sync::Mutex::new(0usize));
    let (fake_saml, saml) = (fake_saml.to_string(), saml.to_string());
    let answer = std::sync::Arc::new(move |req: &aws_runas_idp_testkit::MockRequest| {
        let mut i = next.lock().unwrap();
        let Some(x) = exchanges.get(*i) else {
            return MockResponse::new(404);
        };
        let want = x["request"].as_str().unwrap();
        if want != format!("{} {}", req.method(), req.path()) {
            return MockResponse::new(404).body(format!("expected {want}"));
        }
        *i += 1;
        let mut resp = match (
            x["page"].as_str(),
            x["body"].as_str(),
            x["location"].as_str(),
        ) {
            (Some(page), _, _) => {
                let text = std::fs::read_to_string(root.join(page)).unwrap();
                MockResponse::html(swap_saml(&rebase(&text).replace(&fake_saml, &saml), &saml))
            }
            (None, Some(body), _) => {
                MockResponse::json(rebase(&std::fs::read_to_string(root.join(body)).unwrap()))
            }
            (None, None, Some(loc)) => MockResponse::redirect(rebase(loc)),
            (None, None, None) => MockResponse::new(200),
        };
        if let Some(status) = x["status"].as_u64() {
            resp = resp.with_status(u16::try_from(status).unwrap());
        }
        for c in x["set_cookies"].as_array().into_iter().flatten() {
            resp = resp.set_cookie(c.as_str().unwrap());
        }
        resp
    });
    for method in ["GET", "POST"] {
        let answer = std::sync::Arc::clone(&answer);
        server.route(method, "/*", move |req| answer(req));
    }
    let start = server.url(case["start"].as_str().unwrap());
    (server, start)
}

#[test]
fn azuread_managed_user_to_credentials() {
    let (lab, role, saml) = saml_role();
    let case: serde_json::Value =
        serde_json::from_str(&fixture("azuread/managed-kmsi/case.json")).unwrap();
    let fake = case["expect"]["saml"].as_str().unwrap().to_string();
    let hosts: &'static [&'static str] = &[
        "https://myapps.microsoft.com",
        "https://login.microsoftonline.com",
        "https://account.activedirectory.windowsazure.com",
    ];
    let (_server, start) = replay("azuread/managed-kmsi", hosts, &fake, &saml);
    let config = format!(
        "[profile corp]\nsaml_auth_url = {start}\nsaml_provider = azuread\nsaml_username = jane.doe@example.test\nrole_arn = {role}\n"
    );
    assert_login_works(&lab, config, &[]);
}

#[test]
fn okta_classic_user_to_credentials() {
    let (lab, role, saml) = saml_role();
    let case: serde_json::Value =
        serde_json::from_str(&fixture("okta/classic-success/case.json")).unwrap();
    let fake = case["expect"]["saml"].as_str().unwrap().to_string();
    let (_server, start) = replay(
        "okta/classic-success",
        &["https://example.okta.com"],
        &fake,
        &saml,
    );
    let config = format!(
        "[profile corp]\nsaml_auth_url = {start}\nsaml_provider = okta\nsaml_username = jane.doe@example.test\nrole_arn = {role}\n"
    );
    assert_login_works(&lab, config, &[]);
}

//! The domain against AWS's own role-chain vectors (`assume-role-tests.json`).
//!
//! The vectors are read from `$AWS_RUNAS_CONFORMANCE_DIR/aws-sdk/`; they are never copied here.
//! Error messages are compared loosely: after dropping backticks and case, every word of AWS's
//! message must appear, in order, in ours (ours add the profile names).

#![allow(clippy::disallowed_methods)] // tests read the environment to find the corpus

use aws_runas_domain::chain::{AwsChain, Base, TokenFileSource, aws_chain};
use aws_runas_domain::profile::{ProfileSet, Property};
use serde_json::{Value, json};

fn corpus(file: &str) -> Option<Value> {
    match std::env::var("AWS_RUNAS_CONFORMANCE_DIR") {
        Ok(dir) if !dir.is_empty() => {
            let path = std::path::Path::new(&dir).join("aws-sdk").join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            Some(serde_json::from_str(&text).unwrap())
        }
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but AWS_RUNAS_CONFORMANCE_DIR is unset: the AWS {file} vectors must run in CI"
            );
            eprintln!(
                "conformance corpus not available: AWS_RUNAS_CONFORMANCE_DIR is unset; AWS {file} vectors did NOT run"
            );
            None
        }
    }
}

fn words(s: &str) -> Vec<String> {
    s.replace('`', "")
        .to_lowercase()
        .split_whitespace()
        .map(|w| w.trim_end_matches([';', ':', ',', '.']).to_string())
        .collect()
}

fn loosely_contains(actual: &str, expected: &str) -> bool {
    let actual = words(actual);
    let mut it = actual.iter();
    words(expected).iter().all(|w| it.any(|a| a == w))
}

fn to_json(chain: &AwsChain) -> Value {
    let mut out = vec![];
    out.push(match &chain.base {
        Base::AccessKey { credentials, account_id, .. } => {
            let mut m = json!({"access_key_id": credentials.access_key_id(), "secret_access_key": credentials.secret_access_key().expose()});
            if let Some(a) = account_id {
                m["account_id"] = json!(a);
            }
            json!({ "AccessKey": m })
        }
        Base::NamedSource { source, .. } => json!({ "NamedSource": source }),
        Base::WebIdentityToken(TokenFileSource { role_arn, token_file, session_name, .. }) => {
            let mut m = json!({"role_arn": role_arn, "web_identity_token_file": token_file});
            if let Some(s) = session_name {
                m["role_session_name"] = json!(s);
            }
            json!({ "WebIdentityToken": m })
        }
        Base::Sso { fields, .. } => json!({ "Sso": fields }),
        other => panic!("the vectors have no {other:?}"),
    });
    for role in &chain.roles {
        let mut m = json!({"role_arn": role.role_arn});
        if let Some(x) = &role.external_id {
            m["external_id"] = json!(x);
        }
        if let Some(s) = &role.session_name {
            m["role_session_name"] = json!(s);
        }
        out.push(json!({ "AssumeRole": m }));
    }
    Value::Array(out)
}

#[test]
fn aws_assume_role_vectors() {
    let Some(cases) = corpus("assume-role-tests.json") else {
        return;
    };
    let cases = cases.as_array().expect("a list of cases");
    assert!(
        cases.len() >= 28,
        "expected the full corpus, got {}",
        cases.len()
    );
    let mut failures = vec![];
    for case in cases {
        let name = case["docs"].as_str().unwrap();
        let mut set = ProfileSet::new();
        for (profile, props) in case["input"]["profiles"].as_object().unwrap() {
            let sec = set.profile_mut(profile);
            for (k, v) in props.as_object().unwrap() {
                sec.set(k, Property::new(v.as_str().unwrap(), None));
            }
        }
        if let Some(sessions) = case["input"]["sso_sessions"].as_object() {
            for (session, props) in sessions {
                let sec = set.sso_session_mut(session);
                for (k, v) in props.as_object().unwrap() {
                    sec.set(k, Property::new(v.as_str().unwrap(), None));
                }
            }
        }
        let got = aws_chain(&set, case["input"]["selected_profile"].as_str().unwrap());
        let expected = &case["output"];
        match (
            got,
            expected.get("ProfileChain"),
            expected.get("Error").and_then(Value::as_str),
        ) {
            (Ok(chain), Some(want), _) => {
                if &to_json(&chain) != want {
                    failures.push(format!("{name}: got {} want {want}", to_json(&chain)));
                }
            }
            (Err(e), _, Some(want)) => {
                if !loosely_contains(&e.to_string(), want) {
                    failures.push(format!("{name}: error {e:?} does not say {want:?}"));
                }
            }
            (got, _, _) => failures.push(format!("{name}: got {got:?}, want {expected}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn loose_matching_is_not_vacuous() {
    assert!(loosely_contains(
        "profile `B` is missing aws_secret_access_key",
        "profile missing aws_secret_access_key"
    ));
    assert!(!loosely_contains(
        "profile `B` is missing aws_access_key_id",
        "profile missing aws_secret_access_key"
    ));
    assert!(!loosely_contains("missing profile", "profile missing"));
}

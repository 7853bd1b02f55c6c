//! The AWS SDKs' cross-language conformance vectors: the profile parser in both modes, and the
//! file locations.

use crate::corpus::conformance_corpus;
use crate::render::{parse, to_vector_json};
use aws_runas_config_file::{FileLocations, ParseMode, Platform};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// A vector whose aws-runas-mode result deliberately differs from the AWS one.
struct Deviation {
    /// The vector's `name`, exactly.
    name: &'static str,
    /// Why aws-runas reads it differently.
    reason: &'static str,
    /// What aws-runas mode gives instead (the vector's `output.config` shape).
    aws_runas_output: fn() -> Value,
}

/// Every case where [`ParseMode::AwsRunas`] differs from the AWS result; all others must match.
const AWS_RUNAS_DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "Config profiles without prefix are ignored.",
        reason: "aws-runas reads a bare [name] section in the config file as profile `name` \
                 (the original looks up [P] before [profile P])",
        aws_runas_output: || json!({"profiles": {"foo": {"name": "value"}}, "sso_sessions": {}}),
    },
    Deviation {
        name: "sneaky profile name",
        reason: "[profilefoo] is a bare section named `profilefoo`, which aws-runas reads as a profile \
                 like any other bare config section",
        aws_runas_output: || json!({"profiles": {"bar": {}, "profilefoo": {"name": "value"}}, "sso_sessions": {}}),
    },
];

/// One parser vector's outcome: `Err` describes how it failed to match.
fn check_parser_case(case: &Value, mode: ParseMode) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or("<unnamed>");
    let input = &case["input"];
    let result = parse(
        input["configFile"].as_str(),
        input["credentialsFile"].as_str(),
        mode,
    );
    let output = &case["output"];
    let expected = match mode {
        ParseMode::AwsRunas => AWS_RUNAS_DEVIATIONS
            .iter()
            .find(|d| d.name == name)
            .map(|d| (d.aws_runas_output)()),
        ParseMode::Strict => None,
    };
    let expected = match (expected, output.get("errorContaining")) {
        (Some(deviation), _) => deviation,
        (None, Some(wanted)) => {
            let wanted = wanted.as_str().unwrap_or_default();
            return match result {
                Err(e) if e.to_string().contains(wanted) => Ok(()),
                Err(e) => Err(format!("{name}: error {e:?} does not contain {wanted:?}")),
                Ok(set) => Err(format!(
                    "{name}: expected an error containing {wanted:?}, parsed {}",
                    to_vector_json(&set)
                )),
            };
        }
        (None, None) => {
            let mut config = output["config"].clone();
            if config.get("sso_sessions").is_none() {
                config["sso_sessions"] = json!({});
            }
            config
        }
    };
    match result {
        Ok(set) if to_vector_json(&set) == expected => Ok(()),
        Ok(set) => Err(format!(
            "{name}: expected {expected}, got {}",
            to_vector_json(&set)
        )),
        Err(e) => Err(format!("{name}: expected {expected}, got error {e}")),
    }
}

fn parser_cases() -> Option<Vec<Value>> {
    let corpus = conformance_corpus(
        "aws-sdk/profile-parser-tests.json",
        "AWS profile-parser vectors",
    )?;
    let cases = corpus["tests"]
        .as_array()
        .expect("the corpus has a `tests` array")
        .clone();
    assert!(!cases.is_empty(), "the profile-parser corpus has no cases");
    Some(cases)
}

fn run_parser_vectors(mode: ParseMode) {
    let Some(cases) = parser_cases() else { return };
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| check_parser_case(case, mode).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} profile-parser vectors fail in {mode:?} mode:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} AWS profile-parser vectors pass in {mode:?} mode",
        cases.len()
    );
}

#[test]
fn profile_parser_vectors_strict() {
    run_parser_vectors(ParseMode::Strict);
}

#[test]
fn profile_parser_vectors_aws_runas() {
    run_parser_vectors(ParseMode::AwsRunas);
}

/// The deviation list stays honest: every entry names a real vector whose AWS result aws-runas
/// mode really does not give.
#[test]
fn aws_runas_deviations_are_real_and_explained() {
    let Some(cases) = parser_cases() else { return };
    for deviation in AWS_RUNAS_DEVIATIONS {
        assert!(!deviation.reason.is_empty());
        let case = cases
            .iter()
            .find(|c| c["name"] == deviation.name)
            .unwrap_or_else(|| {
                panic!(
                    "deviation {:?} names no vector in the corpus",
                    deviation.name
                )
            });
        assert!(
            check_parser_case(case, ParseMode::Strict).is_ok(),
            "{} fails even in strict mode",
            deviation.name
        );
        let mut aws = case["output"]["config"].clone();
        if aws.get("sso_sessions").is_none() {
            aws["sso_sessions"] = json!({});
        }
        assert_ne!(
            aws,
            (deviation.aws_runas_output)(),
            "{} is listed but does not deviate",
            deviation.name
        );
    }
}

#[test]
fn file_location_vectors() {
    let Some(corpus) = conformance_corpus(
        "aws-sdk/file-location-tests.json",
        "AWS file-location vectors",
    ) else {
        return;
    };
    let cases = corpus["tests"]
        .as_array()
        .expect("the corpus has a `tests` array");
    assert!(!cases.is_empty(), "the file-location corpus has no cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("<unnamed>");
        let env: BTreeMap<String, String> = case["environment"]
            .as_object()
            .map(|vars| {
                vars.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let platform = match case["platform"].as_str() {
            Some("windows") => Platform::Windows,
            _ => Platform::Unix,
        };
        // The vectors' `profile` field (AWS_PROFILE selection) is the application's concern,
        // not this adapter's.
        let found = FileLocations::from_env(|k| env.get(k).cloned(), platform);
        let expected = (
            case["configLocation"].as_str().unwrap_or_default(),
            case["credentialsLocation"].as_str().unwrap_or_default(),
        );
        match found {
            Ok(found)
                if found.config() == Path::new(expected.0)
                    && found.credentials() == Path::new(expected.1) => {}
            Ok(found) => failures.push(format!("{name}: expected {expected:?}, got {found:?}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "file-location vectors fail:\n{}",
        failures.join("\n")
    );
}

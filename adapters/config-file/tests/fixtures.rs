//! Fixture-driven parser tests: one directory per case under `tests/fixtures/`, holding a
//! `config` and/or `credentials` file and an `expected` snapshot of the result in both modes
//! (bless with `UPDATE_EXPECT=1`).

use crate::render::{parse, to_text};
use aws_runas_config_file::ParseMode;
use expect_test::expect_file;
use std::fs;
use std::path::PathBuf;

fn fixture_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case)
}

/// Parses the case's files in both modes and compares with its `expected` snapshot.
fn check(case: &str) {
    let dir = fixture_dir(case);
    let read = |name: &str| fs::read_to_string(dir.join(name)).ok();
    let (config, credentials) = (read("config"), read("credentials"));
    assert!(
        config.is_some() || credentials.is_some(),
        "fixture {case} has neither config nor credentials"
    );
    let mut actual = String::new();
    for (label, mode) in [
        ("strict", ParseMode::Strict),
        ("aws-runas", ParseMode::AwsRunas),
    ] {
        actual.push_str(&format!("== {label}\n"));
        actual.push_str(&to_text(&parse(
            config.as_deref(),
            credentials.as_deref(),
            mode,
        )));
    }
    expect_file![dir.join("expected")].assert_eq(&actual);
}

macro_rules! fixtures {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                check(stringify!($case));
            }
        )*
        const REGISTERED: &[&str] = &[$(stringify!($case)),*];
    };
}

fixtures! {
    bare_section_is_a_profile,
    comments_and_crlf,
    continuation_and_subproperties,
    credentials_override_config,
    default_sections,
    idp_url_sections_in_credentials,
    idp_url_with_hash_or_semicolon,
    malformed_credentials_line,
    malformed_line_3,
    prefixed_section_wins_over_bare,
    sso_session_and_other_sections,
    unclosed_header,
}

#[test]
fn every_fixture_directory_is_registered() {
    let mut found: Vec<String> = fs::read_dir(fixture_dir(""))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut registered: Vec<&str> = REGISTERED.to_vec();
    registered.sort();
    assert_eq!(
        found, registered,
        "fixture directories and the fixtures! list differ"
    );
}

//! No secret reaches a `Debug` string: every type that holds one or can reach one is filled with
//! known secrets from each edge (flags, the environment, the profile files) and formatted with
//! `{:?}` and `{:#?}`.

use aws_runas::cli::Cli;
use aws_runas::env::ProcessEnv;
use aws_runas_config_file::{ConfigFileStore, FileLocations, ParseMode, Platform};
use aws_runas_domain::chain::{PlanInput, StsEndpoint, Target, plan};
use aws_runas_domain::ports::profile_store::ProfileStore;
use aws_runas_domain::settings::{Env, FlagValues, resolve_settings};
use aws_runas_domain::{Credentials, RoleArn};
use aws_runas_tests::TestEnv;
use clap::Parser;

const FLAG_PASSWORD: &str = "fake-flag-password-7Q1";
const FLAG_CODE: &str = "fake-flag-code-913572";
const ENV_SECRET_KEY: &str = "fake-env-secret-key-7Q2";
const ENV_SESSION_TOKEN: &str = "fake-env-session-token-7Q3";
const ENV_SAML_PASSWORD: &str = "fake-env-saml-password-7Q4";
const ENV_MFA_CODE: &str = "fake-env-mfa-code-246810";
const FILE_SECRET_KEY: &str = "fake-file-secret-key-7Q5";
const FILE_SESSION_TOKEN: &str = "fake-file-session-token-7Q6";
const FILE_PASSWORD: &str = "fake-file-stored-password-7Q7";

const SECRETS: &[&str] = &[
    FLAG_PASSWORD,
    FLAG_CODE,
    ENV_SECRET_KEY,
    ENV_SESSION_TOKEN,
    ENV_SAML_PASSWORD,
    ENV_MFA_CODE,
    FILE_SECRET_KEY,
    FILE_SESSION_TOKEN,
    FILE_PASSWORD,
];

const ROLE: &str = "arn:aws:iam::123456789012:role/redaction";

fn files() -> TestEnv {
    let config = format!(
        "[default]\nregion = eu-west-1\n[profile user]\nmfa_serial = arn:aws:iam::123456789012:mfa/ana\n\
         [profile admin]\nsource_profile = user\nrole_arn = {ROLE}\n"
    );
    let credentials = format!(
        "[user]\naws_access_key_id = AKIDFILESHOWN\naws_secret_access_key = {FILE_SECRET_KEY}\n\
         aws_session_token = {FILE_SESSION_TOKEN}\n\
         [https://idp.example/saml]\nsaml_password = {FILE_PASSWORD}\n"
    );
    TestEnv::new(&config, &credentials)
}

/// Both forms of `Debug`.
fn debug(value: &impl std::fmt::Debug) -> String {
    format!("{value:?}\n{value:#?}")
}

#[test]
fn no_debug_string_shows_a_secret_from_any_edge() {
    let files = files();
    let cli = Cli::try_parse_from(["aws-runas", "-v", "-P", FLAG_PASSWORD, "-o", FLAG_CODE])
        .expect("flags parse");
    assert_eq!(
        cli.password.as_ref().map(|p| p.expose()),
        Some(FLAG_PASSWORD)
    );
    assert_eq!(cli.otp.as_ref().map(|c| c.expose()), Some(FLAG_CODE));

    let home = files.home().to_str().unwrap();
    let penv = ProcessEnv::from_pairs([
        ("HOME", home),
        ("AWS_ACCESS_KEY_ID", "AKIDENVSHOWN"),
        ("AWS_SECRET_ACCESS_KEY", ENV_SECRET_KEY),
        ("AWS_SESSION_TOKEN", ENV_SESSION_TOKEN),
        ("SAML_PASSWORD", ENV_SAML_PASSWORD),
        ("MFA_CODE", ENV_MFA_CODE),
    ]);
    assert_eq!(
        penv.secret("MFA_CODE").map(|c| c.expose()),
        Some(ENV_MFA_CODE)
    );
    let env = penv.settings_env();
    // An `Env` given secrets anyway (the app never passes them) must not show them either.
    let env_with_secrets = Env::from_pairs([
        ("AWS_SECRET_ACCESS_KEY", ENV_SECRET_KEY),
        ("SAML_PASSWORD", ENV_SAML_PASSWORD),
        ("MFA_CODE", ENV_MFA_CODE),
        ("AWS_REGION", "us-east-2"),
    ]);

    let locations =
        FileLocations::from_env(|k| penv.get(k).map(str::to_string), Platform::current()).unwrap();
    let profiles = ConfigFileStore::new(locations, ParseMode::AwsRunas)
        .load()
        .unwrap();
    let user = profiles.profile("user").expect("profile user");
    let secret_key = user.property("aws_secret_access_key").unwrap();
    assert_eq!(
        secret_key.value(),
        FILE_SECRET_KEY,
        "the file's secret is read"
    );

    let flags = FlagValues::new();
    let settings = resolve_settings(&profiles, Some("user"), &env, &flags);
    assert_eq!(
        settings.secret("aws_session_token").map(|t| t.expose()),
        Some(FILE_SESSION_TOKEN)
    );
    let env_credentials = Credentials::new(
        "AKIDENVSHOWN",
        penv.secret("AWS_SECRET_ACCESS_KEY").unwrap().clone(),
        penv.secret("AWS_SESSION_TOKEN").cloned(),
        None,
    );
    let endpoint = StsEndpoint::default();
    let input = PlanInput {
        profiles: &profiles,
        env: &env,
        flags: &flags,
        env_credentials: Some(&env_credentials),
        resolving: &[],
        endpoint: &endpoint,
    };
    let user_chain = plan(&input, &Target::Profile("user".into())).unwrap();
    let admin_chain = plan(&input, &Target::Profile("admin".into())).unwrap();
    let arn_chain = plan(&input, &Target::Arn(RoleArn::parse(ROLE).unwrap())).unwrap();

    // Each type's text, a value it must still show (so the check is not vacuous), and whether a
    // secret it holds is shown as redacted.
    let shown = [
        ("Cli", debug(&cli), "verbose: 1", true),
        ("ProcessEnv", debug(&penv), "AKIDENVSHOWN", true),
        ("Env", debug(&env), "AKIDENVSHOWN", false),
        (
            "Env with secrets",
            debug(&env_with_secrets),
            "us-east-2",
            true,
        ),
        ("ProfileSet", debug(&profiles), "AKIDFILESHOWN", true),
        ("Section", debug(user), "AKIDFILESHOWN", true),
        ("Property", debug(secret_key), "credentials:", true),
        ("Settings", debug(&settings), "AKIDFILESHOWN", true),
        ("PlanInput", debug(&input), "AKIDFILESHOWN", true),
        (
            "RoleChain of user",
            debug(&user_chain),
            "AKIDFILESHOWN",
            true,
        ),
        ("RoleChain of admin", debug(&admin_chain), ROLE, true),
        (
            "RoleChain of a role ARN",
            debug(&arn_chain),
            "AKIDENVSHOWN",
            true,
        ),
    ];
    for (what, text, expected, redacts) in &shown {
        assert!(
            text.contains(expected),
            "{what} should still show {expected:?}: {text}"
        );
        assert_eq!(text.contains("redacted"), *redacts, "{what}: {text}");
        for secret in SECRETS {
            assert!(!text.contains(secret), "{what} shows {secret:?}: {text}");
        }
    }
}

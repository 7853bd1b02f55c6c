//! Shell completion: the committed scripts under `extras/` match what the binary prints, and the
//! binary completes profile names from the config file.

use crate::support::BIN;
use aws_runas::cli::CompletionShell;
use aws_runas::completion::script;
use aws_runas_tests::TestEnv;
use std::path::PathBuf;

fn extras() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("extras")
}

const FILES: &[(CompletionShell, &str)] = &[
    (CompletionShell::Bash, "aws-runas-bash-completion"),
    (CompletionShell::Zsh, "aws-runas-zsh-completion"),
    (CompletionShell::Fish, "aws-runas.fish"),
    (CompletionShell::Powershell, "aws-runas.ps1"),
];

#[test]
fn committed_completion_scripts_are_current() {
    #[allow(clippy::disallowed_methods)] // the bless switch, as expect_test's UPDATE_EXPECT
    let bless = std::env::var("UPDATE_EXPECT").is_ok();
    for (shell, file) in FILES {
        let path = extras().join(file);
        let want = script(*shell);
        if bless {
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have, want,
            "extras/{file} is stale: run UPDATE_EXPECT=1 cargo test -p aws-runas --test integration completion"
        );
    }
}

#[test]
fn the_binary_prints_the_same_script() {
    let out = std::process::Command::new(BIN)
        .args(["completion", "bash"])
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        script(CompletionShell::Bash)
    );
}

fn complete(env: &TestEnv, words: &[&str], index: usize) -> Vec<String> {
    let mut cmd = env.command(BIN, "http://127.0.0.1:9");
    cmd.env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", index.to_string())
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn profile_names_come_from_the_config_file() {
    let env = TestEnv::new(
        "[default]\n[profile dev-admin]\n[profile prod-admin]\n[legacy]\n",
        "[keys-only]\n",
    );
    let all = complete(&env, &["aws-runas", ""], 1);
    for p in [
        "default",
        "dev-admin",
        "prod-admin",
        "legacy",
        "keys-only",
        "list",
        "providers",
    ] {
        assert!(all.contains(&p.to_string()), "{p} missing from {all:?}");
    }
    let prefixed = complete(&env, &["aws-runas", "-r", "de"], 2);
    assert_eq!(prefixed, ["default", "dev-admin"]);
    let listing = complete(&env, &["aws-runas", "list", "roles", "pr"], 3);
    assert_eq!(listing, ["prod-admin"]);
    for words in [
        &["aws-runas", "console", "--print", "pr"][..],
        &["aws-runas", "diagnose", "pr"][..],
        &["aws-runas", "ecr", "login", "pr"][..],
    ] {
        assert_eq!(
            complete(&env, words, words.len() - 1),
            ["prod-admin"],
            "{words:?}"
        );
    }
}

#[test]
fn bash_honours_prog_when_sourcing_the_script() {
    let file = extras().join("aws-runas-bash-completion");
    let check = format!(
        "PROG=my-runas; source {}; complete -p my-runas",
        file.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &check])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("-F _clap_complete_aws_runas my-runas")
    );
}

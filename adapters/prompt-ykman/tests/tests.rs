//! The YubiKey driver against a fake `ykman` on `PATH`: a shell script that records its
//! arguments and answers as the test told it to.
#![cfg(unix)]

use aws_runas_domain::Secret;
use aws_runas_domain::ports::prompter::{PromptError, Prompter, mfa_question};
use aws_runas_prompt_ykman::{YkmanError, YkmanPrompter, YkmanSettings};
use std::ffi::OsString;
use std::fs;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/ana";

/// The terminal stand-in: records notices and answers every question with "terminal".
#[derive(Default)]
struct Terminal {
    seen: Mutex<Vec<String>>,
}

impl Prompter for Terminal {
    fn read_line(&self, label: &str) -> Result<String, PromptError> {
        self.seen.lock().unwrap().push(format!("line {label}"));
        Ok("terminal".to_string())
    }
    fn read_secret(&self, label: &str) -> Result<Secret, PromptError> {
        self.seen.lock().unwrap().push(format!("secret {label}"));
        Ok(Secret::new("terminal"))
    }
    fn notice(&self, message: &str) {
        self.seen.lock().unwrap().push(format!("notice {message}"));
    }
}

struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    /// A fake `ykman` running `body` after recording its arguments.
    fn new(body: &str) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("ykman");
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}/args'\n{body}\n",
            dir.path().display()
        );
        aws_runas_tests::write_program(&program, &script);
        Fake { dir }
    }

    /// Settings finding the fake first on `PATH`, then the test's own programs (`sleep`).
    fn settings(&self) -> YkmanSettings {
        #[allow(clippy::disallowed_methods)] // tests hand their PATH on to the fake
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let path: OsString = std::env::join_paths(
            std::iter::once(self.dir.path().to_path_buf()).chain(std::env::split_paths(&rest)),
        )
        .unwrap();
        YkmanSettings::find(Some(&path)).unwrap()
    }

    fn args(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("args"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn prompter(settings: YkmanSettings) -> (Arc<Terminal>, YkmanPrompter) {
    let terminal = Arc::new(Terminal::default());
    let p = YkmanPrompter::new(settings, Arc::clone(&terminal) as Arc<dyn Prompter>);
    (terminal, p)
}

fn driver_error(r: Result<String, PromptError>) -> String {
    match r {
        Err(PromptError::Driver(m)) => m.into(),
        other => panic!("expected a driver error, got {other:?}"),
    }
}

#[test]
fn the_mfa_question_is_answered_from_the_key_with_the_serial_as_account() {
    let fake = Fake::new("echo 287082");
    let (terminal, p) = prompter(fake.settings());
    assert_eq!(p.read_line(&mfa_question(SERIAL)).unwrap(), "287082");
    assert_eq!(fake.args(), ["oath", "accounts", "code", "-s", SERIAL]);
    let seen = terminal.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("notice ") && seen[0].contains("touch it") && seen[0].contains(SERIAL),
        "the touch request is announced on the terminal: {seen:?}"
    );
}

#[test]
fn ykman_oath_credential_names_the_account_and_other_questions_go_to_the_terminal() {
    let fake = Fake::new("echo 12345678");
    let (terminal, p) = prompter(fake.settings().account("Amazon Web Services:ana@prod"));
    assert_eq!(
        p.read_secret(&mfa_question(SERIAL)).unwrap().expose(),
        "12345678"
    );
    assert_eq!(
        fake.args(),
        [
            "oath",
            "accounts",
            "code",
            "-s",
            "Amazon Web Services:ana@prod"
        ]
    );
    fs::remove_file(fake.dir.path().join("args")).unwrap();
    assert_eq!(p.read_line("Username: ").unwrap(), "terminal");
    assert_eq!(p.read_secret("Password: ").unwrap().expose(), "terminal");
    p.notice("approve the push");
    assert!(
        fake.args().is_empty(),
        "ykman was not run for other questions"
    );
    let seen = terminal.seen.lock().unwrap().clone();
    assert_eq!(
        &seen[1..],
        [
            "line Username: ",
            "secret Password: ",
            "notice approve the push"
        ]
    );
}

#[test]
fn no_key_inserted() {
    let fake = Fake::new("echo 'ERROR: No YubiKey detected!' >&2; exit 2");
    let (_, p) = prompter(fake.settings());
    let m = driver_error(p.read_line(&mfa_question(SERIAL)));
    assert!(
        m.contains("no YubiKey detected") && m.contains(SERIAL),
        "{m}"
    );
}

#[test]
fn a_touch_that_never_came() {
    let fake = Fake::new(
        "echo 'Touch your YubiKey...' >&2; echo 'ERROR: Timed out waiting for touch' >&2; exit 1",
    );
    let (_, p) = prompter(fake.settings());
    let m = driver_error(p.read_line(&mfa_question(SERIAL)));
    assert!(m.contains("timed out waiting for you to touch"), "{m}");
}

#[test]
fn a_ykman_that_hangs_is_killed_at_the_bound() {
    let fake = Fake::new("exec sleep 30");
    let (_, p) = prompter(fake.settings().timeout(Duration::from_millis(200)));
    let m = driver_error(p.read_line(&mfa_question(SERIAL)));
    assert!(m.contains("no code from the YubiKey within"), "{m}");
}

#[test]
fn output_that_is_not_a_code_is_refused() {
    let fake = Fake::new("echo 'Amazon: 123456'");
    let (_, p) = prompter(fake.settings());
    let m = driver_error(p.read_line(&mfa_question(SERIAL)));
    assert!(m.contains("printed no 6-8 digit code"), "{m}");
}

#[test]
fn ykman_missing_from_path_is_not_installed() {
    let empty = tempfile::tempdir().unwrap();
    let e = YkmanSettings::find(Some(empty.path().as_os_str())).unwrap_err();
    assert_eq!(e, YkmanError::NotInstalled);
    assert!(e.to_string().contains("ykman is not installed"), "{e}");
}

//! Each dialog driver against a fake program on `PATH`: a shell script that records its
//! arguments, its standard input and its label variable, then answers as the test told it to.
#![cfg(unix)]

use aws_runas_domain::ports::prompter::{PromptError, Prompter};
use aws_runas_prompt_gui::{Dialog, DialogError, DialogPrompter, DialogSettings};
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// A directory holding one fake dialog program and what it recorded.
struct Fake {
    dir: tempfile::TempDir,
    program: PathBuf,
}

impl Fake {
    /// A fake `name` that prints `answer` and exits with `status` (writing `error` on stderr).
    fn new(name: &str, answer: &str, status: i32, error: &str) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join(name);
        let d = dir.path().display();
        fs::write(dir.path().join("answer"), answer).unwrap();
        aws_runas_tests::write_program(
            &program,
            &format!(
                "#!/bin/sh\n\
                 printf '%s\\n' \"$@\" > '{d}/args'\n\
                 printf '%s' \"$AWS_RUNAS_PROMPT_TEXT\" > '{d}/text'\n\
                 cat > '{d}/stdin'\n\
                 cat '{d}/answer'\n\
                 printf '%s\\n' '{error}' >&2\n\
                 exit {status}\n"
            ),
        );
        Fake { dir, program }
    }

    /// The fake's directory, then the test's own `PATH` (the script needs `cat`).
    fn path(&self) -> OsString {
        #[allow(clippy::disallowed_methods)] // tests hand their PATH on to the fake
        let rest = std::env::var_os("PATH").unwrap_or_default();
        std::env::join_paths(
            std::iter::once(self.dir.path().to_path_buf()).chain(std::env::split_paths(&rest)),
        )
        .unwrap()
    }

    fn recorded(&self, what: &str) -> String {
        fs::read_to_string(self.dir.path().join(what)).unwrap_or_default()
    }

    fn args(&self) -> Vec<String> {
        self.recorded("args").lines().map(str::to_string).collect()
    }
}

fn found(dialog: Dialog, fake: &Fake) -> DialogPrompter {
    DialogPrompter::new(DialogSettings::find(dialog, Some(&fake.path())).unwrap())
}

const LABEL: &str = "MFA code for arn:aws:iam::123456789012:mfa/ana: ";
const SHOWN: &str = "MFA code for arn:aws:iam::123456789012:mfa/ana";
const PASSWORD: &str = "fake-dialog-password";

/// The secret never reaches the program's arguments, its input or its environment.
fn assert_not_passed(fake: &Fake, secret: &str) {
    for what in ["args", "stdin", "text"] {
        assert!(
            !fake.recorded(what).contains(secret),
            "{what}: {}",
            fake.recorded(what)
        );
    }
}

#[test]
fn zenity_entry_password_and_notification() {
    let fake = Fake::new("zenity", " 123456 \n", 0, "");
    let p = found(Dialog::Zenity, &fake);
    assert_eq!(p.read_line(LABEL).unwrap(), "123456");
    assert_eq!(
        fake.args(),
        ["--entry", "--title=aws-runas", &format!("--text={SHOWN}")]
    );
    fs::write(fake.dir.path().join("answer"), format!("{PASSWORD}\n")).unwrap();
    assert_eq!(p.read_secret("Password: ").unwrap().expose(), PASSWORD);
    assert_eq!(
        fake.args(),
        [
            "--entry",
            "--title=aws-runas",
            "--text=Password",
            "--hide-text"
        ]
    );
    assert_not_passed(&fake, PASSWORD);
    p.notice("Waiting for you to approve the push (up to 120s)…");
    assert_eq!(
        fake.args(),
        [
            "--notification",
            "--text=Waiting for you to approve the push (up to 120s)…"
        ]
    );
}

#[test]
fn kdialog_inputbox_password_and_popup() {
    let fake = Fake::new("kdialog", "654321\n", 0, "");
    let p = found(Dialog::Kdialog, &fake);
    assert_eq!(p.read_line(LABEL).unwrap(), "654321");
    assert_eq!(fake.args(), ["--title", "aws-runas", "--inputbox", SHOWN]);
    fs::write(fake.dir.path().join("answer"), PASSWORD).unwrap();
    assert_eq!(p.read_secret("Password: ").unwrap().expose(), PASSWORD);
    assert_eq!(
        fake.args(),
        ["--title", "aws-runas", "--password", "Password"]
    );
    assert_not_passed(&fake, PASSWORD);
    p.notice("To log in, open https://idp.example/device and enter the code WDJB-MJHT");
    assert_eq!(
        fake.args(),
        [
            "--title",
            "aws-runas",
            "--passivepopup",
            "To log in, open https://idp.example/device and enter the code WDJB-MJHT",
            "10"
        ]
    );
}

#[test]
fn osascript_gets_its_script_on_stdin_and_the_label_as_an_argument() {
    let fake = Fake::new("osascript", &format!("{PASSWORD}\n"), 0, "");
    let p = DialogPrompter::new(DialogSettings::with_program(
        Dialog::Osascript,
        &fake.program,
    ));
    assert_eq!(p.read_secret("Password: ").unwrap().expose(), PASSWORD);
    assert_eq!(fake.args(), ["-", "Password"]);
    let script = fake.recorded("stdin");
    assert!(script.contains("with hidden answer"), "{script}");
    assert!(
        script.contains("display dialog (item 1 of argv)"),
        "{script}"
    );
    assert_not_passed(&fake, PASSWORD);
    p.read_line("Username: ").unwrap();
    assert!(!fake.recorded("stdin").contains("hidden"));
    p.notice("\"quoted\" notice");
    assert_eq!(fake.args(), ["-", "\"quoted\" notice"]);
    assert!(fake.recorded("stdin").contains("display notification"));
}

#[test]
fn osascript_user_cancel_is_cancelled_and_other_errors_name_the_program() {
    let fake = Fake::new("osascript", "", 1, "execution error: User canceled. (-128)");
    let p = DialogPrompter::new(DialogSettings::with_program(
        Dialog::Osascript,
        &fake.program,
    ));
    assert_eq!(p.read_line(LABEL), Err(PromptError::Cancelled));
    let fake = Fake::new(
        "osascript",
        "",
        1,
        "execution error: no user interaction allowed (-1713)",
    );
    let p = DialogPrompter::new(DialogSettings::with_program(
        Dialog::Osascript,
        &fake.program,
    ));
    let Err(PromptError::Driver(m)) = p.read_line(LABEL) else {
        panic!("a driver error")
    };
    assert!(
        m.contains("prompt driver osascript") && m.contains("(-1713)"),
        "{m}"
    );
}

#[test]
fn wincred_script_reads_the_label_from_its_environment() {
    let fake = Fake::new("powershell", PASSWORD, 0, "");
    let p = DialogPrompter::new(DialogSettings::with_program(Dialog::Wincred, &fake.program));
    assert_eq!(p.read_secret("Password: ").unwrap().expose(), PASSWORD);
    assert_eq!(fake.args(), ["-NoLogo", "-NoProfile", "-Command", "-"]);
    assert_eq!(fake.recorded("text"), "Password");
    assert!(fake.recorded("stdin").contains("PromptForCredential"));
    assert_not_passed(&fake, PASSWORD);
    let cancelled = Fake::new("powershell", "", 1, "");
    let p = DialogPrompter::new(DialogSettings::with_program(
        Dialog::Wincred,
        &cancelled.program,
    ));
    assert_eq!(p.read_line(LABEL), Err(PromptError::Cancelled));
    assert_eq!(cancelled.recorded("text"), SHOWN);
    assert!(cancelled.recorded("stdin").contains("InputBox"));
}

#[test]
fn a_cancelled_dialog_is_cancelled() {
    for dialog in [Dialog::Zenity, Dialog::Kdialog] {
        let fake = Fake::new(dialog.program(), "", 1, "");
        let p = found(dialog, &fake);
        assert_eq!(p.read_line(LABEL), Err(PromptError::Cancelled), "{dialog}");
        assert_eq!(
            p.read_secret("Password: ").map(|s| s.expose().to_string()),
            Err(PromptError::Cancelled),
            "{dialog}"
        );
    }
}

#[test]
fn a_failing_dialog_names_the_driver_and_its_error() {
    let fake = Fake::new("zenity", "", 255, "cannot open display: :9");
    let p = found(Dialog::Zenity, &fake);
    let Err(PromptError::Driver(m)) = p.read_line(LABEL) else {
        panic!("a driver error")
    };
    assert!(m.starts_with("prompt driver zenity: "), "{m}");
    assert!(
        m.contains("exit status 255") && m.contains("cannot open display: :9"),
        "{m}"
    );
}

#[test]
fn a_program_missing_from_path_is_not_installed() {
    let empty = tempfile::tempdir().unwrap();
    let e = DialogSettings::find(Dialog::Zenity, Some(empty.path().as_os_str())).unwrap_err();
    assert_eq!(
        e,
        DialogError::NotInstalled {
            dialog: Dialog::Zenity,
            program: "zenity"
        }
    );
    assert!(e.to_string().contains("zenity is not installed"), "{e}");
    // A program that vanished after it was found is a driver error, not a hang or a panic.
    let fake = Fake::new("zenity", "", 0, "");
    let p = found(Dialog::Zenity, &fake);
    fs::remove_file(&fake.program).unwrap();
    let Err(PromptError::Driver(m)) = p.read_line(LABEL) else {
        panic!("a driver error")
    };
    assert!(
        m.contains("cannot run") && m.contains(path_text(&fake.program).as_str()),
        "{m}"
    );
}

fn path_text(p: &Path) -> String {
    p.display().to_string()
}

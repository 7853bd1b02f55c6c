//! The prompter on a real terminal: a pseudo-terminal whose slave side is the controlling terminal
//! of a child process.
//!
//! Each test re-runs this test binary as a *worker* (the `worker` test, selected by an environment
//! variable) in a new session whose controlling terminal is the pty slave, so the prompter opens
//! `/dev/tty` exactly as it does in aws-runas.
//! The test plays the user on the master side: it waits for the label, types keys and reads back
//! everything the terminal showed.

use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_prompt_term::{TermPrompter, TermSettings};
use rustix::fs::OFlags;
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{LocalModes, tcgetattr};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Selects the worker and what it does.
const WORKER_ENV: &str = "AWS_RUNAS_PROMPT_TERM_WORKER";
/// The pty slave the worker takes as its controlling terminal (absent: no terminal at all).
const SLAVE_ENV: &str = "AWS_RUNAS_PROMPT_TERM_SLAVE";
/// Where the worker writes what the prompter returned.
const RESULT_ENV: &str = "AWS_RUNAS_PROMPT_TERM_RESULT";

/// Only against hangs: a test that gets here has failed (this is not a timing assertion).
const HANG_GUARD: Duration = Duration::from_secs(60);

#[allow(clippy::disallowed_methods)] // The worker gets its instructions from its parent test.
fn worker_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn no_ctty() -> i32 {
    i32::try_from(OFlags::NOCTTY.bits()).unwrap()
}

/// The worker: does nothing in a normal test run (the variable is absent there).
#[test]
fn worker() {
    let Some(mode) = worker_env(WORKER_ENV) else {
        return;
    };
    rustix::process::setsid().expect("setsid");
    let slave = worker_env(SLAVE_ENV).map(|path| {
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(no_ctty())
            .open(path)
            .unwrap();
        rustix::process::ioctl_tiocsctty(&slave).expect("TIOCSCTTY");
        slave
    });
    let prompter = TermPrompter::new(TermSettings::controlling_terminal());
    let outcome = match mode.as_str() {
        "line" => format!("{:?}", prompter.read_line("Username: ")),
        "secret" => format!(
            "{:?}",
            prompter
                .read_secret("Password: ")
                .map(|s| s.expose().to_string())
        ),
        "notice" => {
            prompter.notice("Waiting for push approval");
            "noticed".to_string()
        }
        "none" => {
            let line = prompter.read_line("Username: ");
            let secret = prompter
                .read_secret("Password: ")
                .map(|s| s.expose().to_string());
            prompter.notice("Waiting for push approval");
            format!("{line:?} {secret:?}")
        }
        other => panic!("unknown worker mode {other}"),
    };
    let modes = match &slave {
        Some(slave) => {
            let local = tcgetattr(slave).unwrap().local_modes;
            let on = |flag| if local.contains(flag) { "on" } else { "off" };
            format!(
                "echo {} icanon {} isig {}",
                on(LocalModes::ECHO),
                on(LocalModes::ICANON),
                on(LocalModes::ISIG)
            )
        }
        None => "no terminal".to_string(),
    };
    std::fs::write(
        worker_env(RESULT_ENV).unwrap(),
        format!("{outcome}\n{modes}"),
    )
    .unwrap();
}

/// What the worker returned and what the terminal showed.
struct Outcome {
    /// The prompter's result, `Debug`-formatted.
    result: String,
    /// The terminal modes after the call.
    modes: String,
    /// Everything written to the terminal, echo included.
    screen: String,
    /// The worker's stderr.
    stderr: String,
}

/// A worker running on a fresh pty (or on none), with the test as the user at the keyboard.
struct Session {
    child: Child,
    master: Option<File>,
    /// Our own handle on the slave, so the master never reads EIO before the worker opens it.
    slave: Option<File>,
    screen: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
    home: tempfile::TempDir,
}

fn test_path() -> String {
    #[allow(clippy::disallowed_methods)] // Tests are a composition root: the worker needs PATH.
    std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string())
}

impl Session {
    fn start(mode: &str, with_terminal: bool) -> Session {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", "pty::worker", "--nocapture", "--test-threads=1"])
            .env_clear()
            .env("PATH", test_path())
            .env("HOME", home.path())
            .env(WORKER_ENV, mode)
            .env(RESULT_ENV, home.path().join("result"))
            // stdin is a pipe nobody writes to: a prompter that read stdin would hang the test.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let screen = Arc::new(Mutex::new(Vec::new()));
        let (mut master, mut slave, mut reader) = (None, None, None);
        if with_terminal {
            let pty =
                openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
            grantpt(&pty).unwrap();
            unlockpt(&pty).unwrap();
            let name = ptsname(&pty, Vec::new()).unwrap();
            let name = PathBuf::from(name.into_string().unwrap());
            slave = Some(
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .custom_flags(no_ctty())
                    .open(&name)
                    .unwrap(),
            );
            cmd.env(SLAVE_ENV, &name);
            let pty = File::from(pty);
            let mut from_pty = pty.try_clone().unwrap();
            let sink = Arc::clone(&screen);
            reader = Some(thread::spawn(move || {
                let mut buf = [0u8; 1024];
                // Ends with EIO once every slave handle is closed.
                while let Ok(n @ 1..) = from_pty.read(&mut buf) {
                    sink.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            }));
            master = Some(pty);
        }
        let child = cmd.spawn().unwrap();
        Session {
            child,
            master,
            slave,
            screen,
            reader,
            home,
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal shows `text`.
    fn wait_for(&mut self, text: &str) {
        let start = Instant::now();
        while !self.screen().contains(text) {
            if start.elapsed() > HANG_GUARD || self.child.try_wait().unwrap().is_some() {
                let _ = self.child.kill();
                panic!(
                    "the terminal never showed {text:?}; it showed {:?}",
                    self.screen()
                );
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Types keys on the terminal.
    fn type_keys(&mut self, keys: &[u8]) {
        let master = self.master.as_mut().expect("a session with a terminal");
        master.write_all(keys).unwrap();
        master.flush().unwrap();
    }

    /// Waits for the worker to end and collects what happened.
    fn finish(mut self) -> Outcome {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > HANG_GUARD {
                let _ = self.child.kill();
                panic!("the worker hung; the terminal showed {:?}", self.screen());
            }
            thread::sleep(Duration::from_millis(5));
        };
        drop(self.slave.take());
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        assert!(
            status.success(),
            "worker failed: {status}\n{stdout}\n{stderr}"
        );
        let result = std::fs::read_to_string(self.home.path().join("result"))
            .unwrap_or_else(|e| panic!("no result ({e}):\n{stdout}\n{stderr}"));
        let (result, modes) = result.split_once('\n').unwrap();
        Outcome {
            result: result.to_string(),
            modes: modes.to_string(),
            screen: self.screen(),
            stderr,
        }
    }
}

const RESTORED: &str = "echo on icanon on isig on";

#[test]
fn read_line_shows_the_label_and_returns_the_trimmed_answer() {
    let mut session = Session::start("line", true);
    session.wait_for("Username: ");
    session.type_keys(b"  alice@example.com \n");
    let out = session.finish();
    assert_eq!(out.result, r#"Ok("alice@example.com")"#);
    // The answer is echoed: it is not a secret.
    assert_eq!(out.screen, "Username:   alice@example.com \r\n");
    assert_eq!(out.modes, RESTORED);
}

#[test]
fn read_line_ctrl_d_is_cancelled() {
    let mut session = Session::start("line", true);
    session.wait_for("Username: ");
    session.type_keys(b"\x04");
    let out = session.finish();
    assert_eq!(out.result, "Err(Cancelled)");
    assert_eq!(out.modes, RESTORED);
}

#[test]
fn read_secret_does_not_echo_and_restores_the_terminal() {
    let mut session = Session::start("secret", true);
    session.wait_for("Password: ");
    session.type_keys(b"hunter2-FAKE\n");
    let out = session.finish();
    assert_eq!(out.result, r#"Ok("hunter2-FAKE")"#);
    assert!(!out.screen.contains("hunter2"), "{:?}", out.screen);
    // The label, then the newline the prompter prints because Enter was not echoed.
    assert_eq!(out.screen, "Password: \r\n");
    assert_eq!(out.modes, RESTORED);
}

#[test]
fn read_secret_handles_erase_and_carriage_return() {
    let mut session = Session::start("secret", true);
    session.wait_for("Password: ");
    session.type_keys(b"wrong\x15s3cx\x7fret\r");
    let out = session.finish();
    assert_eq!(out.result, r#"Ok("s3cret")"#);
    assert_eq!(out.screen, "Password: \r\n");
}

#[test]
fn read_secret_ctrl_d_is_cancelled_and_restores_the_terminal() {
    let mut session = Session::start("secret", true);
    session.wait_for("Password: ");
    session.type_keys(b"\x04");
    let out = session.finish();
    assert_eq!(out.result, "Err(Cancelled)");
    assert_eq!(out.modes, RESTORED);
}

#[test]
fn read_secret_ctrl_c_is_cancelled_and_restores_the_terminal() {
    let mut session = Session::start("secret", true);
    session.wait_for("Password: ");
    session.type_keys(b"half-typed\x03");
    let out = session.finish();
    assert_eq!(out.result, "Err(Cancelled)");
    assert!(!out.screen.contains("half-typed"), "{:?}", out.screen);
    assert_eq!(out.modes, RESTORED);
}

#[test]
fn notice_goes_to_the_terminal_not_stderr() {
    let session = Session::start("notice", true);
    let out = session.finish();
    assert_eq!(out.result, "noticed");
    assert_eq!(out.screen, "Waiting for push approval\r\n");
    assert!(!out.stderr.contains("Waiting"), "{}", out.stderr);
}

#[test]
fn without_a_terminal_questions_fail_at_once_and_notices_use_stderr() {
    let session = Session::start("none", false);
    let out = session.finish();
    assert_eq!(out.result, "Err(NoTerminal) Err(NoTerminal)");
    assert_eq!(out.modes, "no terminal");
    assert!(
        out.stderr.contains("Waiting for push approval\n"),
        "{}",
        out.stderr
    );
}

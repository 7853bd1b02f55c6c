#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use aws_runas_domain::Secret;
use aws_runas_domain::ports::prompter::{PromptError, Prompter, mfa_device};
use std::ffi::{OsStr, OsString};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long `ykman` may take (a touch included) unless the settings say otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Why `ykman` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum YkmanError {
    /// `ykman` is not on `PATH`.
    #[error("prompt driver ykman is not installed: no `ykman` on PATH (install yubikey-manager)")]
    NotInstalled,
}

/// Where `ykman` is and which OATH account holds the code.
///
/// There is deliberately no `Default`: the caller says where `ykman` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YkmanSettings {
    program: PathBuf,
    path: Option<OsString>,
    account: Option<String>,
    timeout: Duration,
}

impl YkmanSettings {
    /// Finds `ykman` on `path` (a `PATH` value, handed on to `ykman`).
    ///
    /// # Errors
    /// [`YkmanError::NotInstalled`] when it is not there.
    pub fn find(path: Option<&OsStr>) -> Result<Self, YkmanError> {
        let program = find_on_path("ykman", path).ok_or(YkmanError::NotInstalled)?;
        Ok(YkmanSettings {
            program,
            path: path.map(OsStr::to_os_string),
            account: None,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// `ykman` at `program` (for tests, and for a `ykman` kept outside `PATH`).
    pub fn with_program(program: impl Into<PathBuf>) -> Self {
        YkmanSettings {
            program: program.into(),
            path: None,
            account: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The OATH account to read (`ykman_oath_credential`); without it, the MFA serial asked about.
    #[must_use]
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into()).filter(|a| !a.trim().is_empty());
        self
    }

    /// How long `ykman` may take before it is killed.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `ykman` program.
    pub fn program(&self) -> &Path {
        &self.program
    }
}

/// Answers MFA-code questions from a YubiKey; everything else goes to the wrapped prompter.
pub struct YkmanPrompter {
    settings: YkmanSettings,
    others: Arc<dyn Prompter>,
}

impl std::fmt::Debug for YkmanPrompter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YkmanPrompter")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl YkmanPrompter {
    /// A prompter reading MFA codes with `ykman` and asking `others` everything else (and
    /// showing its notices there, the touch request included).
    pub fn new(settings: YkmanSettings, others: Arc<dyn Prompter>) -> Self {
        YkmanPrompter { settings, others }
    }

    fn code(&self, serial: &str) -> Result<String, PromptError> {
        let account = self.settings.account.as_deref().unwrap_or(serial);
        self.others.notice(&format!(
            "Reading the MFA code of {account} from your YubiKey; touch it if it blinks"
        ));
        let fail =
            |what: String| PromptError::Driver(format!("prompt driver ykman: {what}").into());
        let mut cmd = Command::new(&self.settings.program);
        if let Some(p) = &self.settings.path {
            cmd.env("PATH", p);
        }
        cmd.args(["oath", "accounts", "code", "-s", account])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            fail(format!(
                "cannot run {}: {e}",
                self.settings.program.display()
            ))
        })?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let out = std::thread::spawn(move || {
            let mut buf = Zeroizing::new(Vec::new());
            if let Some(o) = stdout {
                let _ = o.take(4096).read_to_end(&mut buf);
            }
            buf
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(e) = stderr {
                let _ = e.take(64 * 1024).read_to_string(&mut text);
            }
            text
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() < self.settings.timeout => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(fail(format!(
                        "no code from the YubiKey within {}s for {account} (was it touched?)",
                        self.settings.timeout.as_secs()
                    )));
                }
                Err(e) => return Err(fail(format!("waiting for ykman: {e}"))),
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        if !status.success() {
            return Err(fail(explain(&stderr, account)));
        }
        let code = String::from_utf8_lossy(&stdout).trim().to_string();
        if (6..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(code)
        } else {
            Err(fail(format!(
                "`ykman oath accounts code -s {account}` printed no 6-8 digit code"
            )))
        }
    }
}

/// What a failed `ykman` run means, from its error output.
fn explain(stderr: &str, account: &str) -> String {
    let lower = stderr.to_ascii_lowercase();
    if lower.contains("no yubikey") {
        format!("no YubiKey detected; insert the key holding the OATH account {account}")
    } else if lower.contains("touch") && (lower.contains("timed out") || lower.contains("timeout"))
    {
        format!("timed out waiting for you to touch the YubiKey (OATH account {account})")
    } else if lower.contains("no matching") || lower.contains("no such") {
        format!(
            "the YubiKey has no OATH account matching {account}; set ykman_oath_credential to its name"
        )
    } else {
        let last = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("no error output")
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>();
        format!("`ykman oath accounts code -s {account}` failed: {last}")
    }
}

impl Prompter for YkmanPrompter {
    fn read_line(&self, label: &str) -> Result<String, PromptError> {
        match mfa_device(label) {
            Some(serial) => self.code(serial),
            None => self.others.read_line(label),
        }
    }

    fn read_secret(&self, label: &str) -> Result<Secret, PromptError> {
        match mfa_device(label) {
            Some(serial) => self.code(serial).map(Secret::new),
            None => self.others.read_secret(label),
        }
    }

    fn notice(&self, message: &str) {
        self.others.notice(message);
    }
}

/// The first executable file named `program` in the directories of `path`.
fn find_on_path(program: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    let names: Vec<String> = if cfg!(windows) {
        vec![format!("{program}.exe"), program.to_string()]
    } else {
        vec![program.to_string()]
    };
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_explained_with_the_account() {
        let e = explain("ERROR: No YubiKey detected!\n", "aws");
        assert!(
            e.starts_with("no YubiKey detected") && e.contains("aws"),
            "{e}"
        );
        let e = explain(
            "Touch your YubiKey...\nERROR: Timed out waiting for touch\n",
            "aws",
        );
        assert!(e.starts_with("timed out waiting for you to touch"), "{e}");
        let e = explain("ERROR: No matching account found.\n", "aws");
        assert!(e.contains("ykman_oath_credential"), "{e}");
        let e = explain("ERROR: boom\u{1b}[2J\n", "aws");
        assert!(e.ends_with("failed: ERROR: boom[2J"), "{e}");
    }

    #[test]
    fn an_empty_account_name_means_the_serial() {
        let s = YkmanSettings::with_program("/x/ykman").account("  ");
        assert_eq!(s.account, None);
        assert_eq!(s.program(), Path::new("/x/ykman"));
    }
}

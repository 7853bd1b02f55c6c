//! Runs a `credential_process` command through the shell, with a bounded wait.
//!
//! The child inherits stdin and stderr so it can ask the user things; only stdout is captured.
//! stdout is read on a helper thread so a chatty child never blocks on a full pipe, and the wait is
//! a polling loop because the standard library has no wait-with-timeout.

use crate::output;
use crate::resolving::{RESOLVING_ENV, encode_resolving};
use aws_runas_domain::Credentials;
use aws_runas_domain::ProfileName;
use aws_runas_domain::ports::process::{CredentialProcess, ProcessError};
use std::ffi::OsString;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long a command may run before it is killed, unless the settings say otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The most stdout that is kept; credential JSON is a few hundred bytes.
const MAX_OUTPUT: u64 = 1024 * 1024;

/// How a [`ProcessRunner`] runs commands.
#[derive(Clone)]
pub struct ProcessSettings {
    resolving: Vec<String>,
    timeout: Duration,
    environment: Option<Vec<(OsString, OsString)>>,
}

impl ProcessSettings {
    /// Settings for a run while the profiles in `resolving` are being resolved.
    ///
    /// `resolving` is the list the app read from [`RESOLVING_ENV`](crate::RESOLVING_ENV) plus the
    /// profile it is resolving; the child gets it back in that variable.
    /// The child inherits this process's environment, and the wait is bounded by five minutes.
    pub fn new(resolving: Vec<String>) -> Self {
        ProcessSettings {
            resolving,
            timeout: DEFAULT_TIMEOUT,
            environment: None,
        }
    }

    /// Kills the command and fails when it runs longer than `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Gives the child exactly these environment variables instead of this process's environment
    /// (the resolving list is still added).
    #[must_use]
    pub fn environment<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        self.environment = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }
}

impl std::fmt::Debug for ProcessSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Environment values are not shown: they may hold secrets.
        f.debug_struct("ProcessSettings")
            .field("resolving", &self.resolving)
            .field("timeout", &self.timeout)
            .field(
                "environment",
                &self.environment.as_ref().map(|vars| vars.len()),
            )
            .finish()
    }
}

/// Runs `credential_process` commands: `sh -c <command>` on Unix, `cmd /C <command>` on Windows.
#[derive(Debug, Clone)]
pub struct ProcessRunner {
    settings: ProcessSettings,
}

impl ProcessRunner {
    /// A runner with these settings.
    pub fn new(settings: ProcessSettings) -> Self {
        ProcessRunner { settings }
    }

    /// The resolving list for a run of `profile`'s command: the settings' list plus `profile`,
    /// so that the command cannot ask aws-runas for the very profile it serves.
    fn resolving_for(&self, profile: &ProfileName) -> Vec<String> {
        let mut list = self.settings.resolving.clone();
        if !list.iter().any(|p| p == profile.as_str()) {
            list.push(profile.as_str().to_string());
        }
        list
    }

    fn command(&self, profile: &ProfileName, command: &str) -> Command {
        let mut cmd = shell(command);
        if let Some(vars) = &self.settings.environment {
            cmd.env_clear();
            cmd.envs(vars.iter().map(|(k, v)| (k, v)));
        }
        cmd.env(
            RESOLVING_ENV,
            encode_resolving(&self.resolving_for(profile)),
        );
        cmd.stdin(Stdio::inherit())
            .stderr(Stdio::inherit())
            .stdout(Stdio::piped());
        cmd
    }

    fn run_command(&self, profile: &ProfileName, command: &str) -> Result<Credentials, String> {
        let now = Instant::now();
        // A timeout too large to add is as good as none: a year.
        let deadline = now
            .checked_add(self.settings.timeout)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 60 * 60));
        let mut child = self
            .command(profile, command)
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", SHELL[0]))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("cannot read the command's stdout".to_string());
        };
        let (tx, rx) = mpsc::channel();
        // Not joined: a grandchild that keeps stdout open must not hold us past the deadline.
        thread::spawn(move || {
            let mut buf = Zeroizing::new(Vec::new());
            let result = stdout.take(MAX_OUTPUT).read_to_end(&mut buf).map(|_| buf);
            let _ = tx.send(result);
        });

        let status = match wait_until(&mut child, deadline) {
            Ok(Some(status)) => status,
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(self.timed_out());
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("waiting for the command failed: {e}"));
            }
        };
        if !status.success() {
            return Err(describe_failure(status));
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let stdout = match rx.recv_timeout(remaining) {
            Ok(Ok(buf)) => buf,
            Ok(Err(e)) => return Err(format!("reading the command's stdout failed: {e}")),
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(self.timed_out()),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("reading the command's stdout failed".to_string());
            }
        };
        output::parse(&stdout)
    }

    fn timed_out(&self) -> String {
        format!(
            "timed out after {} and was killed",
            human(self.settings.timeout)
        )
    }
}

impl CredentialProcess for ProcessRunner {
    fn run(&self, profile: &ProfileName, command: &str) -> Result<Credentials, ProcessError> {
        self.run_command(profile, command)
            .map_err(|message| ProcessError {
                profile: profile.as_str().to_string(),
                message,
            })
    }
}

#[cfg(not(windows))]
const SHELL: [&str; 2] = ["sh", "-c"];
#[cfg(windows)]
const SHELL: [&str; 2] = ["cmd", "/C"];

#[cfg(not(windows))]
fn shell(command: &str) -> Command {
    let mut cmd = Command::new(SHELL[0]);
    cmd.arg(SHELL[1]).arg(command);
    cmd
}

#[cfg(windows)]
fn shell(command: &str) -> Command {
    use std::os::windows::process::CommandExt;
    let mut cmd = Command::new(SHELL[0]);
    // cmd.exe does its own parsing of the rest of the line, so it gets the text as written.
    cmd.arg(SHELL[1]).raw_arg(command);
    cmd
}

/// Waits for the child until `deadline`; `Ok(None)` means it is still running.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

fn describe_failure(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    format!("ended abnormally ({status})")
}

/// `300s` → `5m`, `1500ms` → `1500ms`: short and exact.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human(DEFAULT_TIMEOUT), "5m");
        assert_eq!(human(Duration::from_secs(90)), "90s");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
        assert_eq!(human(Duration::ZERO), "0s");
    }

    #[test]
    fn resolving_list_gains_the_profile_once() {
        let runner = ProcessRunner::new(ProcessSettings::new(vec!["outer".into(), "inner".into()]));
        let inner = ProfileName::new("inner").unwrap();
        let other = ProfileName::new("other").unwrap();
        assert_eq!(runner.resolving_for(&inner), ["outer", "inner"]);
        assert_eq!(runner.resolving_for(&other), ["outer", "inner", "other"]);
    }

    #[test]
    fn debug_hides_environment_values() {
        let settings = ProcessSettings::new(vec![]).environment([("TOKEN", "very-secret-value")]);
        let shown = format!("{settings:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("environment: Some(1)"), "{shown}");
    }
}

//! Running a dialog program: finding it on `PATH`, feeding its standard input, reading its answer.

use std::ffi::{OsStr, OsString};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The longest answer read from a program (a dialog's text field): 64 KiB.
const MAX_ANSWER: u64 = 64 * 1024;

/// The first file named `program` in the directories of `path` (a `PATH` value).
pub(crate) fn find_on_path(program: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    let path = path?;
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| candidates(&dir, program))
        .find(|candidate| is_executable(candidate))
}

fn candidates(dir: &Path, program: &str) -> Vec<PathBuf> {
    if cfg!(windows) && Path::new(program).extension().is_none() {
        vec![dir.join(format!("{program}.exe")), dir.join(program)]
    } else {
        vec![dir.join(program)]
    }
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

/// What a finished program said.
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    /// Standard output, zeroized when dropped (it may be a password).
    pub(crate) stdout: Zeroizing<Vec<u8>>,
    /// The last non-empty line of standard error, for error messages.
    pub(crate) last_error_line: String,
}

/// Runs `command` to the end, writing `input` to its standard input.
pub(crate) fn run(mut command: Command, input: Option<&str>) -> std::io::Result<Finished> {
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        // A program that exits without reading its input is reported by its status.
        let _ = stdin.write_all(text.as_bytes());
    }
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = e.by_ref().take(MAX_ANSWER).read_to_string(&mut text);
        }
        text
    });
    let mut stdout = Zeroizing::new(Vec::new());
    if let Some(out) = child.stdout.take() {
        out.take(MAX_ANSWER).read_to_end(&mut stdout)?;
    }
    let status = child.wait()?;
    let errors = errors.join().unwrap_or_default();
    let last_error_line = errors
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string();
    Ok(Finished {
        status,
        stdout,
        last_error_line,
    })
}

/// How long [`start_notice`] waits for a notification program before leaving it to finish alone.
const NOTICE_WAIT: Duration = Duration::from_secs(2);

/// Starts a notification program and waits for it a little; a notification must never hold up
/// the work it announces. A program still running after [`NOTICE_WAIT`] is reaped by a thread.
pub(crate) fn start_notice(mut command: Command, input: Option<String>) {
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let Ok(mut child) = command.spawn() else {
        return;
    };
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let _ = stdin.write_all(text.as_bytes());
    }
    let start = Instant::now();
    while start.elapsed() < NOTICE_WAIT {
        match child.try_wait() {
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            _ => return,
        }
    }
    reap(child);
}

fn reap(mut child: Child) {
    let _ = std::thread::Builder::new()
        .name("aws-runas-notice".to_string())
        .spawn(move || {
            let _ = child.wait();
        });
}

/// A command for `program` with `PATH` set to `path` when one was given.
pub(crate) fn command(program: &Path, path: Option<&OsString>) -> Command {
    let mut command = Command::new(program);
    if let Some(p) = path {
        command.env("PATH", p);
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_executable_files_are_found() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("zenity");
        std::fs::write(&plain, "#!/bin/sh\n").unwrap();
        let path = OsString::from(dir.path());
        assert_eq!(find_on_path("zenity", Some(&path)), None);
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_on_path("zenity", Some(&path)), Some(plain));
        assert_eq!(find_on_path("kdialog", Some(&path)), None);
        assert_eq!(find_on_path("zenity", None), None);
    }
}

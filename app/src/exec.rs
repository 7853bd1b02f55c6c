//! Runs the command given after the profile with static credentials in its environment (`-E`).
//!
//! On Unix aws-runas replaces itself with the command (`exec`), so signals, the terminal and the
//! exit status are the command's own. Elsewhere it waits and exits with the command's code.
//! Without `-E` the command is supervised instead, with a credential endpoint (`serve.rs`); both
//! build the command here.

use crate::env::ProcessEnv;
use crate::output::{fish_quote, sh_quote};
use anyhow::{Result, bail};
use std::path::Path;
use std::process::{Command, ExitCode};

/// Shells whose `-i -c` runs an alias or function of the user's.
const WRAPPING_SHELLS: &[&str] = &["/bash", "/fish", "/zsh", "/ksh", "/ash", "/sh", "/dash"];

/// A command that could not be started; aws-runas exits with `code` (127: not found).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CommandFailed {
    /// The exit code: 127 when the program does not exist, 126 when it cannot be run.
    pub code: u8,
    /// What happened, naming the program.
    pub message: String,
}

/// Builds the command: the program itself when it is a path or on `PATH`; else, when `$SHELL` is
/// a known shell, `$SHELL -i -c '<command>'` so that aliases and functions work.
///
/// # Errors
/// A program found nowhere.
pub fn build(
    command: &[String],
    env_pairs: &[(&'static str, String)],
    profile: Option<&str>,
    penv: &ProcessEnv,
) -> Result<Command> {
    let Some((program, args)) = command.split_first() else {
        bail!("no command given after the profile")
    };
    let mut cmd = if program.contains('/') || on_path(program, penv.get("PATH")) {
        let mut c = Command::new(program);
        c.args(args);
        c
    } else if let Some(shell) = penv
        .get("SHELL")
        .filter(|s| WRAPPING_SHELLS.iter().any(|w| s.ends_with(w)))
    {
        let quote: fn(&str) -> String = if shell.ends_with("/fish") {
            fish_quote
        } else {
            sh_quote
        };
        // The first word stays unquoted when it can be: a quoted word is never alias-expanded.
        let plain = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.+-:@%/".contains(c))
        };
        let line = command
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 && plain(w) {
                    w.clone()
                } else {
                    quote(w)
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        log::debug!("WRAPPED CMD: {shell} -i -c {line}");
        let mut c = Command::new(shell);
        c.args(["-i", "-c", &line]);
        c
    } else {
        return Err(CommandFailed {
            code: 127,
            message: format!(
                "command not found: {program} (not on PATH, and $SHELL is not a shell that could run an alias of that name)"
            ),
        }
        .into());
    };
    cmd.env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE");
    if !env_pairs.iter().any(|(k, _)| *k == "AWS_SESSION_TOKEN") {
        cmd.env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_SECURITY_TOKEN");
    }
    for (k, v) in env_pairs {
        cmd.env(k, v);
    }
    if let Some(p) = profile {
        cmd.env("AWSRUNAS_PROFILE", p);
    }
    Ok(cmd)
}

/// Runs the command: `exec` on Unix (never returns on success), wait elsewhere.
///
/// # Errors
/// A command that cannot be started.
pub fn run(
    command: &[String],
    env_pairs: &[(&'static str, String)],
    profile: Option<&str>,
    penv: &ProcessEnv,
) -> Result<ExitCode> {
    let mut cmd = build(command, env_pairs, profile, penv)?;
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        let code = if err.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        };
        Err(CommandFailed {
            code,
            message: format!("cannot run {}: {err}", command[0]),
        }
        .into())
    }
    #[cfg(not(unix))]
    {
        // The console delivers Ctrl-C to the command too; aws-runas ignores it and reports the
        // command's exit code.
        let _ = ctrlc::set_handler(|| {});
        let status = cmd
            .status()
            .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", command[0]))?;
        Ok(ExitCode::from(
            status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)),
        ))
    }
}

fn on_path(program: &str, path: Option<&str>) -> bool {
    let Some(path) = path else { return false };
    std::env::split_paths(path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file() || p.with_extension("exe").is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Command) -> Vec<String> {
        std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn programs_on_path_run_directly_and_others_through_the_shell() {
        let penv = ProcessEnv::from_pairs([("PATH", "/usr/bin:/bin"), ("SHELL", "/bin/bash")]);
        let cmd = build(&["sh".into(), "-c".into(), "true".into()], &[], None, &penv).unwrap();
        assert_eq!(args(&cmd), ["sh", "-c", "true"]);
        let cmd = build(&["my-alias".into(), "it's".into()], &[], Some("p"), &penv).unwrap();
        assert_eq!(args(&cmd), ["/bin/bash", "-i", "-c", "my-alias 'it'\\''s'"]);
        let fish = ProcessEnv::from_pairs([("PATH", "/usr/bin"), ("SHELL", "/usr/bin/fish")]);
        let cmd = build(&["ll".into(), "a\\b".into()], &[], None, &fish).unwrap();
        assert_eq!(args(&cmd), ["/usr/bin/fish", "-i", "-c", "ll 'a\\\\b'"]);
        let cmd = build(&["it's".into()], &[], None, &penv).unwrap();
        assert_eq!(
            args(&cmd),
            ["/bin/bash", "-i", "-c", "'it'\\''s'"],
            "a word that needs quoting is quoted"
        );
        let no_shell = ProcessEnv::from_pairs([("PATH", "/usr/bin")]);
        let e = build(&["nope-not-here".into()], &[], None, &no_shell)
            .unwrap_err()
            .to_string();
        assert!(e.contains("command not found: nope-not-here"), "{e}");
    }

    #[test]
    fn environment_is_set_and_profile_vars_removed() {
        let penv = ProcessEnv::from_pairs([("PATH", "/usr/bin:/bin")]);
        let cmd = build(
            &["/bin/true".into()],
            &[("AWS_ACCESS_KEY_ID", "AKIA".into())],
            Some("p"),
            &penv,
        )
        .unwrap();
        let envs: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        for (k, v) in [
            ("AWS_PROFILE", None),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_ACCESS_KEY_ID", Some("AKIA")),
            ("AWSRUNAS_PROFILE", Some("p")),
        ] {
            assert!(
                envs.contains(&(k.to_string(), v.map(str::to_string))),
                "{k} in {envs:?}"
            );
        }
    }
}

//! Every shell syntax round-trips awkward values through that shell's own `eval`.
//! sh, bash and fish always run (scripts/test installs fish); pwsh and zsh run when present.

use aws_runas::cli::ShellKind;
use aws_runas::output::shell_lines;
use std::process::Command;

const AWKWARD: &[&str] = &[
    "it's",
    "a \"quoted\" word",
    "$HOME and ${PATH}",
    "back\\slash\\\\n",
    "100% !bang!",
    "two\nlines",
    "tab\there",
    "`date`",
];

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("-c")
        .arg("exit 0")
        .env_clear()
        .output()
        .is_ok_and(|o| o.status.success())
}

fn pairs() -> Vec<(&'static str, String)> {
    AWKWARD
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                ["V0", "V1", "V2", "V3", "V4", "V5", "V6", "V7"][i],
                v.to_string(),
            )
        })
        .collect()
}

/// Evaluates the lines in `shell`, then prints each variable NUL-terminated.
fn round_trip(program: &str, kind: ShellKind) -> Vec<String> {
    let lines = shell_lines(kind, &pairs(), &["GONE"]).unwrap();
    let script = match kind {
        ShellKind::Fish => format!(
            "{lines}\nfor v in V0 V1 V2 V3 V4 V5 V6 V7; printf '%s\\0' $$v; end; set -q GONE; and echo still-set"
        ),
        ShellKind::Pwsh => format!(
            "{lines}\nforeach ($v in 'V0','V1','V2','V3','V4','V5','V6','V7') {{ [Console]::Out.Write((Get-Item \"Env:$v\").Value + [char]0) }}"
        ),
        _ => format!(
            "{lines}\nfor v in V0 V1 V2 V3 V4 V5 V6 V7; do eval \"printf '%s\\\\0' \\\"\\${{$v}}\\\"\"; done; [ -n \"${{GONE+x}}\" ] && echo still-set"
        ),
    };
    let flag = if kind == ShellKind::Pwsh {
        "-Command"
    } else {
        "-c"
    };
    let out = Command::new(program)
        .args([flag, &script])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GONE", "x")
        .output()
        .unwrap();
    assert!(
        out.status.success() || kind != ShellKind::Pwsh,
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("still-set"), "{program} did not unset GONE");
    text.split('\0')
        .filter(|s| !s.is_empty() && *s != "\n")
        .map(str::to_string)
        .collect()
}

#[test]
fn values_round_trip_through_posix_shells() {
    for program in ["sh", "bash", "dash"] {
        if program == "dash" && !available("dash") {
            continue;
        }
        assert_eq!(round_trip(program, ShellKind::Sh), AWKWARD, "{program}");
    }
    if available("zsh") {
        assert_eq!(round_trip("zsh", ShellKind::Sh), AWKWARD, "zsh");
    }
}

#[test]
fn values_round_trip_through_fish() {
    #[allow(clippy::disallowed_methods)] // scripts/test installs fish; a bare cargo test says so
    let required = std::env::var("CI").as_deref() == Ok("true");
    if !available("fish") {
        assert!(!required, "fish is not installed; scripts/test installs it");
        eprintln!(
            "fish is not installed: the fish round trip did NOT run (scripts/test installs it)"
        );
        return;
    }
    assert_eq!(round_trip("fish", ShellKind::Fish), AWKWARD);
}

#[test]
fn values_round_trip_through_pwsh_when_present() {
    if !available("pwsh") {
        eprintln!("pwsh is not installed: the PowerShell round trip did NOT run");
        return;
    }
    assert_eq!(round_trip("pwsh", ShellKind::Pwsh), AWKWARD);
}

#[test]
fn cmd_refuses_what_it_cannot_carry() {
    let e = shell_lines(ShellKind::Cmd, &[("X", "two\nlines".into())], &[]).unwrap_err();
    assert!(e.contains("X") && e.contains("cmd.exe"), "{e}");
}

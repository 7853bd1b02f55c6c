//! What the user or a script reads: shell `export` lines, credential-process JSON, the expiry line.

use crate::cli::ShellKind;
use aws_runas_domain::{Credentials, Timestamp};

/// Quotes a value for a POSIX shell: single quotes, with `'` written as `'\''`.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The environment a command gets, in a fixed order.
pub fn env_pairs(creds: &Credentials, region: Option<&str>) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    if let Some(r) = region.filter(|r| !r.is_empty()) {
        pairs.push(("AWS_REGION", r.to_string()));
        pairs.push(("AWS_DEFAULT_REGION", r.to_string()));
    }
    pairs.push(("AWS_ACCESS_KEY_ID", creds.access_key_id().to_string()));
    pairs.push((
        "AWS_SECRET_ACCESS_KEY",
        creds.secret_access_key().expose().to_string(),
    ));
    if let Some(t) = creds.session_token() {
        pairs.push(("AWS_SESSION_TOKEN", t.expose().to_string()));
        pairs.push(("AWS_SECURITY_TOKEN", t.expose().to_string()));
    }
    pairs
}

/// The variables printed by `-O env`, in order, and the ones to unset.
pub fn env_assignments(
    creds: &Credentials,
    region: Option<&str>,
    profile: Option<&str>,
) -> (Vec<(&'static str, String)>, Vec<&'static str>) {
    let mut pairs = env_pairs(creds, region);
    if let Some(p) = profile {
        pairs.push(("AWSRUNAS_PROFILE", p.to_string()));
    }
    let unset = if creds.session_token().is_none() {
        vec!["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"]
    } else {
        vec![]
    };
    (pairs, unset)
}

/// Renders assignments in a shell's syntax; every value round-trips through that shell's `eval`.
///
/// # Errors
/// For `cmd`, a value it cannot carry (a newline, `"`, `%` or `!`), naming the variable.
pub fn shell_lines(
    shell: ShellKind,
    pairs: &[(&str, String)],
    unset: &[&str],
) -> Result<String, String> {
    let mut out = String::new();
    for (k, v) in pairs {
        match shell {
            ShellKind::Sh => out.push_str(&format!("export {k}={}\n", sh_quote(v))),
            ShellKind::Fish => out.push_str(&format!("set -gx {k} {};\n", fish_quote(v))),
            ShellKind::Pwsh => out.push_str(&format!("$Env:{k} = '{}'\n", v.replace('\'', "''"))),
            ShellKind::Cmd => {
                if v.contains(['\n', '\r', '"', '%', '!']) {
                    return Err(format!(
                        "the value of {k} cannot be written for cmd.exe (it holds a newline, \", % or !); use --shell pwsh"
                    ));
                }
                out.push_str(&format!("set \"{k}={v}\"\n"));
            }
        }
    }
    if !unset.is_empty() {
        match shell {
            ShellKind::Sh => out.push_str(&format!("unset {}\n", unset.join(" "))),
            ShellKind::Fish => out.push_str(&format!("set -e {};\n", unset.join(" "))),
            ShellKind::Pwsh => unset.iter().for_each(|k| {
                out.push_str(&format!(
                    "Remove-Item Env:{k} -ErrorAction SilentlyContinue\n"
                ))
            }),
            ShellKind::Cmd => unset
                .iter()
                .for_each(|k| out.push_str(&format!("set \"{k}=\"\n"))),
        }
    }
    Ok(out)
}

/// Quotes a value for fish: single quotes, with `\\` and `'` escaped.
pub fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The shell to write for when `--shell` is not given: fish when `$SHELL` is fish, `cmd` on
/// Windows without `$SHELL`, else POSIX sh.
pub fn default_shell(shell_var: Option<&str>, windows: bool) -> ShellKind {
    match shell_var {
        Some(s) if s.ends_with("/fish") || s == "fish" => ShellKind::Fish,
        Some(s)
            if s.ends_with("pwsh") || s.ends_with("pwsh.exe") || s.ends_with("powershell.exe") =>
        {
            ShellKind::Pwsh
        }
        Some(_) => ShellKind::Sh,
        None if windows => ShellKind::Cmd,
        None => ShellKind::Sh,
    }
}

/// `credential_process` JSON, keys in the order AWS documents, `Expiration` in RFC 3339 UTC.
pub fn credential_process_json(creds: &Credentials) -> String {
    let s = |v: &str| serde_json::to_string(v).expect("strings always serialise");
    let mut out = format!(
        "{{\"AccessKeyId\":{},\"SecretAccessKey\":{}",
        s(creds.access_key_id()),
        s(creds.secret_access_key().expose())
    );
    if let Some(t) = creds.session_token() {
        out.push_str(&format!(",\"SessionToken\":{}", s(t.expose())));
    }
    out.push_str(",\"Version\":1");
    if let Some(e) = creds.expiration() {
        out.push_str(&format!(",\"Expiration\":{}", s(&e.to_rfc3339())));
    }
    out.push('}');
    out
}

/// The `-e` line.
pub fn expiration_line(expiration: Option<Timestamp>, now: Timestamp) -> String {
    let Some(exp) = expiration else {
        return "credentials will not expire".to_string();
    };
    let when = exp.to_rfc3339().replace('T', " ").replace('Z', " UTC");
    let secs = exp.secs_since(now);
    if secs >= 0 {
        format!(
            "Credentials will expire on {when} ({} from now)",
            humanize(secs)
        )
    } else {
        format!("Credentials expired on {when} ({} ago)", humanize(-secs))
    }
}

fn humanize(secs: i64) -> String {
    let (n, unit) = match secs {
        s if s < 60 => (s, "second"),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;

    fn creds(token: bool) -> Credentials {
        Credentials::new(
            "ASIA1",
            Secret::new("se'cr\"et$"),
            token.then(|| Secret::new("tok")),
            Some(Timestamp::from_unix(1_714_568_400)),
        )
    }

    fn posix_exports(c: &Credentials, region: Option<&str>, profile: Option<&str>) -> String {
        let (pairs, unset) = env_assignments(c, region, profile);
        shell_lines(ShellKind::Sh, &pairs, &unset).unwrap()
    }

    #[test]
    fn other_shells() {
        let pairs = vec![("A", "it's \\ $x %p% !b! \"q\"".to_string())];
        assert_eq!(
            shell_lines(ShellKind::Fish, &pairs, &["T"]).unwrap(),
            "set -gx A 'it\\'s \\\\ $x %p% !b! \"q\"';\nset -e T;\n"
        );
        assert_eq!(
            shell_lines(ShellKind::Pwsh, &pairs, &[]).unwrap(),
            "$Env:A = 'it''s \\ $x %p% !b! \"q\"'\n"
        );
        let e = shell_lines(ShellKind::Cmd, &pairs, &[]).unwrap_err();
        assert!(e.contains("A") && e.contains("pwsh"), "{e}");
        assert_eq!(
            shell_lines(ShellKind::Cmd, &[("B", "plain/+=".into())], &["T"]).unwrap(),
            "set \"B=plain/+=\"\nset \"T=\"\n"
        );
        assert_eq!(default_shell(Some("/usr/bin/fish"), false), ShellKind::Fish);
        assert_eq!(default_shell(None, true), ShellKind::Cmd);
        assert_eq!(default_shell(Some("/bin/bash"), true), ShellKind::Sh);
    }

    #[test]
    fn exports_are_quoted_and_ordered() {
        let out = posix_exports(&creds(true), Some("us-east-1"), Some("my 'profile'"));
        assert_eq!(
            out,
            "export AWS_REGION='us-east-1'\nexport AWS_DEFAULT_REGION='us-east-1'\nexport AWS_ACCESS_KEY_ID='ASIA1'\n\
             export AWS_SECRET_ACCESS_KEY='se'\\''cr\"et$'\nexport AWS_SESSION_TOKEN='tok'\nexport AWS_SECURITY_TOKEN='tok'\n\
             export AWSRUNAS_PROFILE='my '\\''profile'\\'''\n"
        );
        let out = posix_exports(&creds(false), None, None);
        assert!(
            out.ends_with("unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN\n"),
            "{out}"
        );
        assert!(!out.contains("AWS_REGION"));
    }

    #[test]
    fn json_has_aws_key_order() {
        assert_eq!(
            credential_process_json(&creds(true)),
            r#"{"AccessKeyId":"ASIA1","SecretAccessKey":"se'cr\"et$","SessionToken":"tok","Version":1,"Expiration":"2024-05-01T13:00:00Z"}"#
        );
        let no_token = Credentials::new("AKIA", Secret::new("s"), None, None);
        assert_eq!(
            credential_process_json(&no_token),
            r#"{"AccessKeyId":"AKIA","SecretAccessKey":"s","Version":1}"#
        );
    }

    #[test]
    fn expiry_lines() {
        let now = Timestamp::from_unix(1_714_568_400 - 3540);
        assert_eq!(
            expiration_line(Some(Timestamp::from_unix(1_714_568_400)), now),
            "Credentials will expire on 2024-05-01 13:00:00 UTC (59 minutes from now)"
        );
        assert!(
            expiration_line(Some(Timestamp::from_unix(0)), now)
                .starts_with("Credentials expired on 1970-01-01")
        );
        assert_eq!(expiration_line(None, now), "credentials will not expire");
    }
}

//! What the user or a script reads: shell `export` lines, credential-process JSON, the expiry line.

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

/// POSIX `export` lines; `AWSRUNAS_PROFILE` last; stale token variables unset for long-term keys.
pub fn posix_exports(creds: &Credentials, region: Option<&str>, profile: Option<&str>) -> String {
    let mut out = String::new();
    for (k, v) in env_pairs(creds, region) {
        out.push_str(&format!("export {k}={}\n", sh_quote(&v)));
    }
    if creds.session_token().is_none() {
        out.push_str("unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN\n");
    }
    if let Some(p) = profile {
        out.push_str(&format!("export AWSRUNAS_PROFILE={}\n", sh_quote(p)));
    }
    out
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

//! Parses what a `credential_process` prints: the AWS credential-process JSON, Version 1.
//!
//! Every message here names the problem and never quotes the output, which holds secrets.
//! That is also why `serde_json` errors are reduced to a line and column: their text can quote a
//! value (`invalid type: string "…"`).

use aws_runas_domain::{Credentials, Secret, Timestamp};
use serde_json::{Map, Value};

/// Turns the command's stdout into credentials, or says what is wrong with it.
pub(crate) fn parse(stdout: &[u8]) -> Result<Credentials, String> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Err("printed nothing on stdout".to_string());
    }
    let value: Value = serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "output is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(mut map) = value else {
        return Err("output is not a JSON object".to_string());
    };
    match map.get("Version") {
        None => return Err("output has no `Version`".to_string()),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        Some(Value::Number(n)) => {
            return Err(format!("output has unsupported `Version` {n} (expected 1)"));
        }
        Some(_) => return Err("output `Version` is not a number (expected 1)".to_string()),
    }
    let access_key_id = required(&mut map, "AccessKeyId")?;
    let secret_access_key = Secret::new(required(&mut map, "SecretAccessKey")?);
    let session_token = optional(&mut map, "SessionToken")?.map(Secret::new);
    let expiration = match optional(&mut map, "Expiration")? {
        None => None,
        Some(text) => Some(
            Timestamp::parse_rfc3339(&text)
                .map_err(|_| "output `Expiration` is not an RFC 3339 timestamp".to_string())?,
        ),
    };
    Ok(Credentials::new(
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
    ))
}

/// Takes a non-empty string field out of the object (moved, not copied, since it may be a secret).
fn required(map: &mut Map<String, Value>, key: &str) -> Result<String, String> {
    match optional(map, key)? {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(format!("output has no `{key}`")),
    }
}

/// Takes an optional string field out of the object; `null` and `""` count as absent.
fn optional(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("output `{key}` is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-FAKE-SECRET";

    fn check_err(stdout: &str, expected: &str) {
        let err = parse(stdout.as_bytes()).expect_err(stdout);
        assert_eq!(err, expected);
        assert!(!err.contains(SECRET), "{err}");
    }

    #[test]
    fn parses_full_output() {
        let out = format!(
            r#"{{"Version":1,"AccessKeyId":"ASIAFAKE","SecretAccessKey":"{SECRET}","SessionToken":"tok","Expiration":"2024-05-01T12:00:00Z"}}"#
        );
        let creds = parse(out.as_bytes()).unwrap();
        assert_eq!(creds.access_key_id(), "ASIAFAKE");
        assert_eq!(creds.secret_access_key().expose(), SECRET);
        assert_eq!(creds.session_token().map(Secret::expose), Some("tok"));
        assert_eq!(
            creds.expiration(),
            Some(Timestamp::from_unix(1_714_564_800))
        );
    }

    #[test]
    fn token_and_expiration_are_optional() {
        let out = format!(
            "\n  {{\"Version\": 1, \"AccessKeyId\": \"AKIAFAKE\", \"SecretAccessKey\": \"{SECRET}\", \"SessionToken\": null, \"Expiration\": \"\"}}\n"
        );
        let creds = parse(out.as_bytes()).unwrap();
        assert!(creds.is_long_term());
        assert_eq!(creds.expiration(), None);
    }

    #[test]
    fn names_each_problem_without_quoting_output() {
        check_err("", "printed nothing on stdout");
        check_err("  \n", "printed nothing on stdout");
        check_err(
            &format!("{SECRET}\n"),
            "output is not valid JSON (line 1, column 1)",
        );
        check_err(
            &format!(r#"{{"Version":1,"SecretAccessKey":"{SECRET}"#),
            "output is not valid JSON (line 1, column 65)",
        );
        check_err(&format!(r#"["{SECRET}"]"#), "output is not a JSON object");
        check_err(
            &format!(r#"{{"AccessKeyId":"A","SecretAccessKey":"{SECRET}"}}"#),
            "output has no `Version`",
        );
        check_err(
            &format!(r#"{{"Version":2,"AccessKeyId":"A","SecretAccessKey":"{SECRET}"}}"#),
            "output has unsupported `Version` 2 (expected 1)",
        );
        check_err(
            &format!(r#"{{"Version":"{SECRET}","AccessKeyId":"A","SecretAccessKey":"x"}}"#),
            "output `Version` is not a number (expected 1)",
        );
        check_err(
            &format!(r#"{{"Version":1,"SecretAccessKey":"{SECRET}"}}"#),
            "output has no `AccessKeyId`",
        );
        check_err(
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":""}"#,
            "output has no `SecretAccessKey`",
        );
        check_err(
            &format!(
                r#"{{"Version":1,"AccessKeyId":"A","SecretAccessKey":"{SECRET}","SessionToken":7}}"#
            ),
            "output `SessionToken` is not a string",
        );
        check_err(
            &format!(
                r#"{{"Version":1,"AccessKeyId":"A","SecretAccessKey":"{SECRET}","Expiration":"tomorrow"}}"#
            ),
            "output `Expiration` is not an RFC 3339 timestamp",
        );
        check_err(
            &format!(r#"{{"Version":1,"AccessKeyId":"A","SecretAccessKey":{{"v":"{SECRET}"}}}}"#),
            "output `SecretAccessKey` is not a string",
        );
    }
}

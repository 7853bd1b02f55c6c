//! A small emulator of AWS's sign-in federation endpoint, on 127.0.0.1.
//!
//! Written from AWS's public documentation, "Enable custom identity broker access to the AWS
//! console" (IAM User Guide): `GET /federation?Action=getSigninToken&Session=<JSON>` with an
//! optional `SessionDuration` (900 to 43200 seconds) answers `{"SigninToken": "<token>"}`; the
//! `Session` JSON holds `sessionId`, `sessionKey` and `sessionToken` of temporary credentials.
//! `Action=login` with `SigninToken`, `Issuer` and `Destination` redirects to the destination.
//! Anything else, or a malformed request, is HTTP 400.
//! Every request is recorded so tests can check what was sent.

use crate::http::{form_decode, read_head, write_message};
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request to the emulator: its path and its decoded query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninRequest {
    /// The path, e.g. `/federation`.
    pub path: String,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The HTTP status the emulator answered with.
    pub status: u16,
}

impl SigninRequest {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct State {
    requests: Vec<SigninRequest>,
    issued: Vec<String>,
}

/// The emulator; it serves until the test process ends.
#[derive(Debug, Clone)]
pub struct SigninEmulator {
    url: String,
    state: Arc<Mutex<State>>,
}

impl SigninEmulator {
    /// Starts the emulator on a free port of 127.0.0.1.
    ///
    /// # Panics
    /// If no port can be bound.
    pub fn start() -> SigninEmulator {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot bind the sign-in emulator: {e}"));
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .unwrap_or_else(|e| panic!("cannot read the emulator's address: {e}"))
        );
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        SigninEmulator { url, state }
    }

    /// The base URL, `http://127.0.0.1:<port>`, to use as `AWS_ENDPOINT_URL_SIGNIN`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<SigninRequest> {
        self.state
            .lock()
            .map(|s| s.requests.clone())
            .unwrap_or_default()
    }

    /// The sign-in tokens issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.issued.clone())
            .unwrap_or_default()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut writer = write_half;
    let mut reader = BufReader::new(stream);
    let mut wire = Vec::new();
    while let Ok(Some(head)) = read_head(&mut reader, &mut wire) {
        let target = head.target().to_string();
        let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
        let query = form_decode(query);
        let (status, headers, body) = answer(head.method(), path, &query, state);
        if let Ok(mut s) = state.lock() {
            s.requests.push(SigninRequest {
                path: path.to_string(),
                query,
                status,
            });
        }
        let reason = match status {
            200 => "OK",
            302 => "Found",
            _ => "Bad Request",
        };
        if write_message(
            &mut writer,
            &format!("HTTP/1.1 {status} {reason}"),
            &headers,
            body.as_bytes(),
            Some(body.len()),
        )
        .is_err()
            || head.wants_close()
        {
            return;
        }
    }
}

type Answer = (u16, Vec<(String, String)>, String);

fn bad(why: &str) -> Answer {
    (
        400,
        vec![("Content-Type".into(), "text/plain".into())],
        format!("Bad Request: {why}"),
    )
}

fn answer(method: &str, path: &str, query: &[(String, String)], state: &Mutex<State>) -> Answer {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if method != "GET" || path != "/federation" {
        return bad("unknown path");
    }
    match param("Action") {
        Some("getSigninToken") => {
            if let Some(d) = param("SessionDuration") {
                match d.parse::<i64>() {
                    Ok(secs) if (900..=43_200).contains(&secs) => {}
                    _ => return bad("SessionDuration out of range"),
                }
            }
            let Some(session) = param("Session") else {
                return bad("no Session");
            };
            for field in ["sessionId", "sessionKey", "sessionToken"] {
                if json_string(session, field).is_none_or(str::is_empty) {
                    return bad("Session lacks a field");
                }
            }
            let Ok(mut s) = state.lock() else {
                return bad("emulator state");
            };
            let token = format!("emulated-signin-token-{}", s.issued.len() + 1);
            s.issued.push(token.clone());
            (
                200,
                vec![("Content-Type".into(), "application/json".into())],
                format!("{{\"SigninToken\":\"{token}\"}}"),
            )
        }
        Some("login") => {
            let issued = state.lock().map(|s| s.issued.clone()).unwrap_or_default();
            match (param("SigninToken"), param("Destination")) {
                (Some(t), Some(d)) if issued.iter().any(|i| i == t) => {
                    (302, vec![("Location".into(), d.to_string())], String::new())
                }
                _ => bad("unknown SigninToken or no Destination"),
            }
        }
        _ => bad("unknown Action"),
    }
}

/// The string value of `"field": "<value>"` in a flat JSON object without escapes in the value
/// (enough for the credentials the emulator is sent).
fn json_string<'a>(json: &'a str, field: &str) -> Option<&'a str> {
    let key = format!("\"{field}\"");
    let rest = &json[json.find(&key)? + key.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_flat_json_strings() {
        let j = r#"{"sessionId":"A","sessionKey": "b/c","sessionToken":""}"#;
        assert_eq!(json_string(j, "sessionId"), Some("A"));
        assert_eq!(json_string(j, "sessionKey"), Some("b/c"));
        assert_eq!(json_string(j, "sessionToken"), Some(""));
        assert_eq!(json_string(j, "other"), None);
    }
}

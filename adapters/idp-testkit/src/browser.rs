//! A fake browser for OIDC logins that finish in the user's browser: it signs in at the
//! testkit's [`MockOidc`](crate::MockOidc) login page and follows the provider's redirect to the
//! adapter's loopback listener, as a user would; no real browser is ever started.

use aws_runas_domain::ports::browser::BrowserOpener;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A [`BrowserOpener`] that opens the mock provider's login page, posts its form with a user
/// name and password, then delivers the provider's redirect to where it points (the adapter's listener).
///
/// It speaks plain HTTP to 127.0.0.1 only, on its own thread, and records every URL it was asked
/// to open.
#[derive(Debug)]
pub struct FakeBrowser {
    username_field: String,
    password_field: String,
    username: String,
    password: String,
    opened: Mutex<Vec<String>>,
}

impl FakeBrowser {
    /// A browser whose user types `username` and `password` into the fields of those names.
    pub fn new(
        (username_field, username): (&str, &str),
        (password_field, password): (&str, &str),
    ) -> FakeBrowser {
        FakeBrowser {
            username_field: username_field.to_string(),
            password_field: password_field.to_string(),
            username: username.to_string(),
            password: password.to_string(),
            opened: Mutex::default(),
        }
    }

    /// Every URL opened, in order.
    pub fn opened(&self) -> Vec<String> {
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl BrowserOpener for FakeBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(url.to_string());
        // The login form posts back to the authorization URL, its query kept.
        let form = format!(
            "{}={}&{}={}",
            encode(&self.username_field),
            encode(&self.username),
            encode(&self.password_field),
            encode(&self.password)
        );
        let url = url.to_string();
        std::thread::spawn(move || {
            // The login page first, as a browser shows it; then the form.
            if request("GET", &url, None).is_none() {
                return;
            }
            if let Some(location) = request("POST", &url, Some(&form))
                .and_then(|(status, location)| (300..400).contains(&status).then_some(location))
                .flatten()
            {
                let _ = request("GET", &location, None);
            }
        });
        Ok(())
    }
}

/// Sends one request to a `http://127.0.0.1:<port>` URL; the status and the `Location` header.
fn request(method: &str, url: &str, form: Option<&str>) -> Option<(u16, Option<String>)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return None;
    }
    let authority = authority.replacen("localhost", "127.0.0.1", 1);
    let authority = if authority.contains(':') {
        authority
    } else {
        format!("{authority}:80")
    };
    let mut stream = TcpStream::connect(&authority).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = form.unwrap_or_default();
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    if form.is_some() {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let location = answer
        .split("\r\n\r\n")
        .next()?
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.trim().to_string());
    Some((status, location))
}

/// Percent-encodes a form value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

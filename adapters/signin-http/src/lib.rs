//! A `ConsoleSignin` over HTTPS with reqwest.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use aws_runas_domain::ports::release::{ReleaseCheck, ReleaseError};
use aws_runas_domain::ports::server_time::{ServerTime, ServerTimeError};
use aws_runas_domain::ports::signin::{ConsoleSignin, SigninError, SigninTokenRequest};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// How to reach the sign-in endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninSettings {
    /// The limit on the whole request.
    pub timeout: Duration,
    /// The proxy for the request (`http://host:port`, a value without a scheme means `http://`).
    pub proxy: Option<String>,
    /// Hosts that bypass the proxy, comma-separated as in `NO_PROXY`.
    pub no_proxy: Option<String>,
    /// A PEM file of extra trusted root certificates.
    pub ca_bundle: Option<PathBuf>,
}

/// The sign-in federation endpoint over HTTPS. The HTTP client is built on the first call.
#[derive(Debug)]
pub struct HttpSignin {
    settings: SigninSettings,
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl HttpSignin {
    /// An adapter for these settings. Cheap: no I/O.
    pub fn new(settings: SigninSettings) -> Self {
        HttpSignin {
            settings,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<reqwest::Client, String> {
        self.client.get_or_init(|| build(&self.settings)).clone()
    }
}

fn build(settings: &SigninSettings) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(concat!("aws-runas/", env!("CARGO_PKG_VERSION")))
        // Only the proxy handed in counts: the environment is read by the app.
        .no_proxy();
    if let Some(proxy) = settings
        .proxy
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let url = if proxy.contains("://") {
            proxy.to_string()
        } else {
            format!("http://{proxy}")
        };
        let no_proxy = settings
            .no_proxy
            .as_deref()
            .and_then(reqwest::NoProxy::from_string);
        let proxy = reqwest::Proxy::all(url.as_str())
            .map_err(|e| format!("bad proxy setting: {}", e.without_url()))?
            .no_proxy(no_proxy);
        builder = builder.proxy(proxy);
    }
    if let Some(path) = &settings.ca_bundle {
        builder = builder.tls_certs_merge(read_ca_bundle(path)?);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {}", e.without_url()))
}

fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let bad = |detail: String| format!("CA bundle {}: {detail}", path.display());
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let ders = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not a PEM certificate file: {e}")))?;
    if ders.is_empty() {
        return Err(bad("no certificate found".to_string()));
    }
    ders.iter()
        .map(|der| {
            reqwest::Certificate::from_der(der).map_err(|e| bad(e.without_url().to_string()))
        })
        .collect()
}

/// The `Session` parameter: the credentials as the JSON object the endpoint expects.
fn session_json(creds: &Credentials) -> Result<String, String> {
    let token = creds.session_token().ok_or(
        "the credentials are long-term keys; the sign-in endpoint takes only temporary credentials",
    )?;
    Ok(serde_json::json!({
        "sessionId": creds.access_key_id(),
        "sessionKey": creds.secret_access_key().expose(),
        "sessionToken": token.expose(),
    })
    .to_string())
}

#[async_trait::async_trait]
impl ConsoleSignin for HttpSignin {
    async fn signin_token(
        &self,
        creds: &Credentials,
        req: &SigninTokenRequest,
    ) -> Result<Secret, SigninError> {
        let endpoint = req.endpoint.clone();
        let unexpected = |message: String| SigninError::Unexpected {
            endpoint: endpoint.clone(),
            message,
        };
        let session = Secret::new(session_json(creds).map_err(unexpected)?);
        let mut url =
            url::Url::parse(&req.endpoint).map_err(|e| unexpected(format!("not a URL: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("Action", "getSigninToken");
            if let Some(secs) = req.session_duration_secs {
                query.append_pair("SessionDuration", &secs.to_string());
            }
            query.append_pair("Session", session.expose());
        }
        let url = Secret::new(String::from(url));
        let client = self.client().map_err(unexpected)?;
        let response = client
            .get(url.expose())
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| SigninError::Network {
                endpoint: endpoint.clone(),
                message: network_message(&e),
            })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| SigninError::Network {
            endpoint: endpoint.clone(),
            message: network_message(&e),
        })?;
        if !(200..300).contains(&status) {
            return Err(SigninError::Rejected {
                endpoint: endpoint.clone(),
                status,
                detail: excerpt(&body),
            });
        }
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| unexpected(format!("HTTP {status} with an answer that is not JSON")))?;
        match value.get("SigninToken").and_then(serde_json::Value::as_str) {
            Some(t) if !t.is_empty() => Ok(Secret::new(t)),
            _ => Err(unexpected("the answer holds no SigninToken".to_string())),
        }
    }
}

#[async_trait::async_trait]
impl ServerTime for HttpSignin {
    async fn server_time(&self, url: &str) -> Result<Timestamp, ServerTimeError> {
        let fail = |message: String| ServerTimeError {
            url: url.to_string(),
            message,
        };
        let client = self.client().map_err(fail)?;
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|e| fail(network_message(&e)))?;
        let date = response
            .headers()
            .get("date")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| fail("the answer has no Date header".to_string()))?;
        parse_http_date(date).ok_or_else(|| fail(format!("unreadable Date header {date:?}")))
    }
}

#[async_trait::async_trait]
impl ReleaseCheck for HttpSignin {
    async fn latest_location(&self, url: &str) -> Result<(u16, Option<String>), ReleaseError> {
        let fail = |message: String| ReleaseError {
            url: url.to_string(),
            message,
        };
        let client = self.client().map_err(fail)?;
        let response = client
            .head(url)
            .send()
            .await
            .map_err(|e| fail(network_message(&e)))?;
        let status = response.status();
        let location = status
            .is_redirection()
            .then(|| response.headers().get("location"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((status.as_u16(), location))
    }
}

/// An HTTP date in the IMF-fixdate form every current server sends (RFC 9110 §5.6.7):
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(text: &str) -> Option<Timestamp> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let words: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = words.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    let (day, year): (u32, u32) = (day.parse().ok()?, year.parse().ok()?);
    Timestamp::parse_rfc3339(&format!("{year:04}-{month:02}-{day:02}T{time}Z")).ok()
}

/// reqwest's error without the URL (which holds the credentials).
fn network_message(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let part = s.to_string();
        if !part.is_empty() && !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// `: ` and the first line of an error answer, short and printable; empty when there is none.
/// Error answers carry no credentials (the request's never echo back).
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(160)
        .collect();
    if line.is_empty() {
        String::new()
    } else {
        format!(": {line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_is_the_documented_json() {
        let creds = Credentials::new("ASIAX", Secret::new("key"), Some(Secret::new("tok")), None);
        let v: serde_json::Value = serde_json::from_str(&session_json(&creds).unwrap()).unwrap();
        assert_eq!(v["sessionId"], "ASIAX");
        assert_eq!(v["sessionKey"], "key");
        assert_eq!(v["sessionToken"], "tok");
        let long = Credentials::new("AKIAX", Secret::new("key"), None, None);
        assert!(session_json(&long).unwrap_err().contains("long-term"));
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Timestamp::from_unix(784_111_777))
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt(b""), "");
        assert_eq!(excerpt(b"\n  bad request \nmore"), ": bad request");
        assert_eq!(excerpt(&[b'x'; 500]).len(), 162);
    }
}

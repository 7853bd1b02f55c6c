//! Talking JSON to Okta: one request, one JSON answer, and Okta's error objects.
//!
//! Both APIs answer errors with JSON bodies and 4xx statuses (the authn API with
//! `{"errorCode", "errorSummary", "errorCauses"}`, the IDX API with its usual response carrying
//! `messages`), so a 4xx with a JSON body is an answer to read, not a failure of the transport.
//! A 5xx, or an answer that is not a JSON object, is a failure naming the host and the step.

use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::{HttpClient, HttpRequest, display_url};
use serde_json::Value;
use std::time::Duration;

/// The media type of the authn API.
pub(crate) const JSON: &str = "application/json";

/// The media type of the IDX API, with the version the sign-in widget asks for.
pub(crate) const ION: &str = "application/ion+json; okta-version=1.0.0";

/// The shortest pause between two polls, whatever the server says: a `Retry-After: 0` repeated
/// forever must not turn into a busy loop.
pub(crate) const MIN_POLL: Duration = Duration::from_millis(200);

/// One JSON answer.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The URL asked, for messages.
    pub(crate) url: String,
    /// The body, a JSON object.
    pub(crate) value: Value,
    /// `Retry-After`, when the server sent one in seconds.
    pub(crate) retry_after: Option<Duration>,
}

impl Reply {
    /// The authn API's error object, when the answer is one.
    pub(crate) fn api_error(&self) -> Option<ApiError> {
        let code = self.value.get("errorCode").and_then(Value::as_str)?;
        let summary = text(&self.value, "errorSummary").unwrap_or_default();
        let causes = self
            .value
            .get("errorCauses")
            .and_then(Value::as_array)
            .map(|causes| {
                causes
                    .iter()
                    .filter_map(|c| text(c, "errorSummary"))
                    .filter(|c| *c != summary)
                    .collect()
            })
            .unwrap_or_default();
        Some(ApiError {
            status: self.status,
            code: code.to_string(),
            summary,
            causes,
        })
    }

    /// The pause before the next poll: `Retry-After` when sent, else `default`; never less than
    /// [`MIN_POLL`].
    pub(crate) fn pause(&self, default: Option<Duration>) -> Option<Duration> {
        self.retry_after.or(default).map(|d| d.max(MIN_POLL))
    }
}

/// An error object of the authn API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) summary: String,
    pub(crate) causes: Vec<String>,
}

impl ApiError {
    /// `summary (code): cause; cause`, for messages.
    pub(crate) fn describe(&self) -> String {
        let mut out = format!("{} ({})", self.summary, self.code);
        if !self.causes.is_empty() {
            out.push_str(": ");
            out.push_str(&self.causes.join("; "));
        }
        out
    }
}

/// A string field of a JSON object, trimmed, when present and not empty.
pub(crate) fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// The value at a `/`-separated path of object keys (`_links/next/href`).
pub(crate) fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/')
        .try_fold(value, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

/// The string at a path, trimmed and not empty.
pub(crate) fn text_at(value: &Value, path: &str) -> Option<String> {
    match at(value, path)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Sends one request (no redirect followed) and reads the JSON object it answers.
///
/// # Errors
/// [`IdpError::unavailable`] for a network failure, a 5xx, or a 4xx that is not JSON (reported
/// with its status); [`IdpError::unexpected_page`] for a success that is not a JSON object.
pub(crate) async fn send_json(http: &HttpClient, request: HttpRequest) -> Result<Reply, IdpError> {
    let response = http.send(request).await?;
    if response.status() >= 500 {
        return Err(response.status_error().into());
    }
    let retry_after = response.header("retry-after").and_then(parse_retry_after);
    match serde_json::from_str::<Value>(response.body()) {
        Ok(value @ Value::Object(_)) => Ok(Reply {
            status: response.status(),
            url: response.url().to_string(),
            value,
            retry_after,
        }),
        _ if !response.is_success() => Err(response.status_error().into()),
        _ => Err(response.unexpected_page().into()),
    }
}

/// `Retry-After` in seconds (decimals accepted); an HTTP date is ignored.
fn parse_retry_after(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// The origin (`scheme://host[:port]`) of a URL, where Okta's APIs live.
///
/// # Errors
/// A configuration error ([`IdpError::configuration`]) for a URL without a host.
pub(crate) fn origin(url: &str) -> Result<String, IdpError> {
    let parsed = url::Url::parse(url).map_err(|e| {
        IdpError::configuration(format!("invalid okta url {}: {e}", display_url(url)))
    })?;
    match parsed.origin() {
        url::Origin::Tuple(..) => Ok(parsed.origin().ascii_serialization()),
        url::Origin::Opaque(_) => Err(IdpError::configuration(format!(
            "invalid okta url {}: no host",
            display_url(url)
        ))),
    }
}

/// `url` with `name=value` added to its query, keeping the query it already has.
///
/// # Errors
/// A configuration error ([`IdpError::configuration`]) for a URL that does not parse.
pub(crate) fn with_query(url: &str, name: &str, value: &str) -> Result<String, IdpError> {
    let mut parsed = url::Url::parse(url).map_err(|e| {
        IdpError::configuration(format!("invalid okta url {}: {e}", display_url(url)))
    })?;
    parsed.query_pairs_mut().append_pair(name, value);
    Ok(parsed.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;
    use serde_json::json;

    #[test]
    fn api_errors_are_described_with_their_causes() {
        let reply = Reply {
            status: 403,
            url: "https://example.okta.com/api/v1/authn/factors/x/verify".into(),
            value: json!({
                "errorCode": "E0000068",
                "errorSummary": "Invalid Passcode/Answer",
                "errorCauses": [{"errorSummary": "Your passcode doesn't match our records. Please try again."}]
            }),
            retry_after: None,
        };
        let e = reply.api_error().unwrap();
        assert_eq!(e.code, "E0000068");
        assert_eq!(
            e.describe(),
            "Invalid Passcode/Answer (E0000068): Your passcode doesn't match our records. Please try again."
        );
        let ok = Reply {
            value: json!({"status": "SUCCESS"}),
            ..reply
        };
        assert!(ok.api_error().is_none());
    }

    #[test]
    fn pauses_follow_retry_after_within_bounds() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        let r = Reply {
            status: 200,
            url: String::new(),
            value: json!({}),
            retry_after: Some(Duration::ZERO),
        };
        assert_eq!(r.pause(None), Some(MIN_POLL));
        let r = Reply {
            retry_after: None,
            ..r
        };
        assert_eq!(r.pause(None), None);
        assert_eq!(
            r.pause(Some(Duration::from_secs(4))),
            Some(Duration::from_secs(4))
        );
    }

    #[test]
    fn paths_and_urls() {
        let v = json!({"_links": {"next": {"href": " https://h/x "}}, "n": 42, "e": ""});
        assert_eq!(
            text_at(&v, "_links/next/href").as_deref(),
            Some("https://h/x")
        );
        assert_eq!(text_at(&v, "n").as_deref(), Some("42"));
        assert_eq!(text_at(&v, "e"), None);
        assert_eq!(text_at(&v, "_links/prev/href"), None);
        assert_eq!(
            origin("https://Example.okta.com:8443/home/amazon_aws/0oa/272?x=1").unwrap(),
            "https://example.okta.com:8443"
        );
        assert_eq!(
            origin("nope").unwrap_err().kind(),
            IdpErrorKind::Configuration
        );
        assert_eq!(
            with_query(
                "https://example.okta.com/home/amazon_aws/0oa/272?fromHome=true",
                "sessionToken",
                "a+b"
            )
            .unwrap(),
            "https://example.okta.com/home/amazon_aws/0oa/272?fromHome=true&sessionToken=a%2Bb"
        );
    }
}

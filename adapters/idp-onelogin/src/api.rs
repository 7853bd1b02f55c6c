//! Talking JSON to OneLogin's API: one request, one JSON answer, OneLogin's error messages, and
//! the OAuth2 client-credentials token every later call carries.
//!
//! OneLogin answers its errors with JSON and a 4xx status: API version 2 with
//! `{"statusCode", "name", "message"}`, version 1 with `{"status": {"error", "code", "type",
//! "message"}}`. A 4xx with a JSON body is an answer to read; a 5xx, or an answer that is not
//! JSON, is a failure naming the host and the step.

use crate::settings::OneLoginSettings;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::{HttpClient, HttpRequest, LoginAnswers};
use serde_json::Value;

const STEP_TOKEN: &str = "asking onelogin for an api access token";

/// One JSON answer.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The body, a JSON object or array.
    pub(crate) value: Value,
}

impl Reply {
    /// Whether the status is 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// OneLogin's message: `message` (API v2), else `status.message` (API v1), else `name`.
    pub(crate) fn message(&self) -> String {
        [
            self.value.get("message"),
            self.value.get("status").and_then(|s| s.get("message")),
            self.value.get("name"),
        ]
        .into_iter()
        .flatten()
        .find_map(|v| v.as_str().map(str::trim).filter(|s| !s.is_empty()))
        .unwrap_or_default()
        .to_string()
    }
}

/// A string (or number, written out) at `key`, trimmed and not empty.
pub(crate) fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Sends one request (no redirect followed) and reads the JSON it answers.
///
/// # Errors
/// [`IdpError::unavailable`] for a network failure, a 5xx, or a 4xx that is not JSON;
/// [`IdpError::unexpected_page`] for a success that is not JSON.
pub(crate) async fn send_json(http: &HttpClient, request: HttpRequest) -> Result<Reply, IdpError> {
    let response = http
        .send(request.header("Accept", "application/json"))
        .await?;
    if response.status() >= 500 {
        return Err(response.status_error().into());
    }
    match serde_json::from_str::<Value>(response.body()) {
        Ok(value @ (Value::Object(_) | Value::Array(_))) => Ok(Reply {
            status: response.status(),
            value,
        }),
        _ if !response.is_success() => Err(response.status_error().into()),
        _ => Err(response.unexpected_page().into()),
    }
}

/// A bearer token of OneLogin's API, as the `Authorization` value of later calls.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken(Secret);

impl AccessToken {
    pub(crate) fn header(&self) -> &str {
        self.0.expose()
    }
}

/// `POST <api>/auth/oauth2/v2/token` with the API credentials of the URL's `token` parameter
/// (HTTP Basic) and `{"grant_type": "client_credentials"}`.
///
/// # Errors
/// [`IdpError::configuration`] when OneLogin refuses the credentials (quoting its message);
/// as [`send_json`]; [`IdpError::unexpected_page`] for an answer without `access_token`.
pub(crate) async fn access_token(
    http: &HttpClient,
    settings: &OneLoginSettings,
    answers: &LoginAnswers,
) -> Result<AccessToken, IdpError> {
    let url = format!("{}/auth/oauth2/v2/token", settings.api());
    let reply = send_json(
        http,
        HttpRequest::post(&url)
            .header("Authorization", settings.basic_auth().expose())
            .json(r#"{"grant_type":"client_credentials"}"#)
            .step(STEP_TOKEN),
    )
    .await?;
    if !reply.is_success() {
        return Err(IdpError::configuration(format!(
            "onelogin refused the api credentials in the `token` parameter of the url (status {}){}; check the client id and secret of the API credential and that it has at least the Authentication Only scope",
            reply.status,
            answers.quote(&reply.message())
        ))
        .at_step(STEP_TOKEN));
    }
    let token = text(&reply.value, "access_token").ok_or_else(|| {
        IdpError::unexpected_page(format!(
            "onelogin answered the api token request at {url} without an access_token"
        ))
        .at_step(STEP_TOKEN)
    })?;
    // OneLogin says `bearer`; the scheme is case-insensitive, `Bearer` is its usual spelling.
    Ok(AccessToken(Secret::new(format!("Bearer {token}"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_of_both_api_versions_are_read() {
        let v2 = Reply {
            status: 401,
            value: json!({"statusCode": 401, "name": "Unauthorized", "message": " Authentication Failed: Invalid user credentials "}),
        };
        assert_eq!(
            v2.message(),
            "Authentication Failed: Invalid user credentials"
        );
        let v1 = Reply {
            status: 401,
            value: json!({"status": {"error": true, "code": 401, "type": "Unauthorized", "message": "Failed authentication with this factor"}}),
        };
        assert_eq!(v1.message(), "Failed authentication with this factor");
        let named = Reply {
            status: 400,
            value: json!({"statusCode": 400, "name": "BadRequest"}),
        };
        assert_eq!(named.message(), "BadRequest");
        assert!(!named.is_success());
        assert_eq!(
            text(&json!({"id": 88888888}), "id").as_deref(),
            Some("88888888")
        );
        assert_eq!(text(&json!({"id": " "}), "id"), None);
    }
}

//! Verifying an ID token against the provider's published signing keys (JWKS) with
//! `jsonwebtoken`: signature, issuer and audience.
//!
//! `jsonwebtoken` is built with exactly one crypto backend (`aws_lc_rs`, already in the tree for
//! rustls): with none or both it panics at run time. Expiry is not left to it, because it reads
//! the system clock; the caller checks `exp` against the injected clock.
//! `jsonwebtoken` cannot parse an `alg: none` header, so the header is read here first.

use crate::error::display_url;
use crate::http::{HttpClient, HttpRequest};
use aws_runas_domain::ports::idp::IdpError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::str::FromStr;

const STEP_JWKS: &str = "fetching the signing keys";

/// The `alg` and `kid` of a token's header, read without `jsonwebtoken`.
fn header(token: &str) -> Option<(String, Option<String>)> {
    let first = token.trim().split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(first.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let alg = value.get("alg")?.as_str()?.to_string();
    let kid = value
        .get("kid")
        .and_then(|k| k.as_str())
        .map(str::to_string);
    Some((alg, kid))
}

/// The keys published at `jwks_uri`; keys `jsonwebtoken` cannot read are skipped.
async fn fetch(http: &HttpClient, jwks_uri: &str) -> Result<Vec<Jwk>, IdpError> {
    let response = http
        .follow(
            HttpRequest::get(jwks_uri)
                .header("Accept", "application/json")
                .step(STEP_JWKS),
        )
        .await?;
    response.require_success()?;
    let bad = |detail: String| {
        IdpError::unexpected_page(format!(
            "the signing keys at {} {detail}",
            display_url(jwks_uri)
        ))
    };
    let doc: serde_json::Value = serde_json::from_str(response.body())
        .map_err(|e| bad(format!("are not a json document: {e}")))?;
    let keys = doc
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or_else(|| bad("have no \"keys\" list".to_string()))?;
    Ok(keys
        .iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .collect())
}

/// Verifies `token`'s signature with the keys at `jwks_uri`, its issuer (when `issuer` is known)
/// and its audience (`client_id`).
///
/// # Errors
/// [`IdpError::unexpected_page`] saying which check failed, naming the URL of the keys; an unsigned
/// token (`alg: none`) is refused.
pub(crate) async fn verify(
    http: &HttpClient,
    jwks_uri: &str,
    token: &str,
    issuer: Option<&str>,
    client_id: &str,
) -> Result<(), IdpError> {
    let at = display_url(jwks_uri);
    let refuse =
        |detail: String| IdpError::unexpected_page(format!("{detail}; refusing the id token"));
    let (alg_name, kid) = header(token)
        .ok_or_else(|| refuse("the id token's header has no readable alg".to_string()))?;
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(refuse(format!(
            "the id token is unsigned (alg none) although the identity provider publishes signing keys at {at}"
        )));
    }
    let alg = Algorithm::from_str(&alg_name).map_err(|_| {
        refuse(format!(
            "the id token is signed with the unknown algorithm {alg_name:?}"
        ))
    })?;
    if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        return Err(refuse(format!(
            "the id token is signed with {alg_name}, a shared-secret algorithm, while the identity provider publishes public keys at {at}"
        )));
    }
    // Chosen explicitly, so that a build where cargo unifies both backend features (another
    // crate asking for `rust_crypto`) still verifies instead of panicking; an earlier choice
    // by someone else stands.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let keys = fetch(http, jwks_uri).await?;
    let candidates: Vec<&Jwk> = match &kid {
        Some(kid) => keys
            .iter()
            .filter(|k| k.common.key_id.as_deref() == Some(kid.as_str()))
            .collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(refuse(match kid {
            Some(kid) => format!(
                "the id token is signed with the key {kid:?}, which is not among the keys published at {at}"
            ),
            None => format!("no usable signing key is published at {at}"),
        }));
    }
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_audience(&[client_id]);
    let mut required = vec!["aud"];
    if let Some(issuer) = issuer {
        validation.set_issuer(&[issuer]);
        required.push("iss");
    }
    validation.set_required_spec_claims(&required);

    let claims = aws_runas_domain::jwt::claims(token).unwrap_or_default();
    let claim = |name: &str| match claims.get(name) {
        Some(serde_json::Value::String(s)) => format!("{s:?}"),
        Some(v) => v.to_string(),
        None => "nothing".to_string(),
    };
    let mut mismatched_key = false;
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        match jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation) {
            Ok(_) => return Ok(()),
            Err(e) => match e.kind() {
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidKeyFormat
                | ErrorKind::InvalidRsaKey(_)
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidEddsaKey => {
                    mismatched_key = true;
                }
                ErrorKind::InvalidIssuer => {
                    return Err(refuse(format!(
                        "the id token was issued by {}, not by {:?}",
                        claim("iss"),
                        issuer.unwrap_or_default()
                    )));
                }
                ErrorKind::InvalidAudience => {
                    return Err(refuse(format!(
                        "the id token is for the audience {}, not for the client {client_id:?}",
                        claim("aud")
                    )));
                }
                ErrorKind::MissingRequiredClaim(name) => {
                    return Err(refuse(format!("the id token has no {name} claim")));
                }
                other => {
                    return Err(refuse(format!(
                        "the id token cannot be verified: {other:?}"
                    )));
                }
            },
        }
    }
    Err(refuse(if mismatched_key {
        format!(
            "the id token's {alg_name} signature does not match the signing keys published at {at}"
        )
    } else {
        format!("no usable {alg_name} signing key is published at {at}")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn headers_are_read_even_for_alg_none() {
        let t = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64("{}"));
        assert_eq!(header(&t), Some(("none".to_string(), None)));
        let t = format!("{}.x.y", b64(r#"{"alg":"RS256","kid":"k1"}"#));
        assert_eq!(
            header(&t),
            Some(("RS256".to_string(), Some("k1".to_string())))
        );
        assert_eq!(header("%%%.x.y"), None);
        assert_eq!(header(&format!("{}.x.y", b64(r#"{"typ":"JWT"}"#))), None);
    }

    #[tokio::test]
    async fn a_jwks_endpoint_that_never_answers_ends_in_the_timeout() {
        use aws_runas_domain::Timestamp;
        use aws_runas_domain::ports::clock::FixedClock;
        use aws_runas_domain::ports::idp::HttpSettings;
        use aws_runas_idp_testkit::{Fault, MockServer};

        let server = MockServer::start();
        server.fault("GET", "/keys", Fault::Stall);
        let http = HttpClient::new(
            HttpSettings {
                timeout: std::time::Duration::from_millis(300),
                proxy: None,
                no_proxy: None,
                ca_bundle: None,
                cookie_jar: None,
            },
            std::sync::Arc::new(FixedClock(Timestamp::from_unix(1_768_471_200))),
        );
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64(r#"{"sub":"jane"}"#)
        );
        let e = verify(&http, &server.url("/keys"), &token, None, "client")
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text == format!(
                "{}: request timed out after 300ms during {STEP_JWKS}",
                server.host()
            ),
            "{text}"
        );
        eprintln!("hostile idp: jwks never answers: {text}");
    }
}

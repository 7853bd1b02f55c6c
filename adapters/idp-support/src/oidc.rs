//! The OpenID Connect login every OIDC adapter shares: the authorization-code grant (RFC 6749)
//! with PKCE (RFC 7636, `S256`), a checked `state` and `nonce`, endpoints from the provider's
//! discovery document or from the adapter, the token exchange, and the checks on the ID token.
//!
//! An adapter finishes the login in one of three ways:
//! * headless ([`OidcClient::login_headless`], or [`AuthorizationSession::send`] for a walk of
//!   its own): it answers the provider's login pages itself, and the redirect to the client's
//!   `redirect_uri` is captured, never fetched;
//! * in the user's browser with a loopback listener ([`OidcClient::login_in_browser`], in
//!   `loopback.rs`);
//! * with the device authorization grant ([`OidcClient::login_on_device`], in `device.rs`).
//!
//! Nothing here logs or shows a code, a verifier, a `state`, a `nonce` or a token: `Debug` of
//! every type redacts them and error messages name URLs without their query.

use crate::error::display_url;
use crate::http::{HttpClient, HttpRequest, HttpResponse, MAX_REDIRECTS, Method, RedirectAction};
use crate::login::quote;
use aws_runas_domain::Secret;
use aws_runas_domain::jwt;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::idp::{IdToken, IdpDeps, IdpError, OidcRequest};
use aws_runas_domain::ports::prompter::Prompter;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;
use std::sync::Arc;
use url::Url;

/// How many pages a headless login may answer before it is called stuck.
pub const MAX_LOGIN_PAGES: usize = 12;

/// The largest answer of the token endpoint that is read (as the original tool does).
const MAX_TOKEN_ANSWER: usize = 64 * 1024;

const STEP_DISCOVERY: &str = "fetching the openid configuration";
const STEP_AUTHORIZE: &str = "opening the authorization page";
const STEP_TOKEN: &str = "exchanging the authorization code";

/// Where an OpenID provider answers: from its discovery document
/// ([`OidcEndpoints::discover`]) or filled in by the adapter from the provider's known paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcEndpoints {
    /// The issuer (`iss` of its tokens); checked when known.
    pub issuer: Option<String>,
    /// The authorization endpoint (the login pages start here).
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The device authorization endpoint (RFC 8628), when the provider has one.
    pub device_authorization_endpoint: Option<String>,
    /// The signing keys (JWKS); when present, every ID token's signature, issuer and audience
    /// are verified against them.
    pub jwks_uri: Option<String>,
}

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    jwks_uri: Option<String>,
}

impl OidcEndpoints {
    /// Endpoints known by the adapter: the authorization and token endpoints, nothing else.
    pub fn new(
        authorization_endpoint: impl Into<String>,
        token_endpoint: impl Into<String>,
    ) -> Self {
        OidcEndpoints {
            authorization_endpoint: authorization_endpoint.into(),
            token_endpoint: token_endpoint.into(),
            ..OidcEndpoints::default()
        }
    }

    /// `<issuer>/.well-known/openid-configuration`.
    pub fn discovery_url(issuer: &str) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim().trim_end_matches('/')
        )
    }

    /// Reads the discovery document of `issuer`; `None` when the provider has none (`404` or
    /// `410`).
    ///
    /// The document's `issuer` must be `issuer` (trailing slashes aside), as OpenID Connect
    /// Discovery requires; a document without one is taken to be `issuer`'s.
    ///
    /// # Errors
    /// [`IdpError::unavailable`] for a network failure or another error status;
    /// [`IdpError::unexpected_page`] for a document that is not JSON, lacks the authorization or
    /// token endpoint, or names another issuer; [`IdpError::configuration`] for an issuer that is
    /// not an http(s) URL.
    pub async fn discover(
        http: &HttpClient,
        issuer: &str,
    ) -> Result<Option<OidcEndpoints>, IdpError> {
        let url = OidcEndpoints::discovery_url(issuer);
        let response = http
            .follow(
                HttpRequest::get(&url)
                    .header("Accept", "application/json")
                    .step(STEP_DISCOVERY),
            )
            .await?;
        if matches!(response.status(), 404 | 410) {
            log::debug!("oidc: no discovery document at {}", display_url(&url));
            return Ok(None);
        }
        response.require_success()?;
        let bad = |detail: &str| {
            IdpError::unexpected_page(format!(
                "the openid configuration at {} {detail}",
                display_url(&url)
            ))
        };
        let doc: Discovery = serde_json::from_str(response.body())
            .map_err(|e| bad(&format!("is not a usable json document: {e}")))?;
        let wanted = issuer.trim().trim_end_matches('/');
        let named = doc.issuer.as_deref().map(|i| i.trim_end_matches('/'));
        if let Some(named) = named
            && named != wanted
        {
            return Err(bad(&format!(
                "names the issuer {}, not {}",
                display_url(named),
                display_url(wanted)
            )));
        }
        let required = |value: Option<String>, name: &str| {
            value
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| bad(&format!("has no {name}")))
        };
        Ok(Some(OidcEndpoints {
            issuer: Some(doc.issuer.unwrap_or_else(|| wanted.to_string())),
            authorization_endpoint: required(doc.authorization_endpoint, "authorization_endpoint")?,
            token_endpoint: required(doc.token_endpoint, "token_endpoint")?,
            device_authorization_endpoint: doc
                .device_authorization_endpoint
                .filter(|v| !v.trim().is_empty()),
            jwks_uri: doc.jwks_uri.filter(|v| !v.trim().is_empty()),
        }))
    }

    /// The discovery document's endpoints, or `known` when the provider has no document.
    ///
    /// # Errors
    /// As [`OidcEndpoints::discover`].
    pub async fn discover_or(
        http: &HttpClient,
        issuer: &str,
        known: OidcEndpoints,
    ) -> Result<OidcEndpoints, IdpError> {
        Ok(OidcEndpoints::discover(http, issuer)
            .await?
            .unwrap_or(known))
    }
}

/// An authorization code the provider handed out, kept secret (`Debug` is redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode(Secret);

impl AuthorizationCode {
    pub(crate) fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// A PKCE verifier and its `S256` challenge.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pkce {
    verifier: Secret,
    challenge: String,
}

impl Pkce {
    /// A fresh verifier: 32 random bytes, base64url without padding (43 characters).
    pub(crate) fn generate() -> Result<Self, IdpError> {
        Ok(Pkce::from_bytes(&random_bytes::<32>()?))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = s256(&verifier);
        Pkce {
            verifier: Secret::new(verifier),
            challenge,
        }
    }

    pub(crate) fn verifier(&self) -> &Secret {
        &self.verifier
    }

    pub(crate) fn challenge(&self) -> &str {
        &self.challenge
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkce(** redacted **)")
    }
}

/// The `S256` code challenge of `verifier`: base64url without padding of its SHA-256.
pub(crate) fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], IdpError> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| IdpError::unavailable("no random numbers available for the oidc login"))?;
    Ok(bytes)
}

fn random_token() -> Result<Secret, IdpError> {
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
}

/// Checks the request's client id, naming the key when it is missing.
pub(crate) fn check_client_id(req: &OidcRequest) -> Result<(), IdpError> {
    if req.client_id.trim().is_empty() {
        return Err(IdpError::configuration(
            "web_identity_client_id is not set: the oidc login needs the client id registered at the identity provider",
        ));
    }
    Ok(())
}

/// Checks the request's client id and redirect URI, naming the missing key.
pub(crate) fn check_request(req: &OidcRequest) -> Result<(), IdpError> {
    check_client_id(req)?;
    if req.redirect_uri.trim().is_empty() {
        return Err(IdpError::configuration(
            "web_identity_redirect_uri is not set: the oidc login needs the redirect uri registered at the identity provider",
        ));
    }
    Ok(())
}

/// One authorization request in flight: its PKCE verifier, `state` and `nonce`, and what the
/// provider's answer must look like.
///
/// Made by [`OidcClient::session`].
/// `Debug` shows the client id, the redirect URI and the scope, never the secrets.
pub struct AuthorizationSession {
    client_id: String,
    redirect_uri: String,
    redirect: Url,
    scope: String,
    authorization_endpoint: Url,
    issuer: Option<String>,
    state: Secret,
    nonce: Secret,
    pkce: Pkce,
}

impl fmt::Debug for AuthorizationSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationSession")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &display_url(&self.redirect_uri))
            .field("scope", &self.scope)
            .field(
                "authorization_endpoint",
                &display_url(self.authorization_endpoint.as_str()),
            )
            .finish_non_exhaustive()
    }
}

/// What one request of a headless login led to.
#[derive(Debug)]
pub enum AuthorizationStep {
    /// The provider redirected to the client's `redirect_uri` with this code (the redirect was
    /// not fetched).
    Code(AuthorizationCode),
    /// The provider showed a page (a login form, a consent page, an error): the adapter answers
    /// it.
    Page(HttpResponse),
}

impl AuthorizationSession {
    pub(crate) fn new(
        endpoints: &OidcEndpoints,
        req: &OidcRequest,
        redirect_uri: &str,
    ) -> Result<Self, IdpError> {
        check_request(req)?;
        let redirect = Url::parse(redirect_uri.trim()).map_err(|e| {
            IdpError::configuration(format!(
                "invalid web_identity_redirect_uri {}: {e}",
                display_url(redirect_uri)
            ))
        })?;
        let authorization_endpoint = Url::parse(endpoints.authorization_endpoint.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                IdpError::configuration(format!(
                    "invalid oidc authorization endpoint {:?}: expected an http(s) url",
                    display_url(&endpoints.authorization_endpoint)
                ))
            })?;
        let mut scopes = vec!["openid".to_string()];
        for s in req.scopes.iter().flat_map(|s| s.split_whitespace()) {
            if !scopes.iter().any(|known| known == s) {
                scopes.push(s.to_string());
            }
        }
        Ok(AuthorizationSession {
            client_id: req.client_id.trim().to_string(),
            redirect_uri: redirect_uri.trim().to_string(),
            redirect,
            scope: scopes.join(" "),
            authorization_endpoint,
            issuer: endpoints.issuer.clone(),
            state: random_token()?,
            nonce: random_token()?,
            pkce: Pkce::generate()?,
        })
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The redirect URI sent (for a loopback listener on port 0, with the actual port).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The scope sent: `openid` and the request's scopes.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The authorization URL: the endpoint with `response_type=code`, `client_id`,
    /// `redirect_uri`, `scope`, `state`, `nonce`, `code_challenge` and
    /// `code_challenge_method=S256`.
    ///
    /// It carries the `state` and `nonce` of this login: show it to the user, never log it.
    pub fn url(&self) -> String {
        self.url_with(&[])
    }

    /// [`Self::url`] with more parameters (for example Okta's `sessionToken`).
    pub fn url_with(&self, extra: &[(&str, &str)]) -> String {
        let mut url = self.authorization_endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("scope", &self.scope)
                .append_pair("state", self.state.expose())
                .append_pair("nonce", self.nonce.expose())
                .append_pair("code_challenge", self.pkce.challenge())
                .append_pair("code_challenge_method", "S256");
            for (k, v) in extra {
                q.append_pair(k, v);
            }
        }
        url.into()
    }

    pub(crate) fn nonce(&self) -> &str {
        self.nonce.expose()
    }

    pub(crate) fn verifier(&self) -> &Secret {
        self.pkce.verifier()
    }

    /// Whether `url` goes to this login's redirect URI (same scheme, host, port and path).
    pub fn is_redirect_uri(&self, url: &str) -> bool {
        Url::parse(url.trim()).is_ok_and(|u| self.targets_redirect(&u))
    }

    fn targets_redirect(&self, u: &Url) -> bool {
        let path = |u: &Url| {
            let p = u.path();
            if p.is_empty() {
                "/".to_string()
            } else {
                p.to_string()
            }
        };
        u.scheme() == self.redirect.scheme()
            && u.host_str().map(str::to_ascii_lowercase)
                == self.redirect.host_str().map(str::to_ascii_lowercase)
            && u.port_or_known_default() == self.redirect.port_or_known_default()
            && path(u) == path(&self.redirect)
    }

    /// What [`HttpClient::send_following`] should do with `response`: stop at a redirect to the
    /// redirect URI, follow the others.
    ///
    /// `send_following` refuses a `Location` that is not http(s) before asking; for a redirect
    /// URI such as `app:/callback` use [`Self::send`], which stops at any scheme.
    pub fn redirect_action(&self, response: &HttpResponse) -> RedirectAction {
        match response.location() {
            Some(next) if self.is_redirect_uri(&next) => RedirectAction::Stop,
            _ => RedirectAction::Follow,
        }
    }

    /// The code in `location` when it goes to the redirect URI; `None` when it goes elsewhere.
    ///
    /// # Errors
    /// [`IdpError::unexpected_page`] when the answer's `state` is not this login's ("state
    /// mismatch … refusing the answer"), when it names another issuer (RFC 9207 `iss`), or
    /// carries no code; for the provider's OAuth errors: [`IdpError::bad_credentials`] for
    /// `access_denied` (or when it asks for an interactive login), [`IdpError::configuration`]
    /// for a client or scope it refuses, [`IdpError::unavailable`] for `server_error` and
    /// `temporarily_unavailable`, [`IdpError::unexpected_page`] for the others.
    pub fn accept_redirect(&self, location: &str) -> Result<Option<AuthorizationCode>, IdpError> {
        let Ok(url) = Url::parse(location.trim()) else {
            return Ok(None);
        };
        if !self.targets_redirect(&url) {
            return Ok(None);
        }
        let mut params: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        // Some providers answer in the fragment (response_mode=fragment).
        if !params.iter().any(|(k, _)| k == "code" || k == "error")
            && let Some(fragment) = url.fragment()
        {
            params = url::form_urlencoded::parse(fragment.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let target = display_url(&self.redirect_uri);
        if let Some(error) = get("error") {
            return Err(authorization_error(
                error,
                get("error_description"),
                &target,
            ));
        }
        let state_ok = get("state").is_some_and(|s| constant_time_eq(s, self.state.expose()));
        if !state_ok {
            return Err(IdpError::unexpected_page(format!(
                "state mismatch in the answer sent to {target}: it does not belong to this login, so aws-runas is refusing the answer"
            )));
        }
        if let (Some(iss), Some(issuer)) = (get("iss"), self.issuer.as_deref())
            && iss.trim_end_matches('/') != issuer.trim_end_matches('/')
        {
            return Err(IdpError::unexpected_page(format!(
                "the answer sent to {target} comes from the issuer {}, not {}; refusing the answer",
                display_url(iss),
                display_url(issuer)
            )));
        }
        match get("code").filter(|c| !c.is_empty()) {
            Some(code) => Ok(Some(AuthorizationCode(Secret::new(code)))),
            None => Err(IdpError::unexpected_page(format!(
                "the identity provider's answer sent to {target} carries no authorization code"
            ))),
        }
    }

    /// [`Self::accept_redirect`] for a response: its `Location`, when it is a redirect.
    ///
    /// # Errors
    /// As [`Self::accept_redirect`].
    pub fn accept_response(
        &self,
        response: &HttpResponse,
    ) -> Result<Option<AuthorizationCode>, IdpError> {
        if !matches!(response.status(), 301 | 302 | 303 | 307 | 308) {
            return Ok(None);
        }
        let Some(location) = response.header("location") else {
            return Ok(None);
        };
        match resolve(response.url(), location) {
            Some(next) => self.accept_redirect(next.as_str()),
            None => Ok(None),
        }
    }

    /// Opens the authorization URL: [`Self::send`] of a `GET` of [`Self::url`].
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn start(&self, http: &HttpClient) -> Result<AuthorizationStep, IdpError> {
        self.send(http, HttpRequest::get(self.url()).step(STEP_AUTHORIZE))
            .await
    }

    /// Sends `request` and follows redirects, stopping at the one that goes to the redirect URI
    /// (whatever its scheme: `http://127.0.0.1/…`, `app:/callback`), which is not fetched.
    ///
    /// # Errors
    /// As [`HttpClient::send`] and [`Self::accept_redirect`]; [`IdpError::unexpected_page`] for more
    /// than [`MAX_REDIRECTS`] redirects or one to a scheme that is not http(s) and not the
    /// redirect URI.
    pub async fn send(
        &self,
        http: &HttpClient,
        request: HttpRequest,
    ) -> Result<AuthorizationStep, IdpError> {
        let first = display_url(request.url());
        let step = request.step_name();
        let mut request = request;
        for _ in 0..=MAX_REDIRECTS {
            let response = http.send(request.clone()).await?;
            let status = response.status();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return Ok(AuthorizationStep::Page(response));
            }
            let Some(location) = response.header("location") else {
                return Ok(AuthorizationStep::Page(response));
            };
            let Some(next) = resolve(response.url(), location) else {
                return Err(IdpError::unexpected_page(format!(
                    "bad redirect from {} during {step}: the location does not parse",
                    display_url(response.url())
                )));
            };
            if let Some(code) = self.accept_redirect(next.as_str())? {
                log::debug!(
                    "oidc: the provider redirected to {}; the code is captured",
                    display_url(next.as_str())
                );
                return Ok(AuthorizationStep::Code(code));
            }
            if !matches!(next.scheme(), "http" | "https") {
                return Err(IdpError::unexpected_page(format!(
                    "bad redirect from {} during {step}: unsupported scheme {:?} (the redirect uri is {})",
                    display_url(response.url()),
                    next.scheme(),
                    display_url(&self.redirect_uri)
                )));
            }
            request = redirected(&request, status, &next, &step)?;
        }
        Err(IdpError::unexpected_page(format!(
            "more than {MAX_REDIRECTS} redirects starting at {first} during {step}"
        )))
    }
}

/// `location` resolved against `base`.
fn resolve(base: &str, location: &str) -> Option<Url> {
    Url::parse(base).ok()?.join(location.trim()).ok()
}

/// The request a browser makes for a redirect: `GET` without a body, except for `307`/`308`.
fn redirected(
    request: &HttpRequest,
    status: u16,
    next: &Url,
    step: &str,
) -> Result<HttpRequest, IdpError> {
    let same_origin = Url::parse(request.url()).is_ok_and(|u| u.origin() == next.origin());
    let keep = matches!(status, 307 | 308);
    let method = if keep { request.method() } else { Method::Get };
    let mut out = HttpRequest::new(method, next.as_str()).step(step);
    for (name, value) in request.headers() {
        let credential =
            name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie");
        // The form body brings its own content type; a `GET` has none.
        if (credential && !same_origin) || name.eq_ignore_ascii_case("content-type") {
            continue;
        }
        out = out.header(name.clone(), value.clone());
    }
    if keep && matches!(method, Method::Post | Method::Put) {
        match request.form_fields() {
            Some(fields) => out = out.form(fields.iter().cloned()),
            None => {
                return Err(IdpError::unexpected_page(format!(
                    "the identity provider redirected a request with a body ({status}) during {step}; only forms can be sent again"
                )));
            }
        }
    }
    Ok(out)
}

/// `90s`, or `250ms` when not a whole number of seconds.
pub(crate) fn human_duration(d: std::time::Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The provider's OAuth error and its description, quoted for a message with the shared
/// [`quote`]: `: "access_denied (User said no)"`.
fn described(error: &str, description: Option<&str>) -> String {
    let text = match description.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => format!("{} ({d})", error.trim()),
        None => error.trim().to_string(),
    };
    quote(&text, [])
}

/// The OAuth errors that say the provider cannot be used right now.
const PROVIDER_TROUBLE: [&str; 2] = ["server_error", "temporarily_unavailable"];

fn authorization_error(error: &str, description: Option<&str>, target: &str) -> IdpError {
    let what = described(error, description);
    match error {
        "access_denied"
        | "login_required"
        | "interaction_required"
        | "consent_required"
        | "account_selection_required" => {
            IdpError::bad_credentials(format!("the identity provider refused the login{what}"))
        }
        "unauthorized_client" | "invalid_scope" | "unsupported_response_type" => {
            IdpError::configuration(format!(
                "the identity provider refused the login request for the redirect uri {target}{what}; check web_identity_client_id, web_identity_redirect_uri and the scopes"
            ))
        }
        e if PROVIDER_TROUBLE.contains(&e) => IdpError::unavailable(format!(
            "the identity provider could not serve the login sent to {target}{what}"
        )),
        _ => IdpError::unexpected_page(format!(
            "the identity provider answered the login sent to {target} with an error{what}"
        )),
    }
}

/// An error answer of the token endpoint, as an `IdpError`.
pub(crate) fn token_error(
    error: &str,
    description: Option<&str>,
    endpoint: &str,
    client_id: &str,
) -> IdpError {
    let what = described(error, description);
    let at = display_url(endpoint);
    match error {
        "invalid_client" | "unauthorized_client" | "invalid_scope" => {
            IdpError::configuration(format!(
                "the token endpoint at {at} refused the client {client_id}{what}; check web_identity_client_id and that the client is a public client allowed this grant"
            ))
        }
        "access_denied" => IdpError::bad_credentials(format!(
            "the token endpoint at {at} refused the login{what}"
        )),
        e if PROVIDER_TROUBLE.contains(&e) => {
            IdpError::unavailable(format!("the token endpoint at {at} could not answer{what}"))
        }
        _ => IdpError::unexpected_page(format!(
            "the token endpoint at {at} answered an error{what}"
        )),
    }
}

/// What the token endpoint answered.
pub(crate) enum TokenAnswer {
    /// An ID token (already checked to have the shape of a JWT).
    Token(Secret),
    /// An OAuth error (`error`, `error_description`).
    Error {
        error: String,
        description: Option<String>,
    },
}

#[derive(serde::Deserialize)]
struct TokenBody {
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Drop for TokenBody {
    fn drop(&mut self) {
        if let Some(t) = &mut self.id_token {
            zeroize::Zeroize::zeroize(t);
        }
    }
}

/// Reads a token endpoint answer: a `200` with a JSON `id_token`, or a `4xx` with a JSON OAuth
/// error.
pub(crate) fn read_token_answer(
    response: &HttpResponse,
    endpoint: &str,
) -> Result<TokenAnswer, IdpError> {
    let at = display_url(endpoint);
    if response.body().len() > MAX_TOKEN_ANSWER {
        return Err(IdpError::unexpected_page(format!(
            "the answer of the token endpoint at {at} is larger than {} KiB",
            MAX_TOKEN_ANSWER / 1024
        )));
    }
    let parsed = serde_json::from_str::<TokenBody>(response.body());
    if !response.is_success() {
        if (400..500).contains(&response.status())
            && let Ok(mut body) = parsed
            && let Some(error) = body.error.take()
        {
            return Ok(TokenAnswer::Error {
                error,
                description: body.error_description.take(),
            });
        }
        return Err(response.status_error().into());
    }
    let mut body = parsed.map_err(|e| {
        IdpError::unexpected_page(format!(
            "the answer of the token endpoint at {at} is not a usable json document: {e}"
        ))
    })?;
    if let Some(error) = body.error.take() {
        return Ok(TokenAnswer::Error {
            error,
            description: body.error_description.take(),
        });
    }
    match body.id_token.take().map(Secret::new) {
        Some(token)
            if token.expose().split('.').count() == 3 && !token.expose().trim().is_empty() =>
        {
            Ok(TokenAnswer::Token(token))
        }
        Some(_) => Err(IdpError::unexpected_page(format!(
            "the token endpoint at {at} answered an id_token that is not a json web token"
        ))),
        None => Err(IdpError::unexpected_page(format!(
            "the token endpoint at {at} answered without an id_token: check that the client is an openid connect client and that the scope includes openid"
        ))),
    }
}

/// The shared OIDC login of one adapter: its HTTP client, prompter, clock, and the provider's
/// endpoints.
///
/// Cheap to clone. `Debug` shows the endpoints.
#[derive(Clone)]
pub struct OidcClient {
    pub(crate) http: HttpClient,
    pub(crate) prompter: Arc<dyn Prompter>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) endpoints: OidcEndpoints,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClient")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    /// A client for known endpoints; `deps` gives the prompter and the clock.
    pub fn new(http: HttpClient, deps: &IdpDeps, endpoints: OidcEndpoints) -> Self {
        OidcClient {
            http,
            prompter: deps.prompter.clone(),
            clock: deps.clock.clone(),
            endpoints,
        }
    }

    /// A client for the endpoints of `issuer`'s discovery document, or `known` when it has none.
    ///
    /// # Errors
    /// As [`OidcEndpoints::discover`]; [`IdpError::unexpected_page`] when there is no document and no
    /// `known` endpoints.
    pub async fn discover(
        http: HttpClient,
        deps: &IdpDeps,
        issuer: &str,
        known: Option<OidcEndpoints>,
    ) -> Result<Self, IdpError> {
        let endpoints = match (OidcEndpoints::discover(&http, issuer).await?, known) {
            (Some(found), _) => found,
            (None, Some(known)) => known,
            (None, None) => {
                return Err(IdpError::unexpected_page(format!(
                    "the identity provider has no openid configuration at {}",
                    display_url(&OidcEndpoints::discovery_url(issuer))
                )));
            }
        };
        Ok(OidcClient::new(http, deps, endpoints))
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &OidcEndpoints {
        &self.endpoints
    }

    /// The HTTP client (with its cookie jar).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// A new authorization request for `req`: fresh PKCE verifier, `state` and `nonce`.
    ///
    /// # Errors
    /// [`IdpError::configuration`] naming `web_identity_client_id` or
    /// `web_identity_redirect_uri` when one is empty or the redirect URI does not parse, or for
    /// an authorization endpoint that is not an http(s) URL.
    pub fn session(&self, req: &OidcRequest) -> Result<AuthorizationSession, IdpError> {
        AuthorizationSession::new(&self.endpoints, req, &req.redirect_uri)
    }

    /// Logs in headlessly: opens the authorization URL and, for every page the provider shows,
    /// sends what `answer` makes of it (a filled login form, a consent form), until the provider
    /// redirects to the redirect URI; then exchanges the code.
    ///
    /// `answer` sees each page (never a redirect to the client); it returns the request that
    /// answers the page, or the adapter's error (a refused password, an unknown page).
    /// A page with a `5xx` status is an error without asking `answer`.
    ///
    /// # Errors
    /// What `answer` returns; as [`authorize_headless`] and [`Self::exchange`].
    pub async fn login_headless<F>(&self, req: &OidcRequest, answer: F) -> Result<IdToken, IdpError>
    where
        F: FnMut(&HttpResponse) -> Result<HttpRequest, IdpError> + Send,
    {
        let session = self.session(req)?;
        let code = authorize_headless(&self.http, &session, answer).await?;
        self.exchange(&session, code).await
    }

    /// Exchanges `code` at the token endpoint (with the session's verifier) and checks the ID
    /// token: its `nonce` (when it has one), its expiry against the clock and, when the provider
    /// publishes signing keys, its signature, issuer and audience.
    ///
    /// # Errors
    /// [`IdpError::unavailable`] for an error status, `server_error` or
    /// `temporarily_unavailable`; [`IdpError::unexpected_page`] for an answer without a usable
    /// `id_token`, a `nonce` mismatch, an expired token, a failed verification (each said
    /// clearly) or another OAuth error; [`IdpError::configuration`] when the provider does not
    /// know the client; [`IdpError::bad_credentials`] for `access_denied`.
    pub async fn exchange(
        &self,
        session: &AuthorizationSession,
        code: AuthorizationCode,
    ) -> Result<IdToken, IdpError> {
        let endpoint = &self.endpoints.token_endpoint;
        let request = HttpRequest::post(endpoint)
            .header("Accept", "application/json")
            .form([
                ("grant_type", "authorization_code"),
                ("code", code.expose()),
                ("redirect_uri", session.redirect_uri()),
                ("client_id", session.client_id()),
                ("code_verifier", session.verifier().expose()),
            ])
            .step(STEP_TOKEN);
        let response = self.http.send(request).await?;
        let token = match read_token_answer(&response, endpoint)? {
            TokenAnswer::Token(token) => token,
            TokenAnswer::Error { error, description } => {
                return Err(token_error(
                    &error,
                    description.as_deref(),
                    endpoint,
                    session.client_id(),
                ));
            }
        };
        self.verify_id_token(&token, session.client_id(), Some(session.nonce()))
            .await?;
        Ok(IdToken(token))
    }

    /// Checks an ID token: `nonce` when both it and `nonce` are present, `exp` against the clock,
    /// and, when the endpoints have a `jwks_uri`, the signature, the issuer (when known) and the
    /// audience (`client_id`); `alg: none` is refused then.
    ///
    /// # Errors
    /// [`IdpError::unexpected_page`] saying which check failed.
    pub async fn verify_id_token(
        &self,
        token: &Secret,
        client_id: &str,
        nonce: Option<&str>,
    ) -> Result<(), IdpError> {
        let raw = token.expose();
        let claims = jwt::claims(raw).ok_or_else(|| {
            IdpError::unexpected_page(
                "the id token's claims cannot be read: it is not a json web token",
            )
        })?;
        if let (Some(expected), Some(got)) = (nonce, claims.get("nonce")) {
            let matches = got.as_str().is_some_and(|g| constant_time_eq(g, expected));
            if !matches {
                return Err(IdpError::unexpected_page(
                    "the id token's nonce is not the one this login sent; refusing the token",
                ));
            }
        }
        let now = self.clock.now();
        match jwt::expiry(raw) {
            None => {
                return Err(IdpError::unexpected_page(
                    "the id token has no readable expiry (exp claim)",
                ));
            }
            Some(exp) if exp <= now => {
                return Err(IdpError::unexpected_page(format!(
                    "the id token expired at {} (it is now {})",
                    exp.to_rfc3339(),
                    now.to_rfc3339()
                )));
            }
            Some(_) => {}
        }
        if let Some(jwks_uri) = &self.endpoints.jwks_uri {
            crate::jwks::verify(
                &self.http,
                jwks_uri,
                raw,
                self.endpoints.issuer.as_deref(),
                client_id,
            )
            .await?;
        }
        Ok(())
    }
}

/// Drives a headless login: opens the session's authorization URL and answers each page with
/// `answer` until the provider redirects to the redirect URI, within [`MAX_LOGIN_PAGES`] pages.
///
/// # Errors
/// What `answer` returns; as [`AuthorizationSession::send`]; [`IdpError::unavailable`] for a page
/// with a `5xx` status; [`IdpError::unexpected_page`] for a login that does not finish within
/// [`MAX_LOGIN_PAGES`] pages.
pub async fn authorize_headless<F>(
    http: &HttpClient,
    session: &AuthorizationSession,
    mut answer: F,
) -> Result<AuthorizationCode, IdpError>
where
    F: FnMut(&HttpResponse) -> Result<HttpRequest, IdpError> + Send,
{
    let mut step = session.start(http).await?;
    for _ in 0..MAX_LOGIN_PAGES {
        let page = match step {
            AuthorizationStep::Code(code) => return Ok(code),
            AuthorizationStep::Page(page) => page,
        };
        if page.status() >= 500 {
            return Err(page.status_error().into());
        }
        let next = answer(&page)?;
        step = session.send(http, next).await?;
    }
    match step {
        AuthorizationStep::Code(code) => Ok(code),
        AuthorizationStep::Page(page) => Err(IdpError::unexpected_page(format!(
            "the login did not reach {} within {MAX_LOGIN_PAGES} pages (the last one was {})",
            display_url(session.redirect_uri()),
            display_url(page.url())
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn req(redirect: &str) -> OidcRequest {
        OidcRequest {
            client_id: "aws-client".into(),
            redirect_uri: redirect.into(),
            scopes: vec!["profile".into(), "openid".into(), "email groups".into()],
        }
    }

    fn endpoints() -> OidcEndpoints {
        OidcEndpoints {
            issuer: Some("https://idp.example.com/realms/corp".into()),
            ..OidcEndpoints::new(
                "https://idp.example.com/auth?kc_idp_hint=x",
                "https://idp.example.com/token",
            )
        }
    }

    fn session(redirect: &str) -> AuthorizationSession {
        AuthorizationSession::new(&endpoints(), &req(redirect), redirect).unwrap()
    }

    fn param(url: &str, name: &str) -> Option<String> {
        Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    #[test]
    fn durations_read_well() {
        use std::time::Duration;
        assert_eq!(human_duration(Duration::from_secs(180)), "180s");
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        let bytes = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let pkce = Pkce::from_bytes(&bytes);
        assert_eq!(
            pkce.verifier().expose(),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(!format!("{pkce:?}").contains("dBjft"));
    }

    #[test]
    fn fresh_verifiers_are_43_characters_and_differ() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_eq!(a.verifier().expose().len(), 43);
        assert_ne!(a.verifier(), b.verifier());
        assert_eq!(a.challenge(), s256(a.verifier().expose()));
    }

    #[test]
    fn the_authorization_url_carries_every_parameter() {
        let s = session("http://127.0.0.1:8400/callback");
        let url = s.url();
        assert!(
            url.starts_with("https://idp.example.com/auth?kc_idp_hint=x&"),
            "{url}"
        );
        assert_eq!(param(&url, "response_type").as_deref(), Some("code"));
        assert_eq!(param(&url, "client_id").as_deref(), Some("aws-client"));
        assert_eq!(
            param(&url, "redirect_uri").as_deref(),
            Some("http://127.0.0.1:8400/callback")
        );
        assert_eq!(
            param(&url, "scope").as_deref(),
            Some("openid profile email groups")
        );
        assert_eq!(
            param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_eq!(
            param(&url, "code_challenge").unwrap(),
            s256(s.verifier().expose())
        );
        assert_eq!(param(&url, "state").unwrap(), s.state.expose());
        assert_eq!(param(&url, "nonce").unwrap(), s.nonce());
        assert_ne!(s.state.expose(), s.nonce());
        let extra = s.url_with(&[("sessionToken", "abc")]);
        assert_eq!(param(&extra, "sessionToken").as_deref(), Some("abc"));
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = session("http://127.0.0.1:8400/callback");
        let shown = format!("{s:?}");
        for secret in [s.state.expose(), s.nonce(), s.verifier().expose()] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("aws-client"));
        let code = AuthorizationCode(Secret::new("c0de-value"));
        assert!(!format!("{code:?}").contains("c0de"));
    }

    #[test]
    fn redirects_are_accepted_only_with_the_right_state() {
        let s = session("http://127.0.0.1:8400/callback");
        let state = s.state.expose().to_string();
        let ok = format!("http://127.0.0.1:8400/callback?code=abc&state={state}");
        assert_eq!(s.accept_redirect(&ok).unwrap().unwrap().expose(), "abc");
        // Elsewhere: not ours.
        for other in [
            "http://127.0.0.1:8401/callback?code=abc",
            "http://127.0.0.1:8400/other?code=abc",
            "https://127.0.0.1:8400/callback?code=abc",
            "not a url",
        ] {
            assert!(s.accept_redirect(other).unwrap().is_none(), "{other}");
        }
        let forged = s
            .accept_redirect("http://127.0.0.1:8400/callback?code=abc&state=forged")
            .unwrap_err();
        assert_eq!(forged.kind(), IdpErrorKind::UnexpectedPage);
        let m = forged.to_string();
        assert!(
            m.starts_with("state mismatch") && m.contains("refusing the answer"),
            "{m}"
        );
        assert!(!forged.to_string().contains("abc"));
        let missing = s
            .accept_redirect("http://127.0.0.1:8400/callback?code=abc")
            .unwrap_err();
        assert!(missing.to_string().contains("state mismatch"));
        let no_code = s
            .accept_redirect(&format!("http://127.0.0.1:8400/callback?state={state}"))
            .unwrap_err();
        assert!(
            no_code.to_string().contains("no authorization code"),
            "{no_code}"
        );
        let wrong_iss = s
            .accept_redirect(&format!(
                "http://127.0.0.1:8400/callback?code=abc&state={state}&iss=https%3A%2F%2Fevil.example.com"
            ))
            .unwrap_err();
        assert!(
            wrong_iss.to_string().contains("evil.example.com"),
            "{wrong_iss}"
        );
    }

    #[test]
    fn custom_schemes_and_fragments_are_understood() {
        let s = session("app:/callback");
        let state = s.state.expose().to_string();
        let code = s
            .accept_redirect(&format!("app:/callback#code=xyz&state={state}"))
            .unwrap()
            .unwrap();
        assert_eq!(code.expose(), "xyz");
        assert!(s.accept_redirect("app:/other?code=1").unwrap().is_none());
    }

    #[test]
    fn provider_errors_in_the_redirect_are_reported() {
        let s = session("http://localhost/cb");
        let denied = s
            .accept_redirect(
                "http://localhost/cb?error=access_denied&error_description=User%20said%20no",
            )
            .unwrap_err();
        assert_eq!(
            denied,
            IdpError::bad_credentials(
                "the identity provider refused the login: \"access_denied (User said no)\""
            )
        );
        let scope = s
            .accept_redirect("http://localhost:80/cb?error=invalid_scope")
            .unwrap_err();
        assert_eq!(scope.kind(), IdpErrorKind::Configuration);
        let m = scope.to_string();
        assert!(
            m.contains("\"invalid_scope\"") && m.contains("http://localhost/cb"),
            "{m}"
        );
        let busy = s
            .accept_redirect("http://localhost/cb?error=temporarily_unavailable")
            .unwrap_err();
        assert_eq!(busy.kind(), IdpErrorKind::Unavailable);
        let odd = s
            .accept_redirect("http://localhost/cb?error=invalid_request&error_description=%1B%5B2J")
            .unwrap_err();
        assert_eq!(odd.kind(), IdpErrorKind::UnexpectedPage);
        assert!(
            odd.to_string()
                .ends_with("with an error: \"invalid_request (\\u{1b}[2J)\""),
            "{odd}"
        );
    }

    #[test]
    fn redirect_actions_stop_at_the_redirect_uri() {
        let s = session("http://127.0.0.1:8400/callback");
        let to_client = HttpResponse::new(
            302,
            "https://idp.example.com/login",
            vec![(
                "Location".into(),
                "http://127.0.0.1:8400/callback?code=1".into(),
            )],
            "",
        );
        let onwards = HttpResponse::new(
            302,
            "https://idp.example.com/login",
            vec![("Location".into(), "/consent".into())],
            "",
        );
        assert_eq!(s.redirect_action(&to_client), RedirectAction::Stop);
        assert_eq!(s.redirect_action(&onwards), RedirectAction::Follow);
        assert!(s.accept_response(&onwards).unwrap().is_none());
        assert!(s.accept_response(&to_client).is_err());
    }

    #[test]
    fn missing_or_bad_request_values_name_the_key() {
        let mut r = req("http://127.0.0.1/cb");
        r.client_id = " ".into();
        let e = AuthorizationSession::new(&endpoints(), &r, "http://127.0.0.1/cb").unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration);
        assert!(e.to_string().contains("web_identity_client_id"), "{e}");
        let r = req("");
        let e = AuthorizationSession::new(&endpoints(), &r, "").unwrap_err();
        assert!(e.to_string().contains("web_identity_redirect_uri"), "{e}");
        let r = req("/relative");
        let e = AuthorizationSession::new(&endpoints(), &r, "/relative").unwrap_err();
        assert!(
            e.to_string().contains("invalid web_identity_redirect_uri"),
            "{e}"
        );
    }

    #[test]
    fn token_errors_are_sorted() {
        let client = token_error("invalid_client", None, "https://h/token?x", "c");
        assert_eq!(client.kind(), IdpErrorKind::Configuration);
        let m = client.to_string();
        assert!(
            m.contains("web_identity_client_id") && !m.contains("?x"),
            "{m}"
        );

        let grant = token_error(
            "invalid_grant",
            Some("PKCE\u{1b}[31m failed"),
            "https://h/token",
            "c",
        );
        assert_eq!(grant.kind(), IdpErrorKind::UnexpectedPage);
        assert_eq!(
            grant.to_string(),
            "the token endpoint at https://h/token answered an error: \"invalid_grant (PKCE\\u{1b}[31m failed)\""
        );

        let busy = token_error("server_error", None, "https://h/token", "c");
        assert_eq!(busy.kind(), IdpErrorKind::Unavailable);
        let denied = token_error("access_denied", None, "https://h/token", "c");
        assert_eq!(denied.kind(), IdpErrorKind::BadCredentials);
    }

    fn answer(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            "https://h/token",
            vec![("content-type".into(), "application/json".into())],
            body,
        )
    }

    #[test]
    fn token_answers_are_read() {
        match read_token_answer(
            &answer(200, r#"{"id_token":"a.b.c","access_token":"x"}"#),
            "https://h/token",
        )
        .unwrap()
        {
            TokenAnswer::Token(t) => assert_eq!(t.expose(), "a.b.c"),
            TokenAnswer::Error { .. } => panic!("expected a token"),
        }
        match read_token_answer(
            &answer(400, r#"{"error":"invalid_grant"}"#),
            "https://h/token",
        )
        .unwrap()
        {
            TokenAnswer::Error { error, description } => {
                assert_eq!(error, "invalid_grant");
                assert_eq!(description, None);
            }
            TokenAnswer::Token(_) => panic!("expected an error"),
        }
        let none = read_token_answer(&answer(200, r#"{"access_token":"x"}"#), "https://h/token")
            .err()
            .unwrap();
        assert!(none.to_string().contains("without an id_token"), "{none}");
        let opaque = read_token_answer(&answer(200, r#"{"id_token":"opaque"}"#), "https://h/token")
            .err()
            .unwrap();
        assert!(
            opaque.to_string().contains("not a json web token"),
            "{opaque}"
        );
        let html = read_token_answer(&answer(502, "<html>bad gateway</html>"), "https://h/token")
            .err()
            .unwrap();
        assert!(html.to_string().contains("502"), "{html}");
        let big = format!(r#"{{"id_token":"{}"}}"#, "a".repeat(70 * 1024));
        let big = read_token_answer(&answer(200, &big), "https://h/token")
            .err()
            .unwrap();
        assert!(big.to_string().contains("larger than 64 KiB"), "{big}");
    }

    #[test]
    fn redirected_requests_behave_like_a_browser() {
        let post = HttpRequest::post("https://idp.example.com/login")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", "Basic x")
            .form([("a", "b")]);
        let next = Url::parse("https://idp.example.com/next").unwrap();
        let get = redirected(&post, 302, &next, "s").unwrap();
        assert_eq!(get.method(), Method::Get);
        assert!(get.form_fields().is_none());
        assert_eq!(get.headers().len(), 1);
        let again = redirected(&post, 307, &next, "s").unwrap();
        assert_eq!(again.method(), Method::Post);
        assert_eq!(again.form_fields().unwrap().len(), 1);
        let away = redirected(
            &post,
            303,
            &Url::parse("https://other.example.com/").unwrap(),
            "s",
        )
        .unwrap();
        assert!(away.headers().is_empty());
        let json = HttpRequest::post("https://idp.example.com/api").json("{}");
        assert!(redirected(&json, 308, &next, "s").is_err());
    }
}

//! The HTTP client every IdP adapter uses: rustls, the proxy, the CA bundle, a per-request timeout,
//! the cookie jar shared by the adapters of one login (and saved between runs), and no automatic
//! redirects.
//!
//! Redirects are off in the underlying client because IdP flows must stop at some of them (a
//! redirect to the OIDC `redirect_uri` carries the code; a redirect to AWS carries nothing useful).
//! [`HttpClient::send_following`] follows them itself, up to [`MAX_REDIRECTS`], and asks the caller
//! at each hop.
//!
//! Nothing of `reqwest` is visible outside this module: requests and responses are small types of
//! this crate.

use crate::cookies::CookieJar;
use crate::error::{IdpSupportError, display_url, host_of};
use crate::html::HtmlPage;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::idp::{HttpSettings, IdpDeps, ProbeResponse};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use url::Url;
use zeroize::Zeroize;

/// How many redirects [`HttpClient::send_following`] follows before giving up.
pub const MAX_REDIRECTS: usize = 10;

/// The timeout used when the settings carry a zero timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest body read; IdP pages are far smaller (a SAML form granting 10,000 roles is about
/// 2 MiB), so anything bigger is a broken or hostile server.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name in upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Form fields, wiped from memory when dropped because they usually carry a password or a code.
#[derive(Clone, Default, PartialEq, Eq)]
struct FormBody(Vec<(String, String)>);

impl Drop for FormBody {
    fn drop(&mut self) {
        for (_, value) in &mut self.0 {
            value.zeroize();
        }
    }
}

#[derive(Clone, Default, PartialEq, Eq)]
enum Body {
    #[default]
    Empty,
    Form(FormBody),
    Raw {
        content_type: String,
        text: String,
    },
}

impl Drop for Body {
    fn drop(&mut self) {
        // A JSON body carries the password for IdPs with a JSON login API.
        if let Body::Raw { text, .. } = self {
            text.zeroize();
        }
    }
}

/// One HTTP request: method, URL, headers and an optional form, JSON or text body.
///
/// `Debug` shows the URL without its query, the header names and the form field names, never a
/// value.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Body,
    step: Option<String>,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        HttpRequest {
            method,
            url: url.into(),
            headers: vec![],
            body: Body::Empty,
            step: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        HttpRequest::new(Method::Get, url)
    }

    /// A `HEAD` request.
    pub fn head(url: impl Into<String>) -> Self {
        HttpRequest::new(Method::Head, url)
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Self {
        HttpRequest::new(Method::Post, url)
    }

    /// Adds a header (sent as given; a later one with the same name is sent too).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets an `application/x-www-form-urlencoded` body.
    pub fn form<I, K, V>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.body = Body::Form(FormBody(
            fields
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        ));
        self
    }

    /// Sets an `application/json` body (serialise it yourself).
    pub fn json(self, json: impl Into<String>) -> Self {
        self.body("application/json", json)
    }

    /// Sets a body of any content type.
    pub fn body(mut self, content_type: impl Into<String>, text: impl Into<String>) -> Self {
        self.body = Body::Raw {
            content_type: content_type.into(),
            text: text.into(),
        };
        self
    }

    /// Names the step of the login this request belongs to, for error messages
    /// (`posting the password`); the default is the method and the path.
    pub fn step(mut self, step: impl Into<String>) -> Self {
        self.step = Some(step.into());
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers as given.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The form fields, when the body is a form.
    pub fn form_fields(&self) -> Option<&[(String, String)]> {
        match &self.body {
            Body::Form(form) => Some(&form.0),
            _ => None,
        }
    }

    /// The step name used in error messages.
    pub fn step_name(&self) -> String {
        if let Some(step) = &self.step {
            return step.clone();
        }
        let path = match Url::parse(&self.url) {
            Ok(u) => u.path().to_string(),
            Err(_) => display_url(&self.url),
        };
        format!("{} {path}", self.method)
    }

    /// The request to send for a redirect with `status` to `next`, as browsers do it: `303`, and
    /// `301`/`302` after anything but `HEAD`, become a `GET` without a body; `307`/`308` keep the
    /// method and the body.
    /// Credentials set by hand (`Authorization`, `Cookie`) are dropped when the origin changes.
    fn redirected(&self, status: u16, next: Url) -> HttpRequest {
        let mut r = self.clone();
        let same_origin = Url::parse(&self.url).is_ok_and(|u| u.origin() == next.origin());
        r.url = next.into();
        if !matches!(status, 307 | 308) {
            if r.method != Method::Head {
                r.method = Method::Get;
            }
            r.body = Body::Empty;
            r.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        }
        if !same_origin {
            r.headers.retain(|(n, _)| {
                !n.eq_ignore_ascii_case("authorization") && !n.eq_ignore_ascii_case("cookie")
            });
        }
        r
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let mut d = f.debug_struct("HttpRequest");
        d.field("method", &self.method)
            .field("url", &display_url(&self.url))
            .field("headers", &header_names);
        match &self.body {
            Body::Empty => {}
            Body::Form(form) => {
                let names: Vec<&str> = form.0.iter().map(|(n, _)| n.as_str()).collect();
                d.field("form", &names);
            }
            Body::Raw { content_type, text } => {
                d.field(
                    "body",
                    &format_args!("{content_type}, {} bytes", text.len()),
                );
            }
        }
        d.field("step", &self.step).finish()
    }
}

/// What [`HttpClient::send_following`] does with one redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectAction {
    /// Request the `Location`.
    Follow,
    /// Return this redirect response to the caller.
    Stop,
}

/// One HTTP response: status, URL, headers, names of the cookies set, and the body as text.
///
/// `Debug` shows the URL without its query and the body's length, never the body, which may hold
/// a SAML assertion.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    status: u16,
    url: String,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    body: String,
    step: String,
}

impl HttpResponse {
    /// A response built by hand, for tests of page handling; header names are lower-cased and
    /// `Set-Cookie` headers give the cookie names.
    pub fn new(
        status: u16,
        url: impl Into<String>,
        headers: Vec<(String, String)>,
        body: impl Into<String>,
    ) -> Self {
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect();
        let cookies = headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(['=', ';']).next())
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        let url = url.into();
        let step = HttpRequest::get(url.clone()).step_name();
        HttpResponse {
            status,
            url,
            headers,
            cookies,
            body: body.into(),
            step,
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The URL this response came from (after redirects, the last one requested).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The step name of the request that produced it.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// The headers, names lower-case, in the order received.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The names of the cookies this response set (including deletions), in order.
    pub fn set_cookie_names(&self) -> &[String] {
        &self.cookies
    }

    /// Whether this response set a cookie of that name (case-insensitive).
    pub fn sets_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// The body, decoded as UTF-8 (invalid bytes replaced).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body, taken out.
    pub fn into_body(mut self) -> String {
        std::mem::take(&mut self.body)
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether this is a redirect (301, 302, 303, 307, 308) with a `Location` header.
    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308) && self.header("location").is_some()
    }

    /// The `Location` header resolved against this response's URL.
    pub fn location(&self) -> Option<String> {
        self.location_url().ok().flatten().map(String::from)
    }

    fn location_url(&self) -> Result<Option<Url>, String> {
        let Some(location) = self.header("location") else {
            return Ok(None);
        };
        let base = Url::parse(&self.url).map_err(|e| e.to_string())?;
        let next = base.join(location.trim()).map_err(|e| e.to_string())?;
        if !matches!(next.scheme(), "http" | "https") {
            return Err(format!("unsupported scheme {:?}", next.scheme()));
        }
        Ok(Some(next))
    }

    /// `Ok` for a 2xx status, else [`IdpSupportError::Status`] naming the host and the step.
    ///
    /// # Errors
    /// As above.
    pub fn require_success(&self) -> Result<&Self, IdpSupportError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.status_error())
        }
    }

    /// `Ok` when the status is `expected`, else [`IdpSupportError::Status`].
    ///
    /// # Errors
    /// As above.
    pub fn require_status(&self, expected: u16) -> Result<&Self, IdpSupportError> {
        if self.status == expected {
            Ok(self)
        } else {
            Err(self.status_error())
        }
    }

    /// The [`IdpSupportError::Status`] for this response.
    pub fn status_error(&self) -> IdpSupportError {
        IdpSupportError::Status {
            host: Url::parse(&self.url)
                .map(|u| host_of(&u))
                .unwrap_or_else(|_| display_url(&self.url)),
            step: self.step.clone(),
            status: self.status,
        }
    }

    /// The [`IdpSupportError::UnexpectedPage`] for this response: the adapter does not know the page.
    pub fn unexpected_page(&self) -> IdpSupportError {
        IdpSupportError::unexpected_page(&self.url, self.step.clone())
    }

    /// The body parsed as HTML, with form actions resolved against this response's URL.
    pub fn html(&self) -> HtmlPage {
        HtmlPage::parse(&self.url, &self.body)
    }

    /// The provider-detection view of this response.
    pub fn probe(&self) -> ProbeResponse {
        ProbeResponse {
            status: self.status,
            headers: self.headers.clone(),
            cookies: self.cookies.clone(),
        }
    }
}

impl Drop for HttpResponse {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("url", &display_url(&self.url))
            .field("headers", &header_names)
            .field("cookies", &self.cookies)
            .field("body_len", &self.body.len())
            .field("step", &self.step)
            .finish()
    }
}

/// The HTTP client of one adapter, built from the [`HttpSettings`] the app hands in.
///
/// Adapters build it with [`HttpClient::from_deps`], so that every adapter of one login shares
/// one cookie jar in memory; [`HttpClient::new`] gives a client a jar of its own.
///
/// Cheap to clone (clones share the connection pool and the cookie jar).
/// Nothing is read from disk until the first request: the CA bundle, the system roots and the
/// cookie jar's file are loaded then, so an adapter that is built but not used costs nothing.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    settings: HttpSettings,
    clock: Arc<dyn Clock>,
    client: OnceLock<Result<reqwest::Client, IdpSupportError>>,
    jar: Arc<CookieJar>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.inner.settings;
        // The proxy URL may carry a user name and password.
        f.debug_struct("HttpClient")
            .field("timeout", &s.timeout)
            .field("proxy", &s.proxy.as_deref().map(display_url))
            .field("no_proxy", &s.no_proxy)
            .field("ca_bundle", &s.ca_bundle)
            .field("cookie_jar", &s.cookie_jar)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `settings` with a cookie jar of its own (kept in `settings.cookie_jar` when
    /// set); `clock` is the time `Expires` dates are read against.
    ///
    /// For provider detection and tests; adapters use [`HttpClient::from_deps`].
    /// A zero timeout means the default, 30 seconds.
    pub fn new(settings: HttpSettings, clock: Arc<dyn Clock>) -> Self {
        let jar = Arc::new(CookieJar::new(settings.cookie_jar.clone()));
        HttpClient::with_jar(settings, clock, jar)
    }

    /// The client an adapter uses: its settings and clock from `deps`, and the cookie jar of the
    /// login, kept in [`IdpDeps::session`].
    ///
    /// Every client built from deps that share a session (clones of one `IdpDeps`, as a
    /// [`Federation`](aws_runas_domain::ports::idp::Federation) hands on) shares one cookie jar in
    /// memory, whether or not a cookie file is configured: the session cookies an identity provider
    /// sets for one adapter are sent by the next, as when Azure AD hands a federated user to ADFS
    /// and then goes on with ADFS's session. The jar is loaded from, and saved to,
    /// `deps.http.cookie_jar` of the first client of the session.
    pub fn from_deps(deps: &IdpDeps) -> Self {
        let jar = deps
            .session
            .get_or_init(|| Arc::new(CookieJar::new(deps.http.cookie_jar.clone())))
            .unwrap_or_else(|| {
                log::warn!(
                    "the identity-provider session holds something other than a cookie jar; this client keeps its cookies to itself"
                );
                Arc::new(CookieJar::new(deps.http.cookie_jar.clone()))
            });
        HttpClient::with_jar(deps.http.clone(), deps.clock.clone(), jar)
    }

    fn with_jar(settings: HttpSettings, clock: Arc<dyn Clock>, jar: Arc<CookieJar>) -> Self {
        HttpClient {
            inner: Arc::new(Inner {
                settings,
                clock,
                client: OnceLock::new(),
                jar,
            }),
        }
    }

    /// The per-request timeout in force.
    pub fn timeout(&self) -> Duration {
        effective_timeout(&self.inner.settings)
    }

    /// Sends one request, without following a redirect.
    ///
    /// Cookies from the jar are added, and the cookies the response sets are stored (and saved,
    /// when the jar has a file), a redirect's as any other's.
    ///
    /// # Errors
    /// [`IdpSupportError`] for a bad URL or client setting, or a network failure naming the host
    /// and the step; an HTTP error status is *not* an error here (see
    /// [`HttpResponse::require_success`]).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, IdpSupportError> {
        let url = parse_url(&request.url)?;
        let step = request.step_name();
        let host = host_of(&url);
        let timeout = self.timeout();
        let client = self.client()?;
        let mut builder = client.request(request.method.to_reqwest(), url.clone());
        let mut cookie_header = self.inner.jar.header_for(&url);
        for (name, value) in &request.headers {
            if name.eq_ignore_ascii_case("cookie") {
                cookie_header = Some(match cookie_header {
                    Some(jar) => format!("{value}; {jar}"),
                    None => value.clone(),
                });
            } else {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        if let Some(cookies) = cookie_header {
            builder = builder.header("cookie", cookies);
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Form(form) => builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode_form(&form.0)),
            Body::Raw { content_type, text } => builder
                .header("content-type", content_type.as_str())
                .body(text.clone()),
        };
        log::debug!("{} {}", request.method, display_url(url.as_str()));
        let mut response = builder
            .send()
            .await
            .map_err(|e| network_error(e, &host, &step, timeout))?;

        let status = response.status().as_u16();
        let mut headers = Vec::with_capacity(response.headers().len());
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers.push((name.as_str().to_string(), value));
        }
        let set_cookies = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| v.as_bytes());
        let cookies = self
            .inner
            .jar
            .store(&url, set_cookies, self.inner.clock.now());

        let mut bytes: Vec<u8> = vec![];
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| network_error(e, &host, &step, timeout))?
        {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(IdpSupportError::Body {
                    host,
                    step,
                    detail: format!("the answer is larger than {} MiB", MAX_BODY / 1024 / 1024),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        bytes.zeroize();
        log::debug!(
            "{} {} -> {status}",
            request.method,
            display_url(url.as_str())
        );
        Ok(HttpResponse {
            status,
            url: url.into(),
            headers,
            cookies,
            body,
            step,
        })
    }

    /// Sends a request and follows redirects, asking `decide` at each one.
    ///
    /// `decide` sees every redirect response (its [`HttpResponse::location`] is absolute); on
    /// [`RedirectAction::Stop`] that response is returned.
    /// A response that is not a redirect ends the loop.
    ///
    /// # Errors
    /// As [`HttpClient::send`]; [`IdpSupportError::TooManyRedirects`] after [`MAX_REDIRECTS`]
    /// redirects; [`IdpSupportError::BadRedirect`] for a `Location` that does not resolve to an
    /// `http`/`https` URL or that leaves `https` for `http`.
    pub async fn send_following<F>(
        &self,
        request: HttpRequest,
        mut decide: F,
    ) -> Result<HttpResponse, IdpSupportError>
    where
        F: FnMut(&HttpResponse) -> RedirectAction + Send,
    {
        let first = display_url(&request.url);
        let step = request.step_name();
        let mut request = request;
        let mut followed = 0;
        loop {
            let response = self.send(request.clone()).await?;
            if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
                return Ok(response);
            }
            let next = match response.location_url() {
                Ok(Some(next)) => next,
                Ok(None) => return Ok(response),
                Err(detail) => {
                    return Err(IdpSupportError::BadRedirect {
                        url: display_url(&response.url),
                        step: response.step.clone(),
                        detail,
                    });
                }
            };
            if decide(&response) == RedirectAction::Stop {
                return Ok(response);
            }
            // A page served over TLS never hands the login (cookies, forms) to plain HTTP; a
            // caller that wants such a hop (a loopback redirect_uri) stops at it above.
            if response.url.starts_with("https:") && next.scheme() == "http" {
                return Err(IdpSupportError::BadRedirect {
                    url: display_url(&response.url),
                    step: response.step.clone(),
                    detail: format!(
                        "refusing to leave https for the unencrypted {}",
                        display_url(next.as_str())
                    ),
                });
            }
            if followed == MAX_REDIRECTS {
                return Err(IdpSupportError::TooManyRedirects {
                    url: first,
                    step,
                    max: MAX_REDIRECTS,
                });
            }
            followed += 1;
            request = request.redirected(response.status, next);
        }
    }

    /// Sends a request and follows every redirect (up to [`MAX_REDIRECTS`]).
    ///
    /// # Errors
    /// As [`HttpClient::send_following`].
    pub async fn follow(&self, request: HttpRequest) -> Result<HttpResponse, IdpSupportError> {
        self.send_following(request, |_| RedirectAction::Follow)
            .await
    }

    /// One provider-detection probe: `HEAD url` following redirects, retried once as `GET` when
    /// the `HEAD` times out or is refused (405, 501); the cookies set along the way are all listed.
    ///
    /// # Errors
    /// As [`HttpClient::send_following`].
    pub async fn probe(&self, url: &str) -> Result<ProbeResponse, IdpSupportError> {
        let mut cookies: Vec<String> = vec![];
        let collect = |cookies: &mut Vec<String>, r: &HttpResponse| {
            cookies.extend(r.set_cookie_names().iter().cloned());
        };
        let head = self
            .send_following(
                HttpRequest::head(url).step("probing the identity provider"),
                |r| {
                    collect(&mut cookies, r);
                    RedirectAction::Follow
                },
            )
            .await;
        let response = match head {
            Ok(r) if !matches!(r.status(), 405 | 501) => r,
            Err(e) if !e.is_timeout() => return Err(e),
            _ => {
                self.send_following(
                    HttpRequest::get(url).step("probing the identity provider"),
                    |r| {
                        collect(&mut cookies, r);
                        RedirectAction::Follow
                    },
                )
                .await?
            }
        };
        collect(&mut cookies, &response);
        let mut probe = response.probe();
        probe.cookies = cookies;
        Ok(probe)
    }

    /// The names of the jar's cookies that a request to `url` would carry.
    pub fn cookie_names(&self, url: &str) -> Vec<String> {
        let Ok(url) = Url::parse(url) else {
            return vec![];
        };
        self.inner.jar.names_for(&url)
    }

    fn client(&self) -> Result<reqwest::Client, IdpSupportError> {
        self.inner
            .client
            .get_or_init(|| build_client(&self.inner.settings))
            .clone()
    }
}

fn effective_timeout(settings: &HttpSettings) -> Duration {
    if settings.timeout.is_zero() {
        DEFAULT_TIMEOUT
    } else {
        settings.timeout
    }
}

fn parse_url(raw: &str) -> Result<Url, IdpSupportError> {
    let bad = |detail: String| IdpSupportError::InvalidUrl {
        url: display_url(raw),
        detail,
    };
    let url = Url::parse(raw.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("expected http:// or https://".to_string()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".to_string()));
    }
    Ok(url)
}

fn encode_form(fields: &[(String, String)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// The innermost cause of a `reqwest` error, without the URL reqwest adds to its own message.
fn network_error(e: reqwest::Error, host: &str, step: &str, timeout: Duration) -> IdpSupportError {
    let (host, step) = (host.to_string(), step.to_string());
    if e.is_timeout() {
        return IdpSupportError::Timeout {
            host,
            step,
            timeout,
        };
    }
    let body = e.is_body() || e.is_decode();
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if body {
        IdpSupportError::Body { host, step, detail }
    } else {
        IdpSupportError::Connect { host, step, detail }
    }
}

fn build_client(settings: &HttpSettings) -> Result<reqwest::Client, IdpSupportError> {
    let timeout = effective_timeout(settings);
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("aws-runas/", env!("CARGO_PKG_VERSION")))
        // Only the proxy handed in counts: the environment is read by the app, not here.
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
        let bad = |detail: String| IdpSupportError::Proxy {
            proxy: display_url(&url),
            detail,
        };
        let parsed = Url::parse(&url).map_err(|e| bad(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad(format!(
                "unsupported proxy scheme {:?}",
                parsed.scheme()
            )));
        }
        let no_proxy = settings
            .no_proxy
            .as_deref()
            .and_then(reqwest::NoProxy::from_string);
        let proxy = reqwest::Proxy::all(url.as_str())
            .map_err(|e| bad(e.without_url().to_string()))?
            .no_proxy(no_proxy);
        builder = builder.proxy(proxy);
    }
    if let Some(path) = &settings.ca_bundle {
        builder = builder.tls_certs_merge(read_ca_bundle(path)?);
    }
    builder.build().map_err(|e| IdpSupportError::Client {
        detail: e.without_url().to_string(),
    })
}

/// Reads and checks the extra roots; a file reqwest would reject is refused here with a message
/// naming it.
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, IdpSupportError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    let bad = |detail: String| IdpSupportError::CaBundle {
        path: path.to_path_buf(),
        detail,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let ders = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not a PEM certificate file: {e}")))?;
    if ders.is_empty() {
        return Err(bad("no certificate found".to_string()));
    }
    ders.iter()
        .enumerate()
        .map(|(i, der)| {
            reqwest::Certificate::from_der(der)
                .map_err(|e| bad(format!("certificate {}: {}", i + 1, e.without_url())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_shows_no_values() {
        let r = HttpRequest::post("https://idp.example.com/login?session=abc")
            .header("Authorization", "Bearer t0ken")
            .form([("username", "jane"), ("password", "hunter2")])
            .step("posting the password");
        let shown = format!("{r:?}");
        for secret in ["abc", "t0ken", "jane", "hunter2"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("password") && shown.contains("Authorization"),
            "{shown}"
        );
        assert_eq!(r.step_name(), "posting the password");
        assert_eq!(HttpRequest::get("http://h/a/b?x=1").step_name(), "GET /a/b");
    }

    #[test]
    fn client_debug_hides_the_proxy_password() {
        let c = HttpClient::new(
            HttpSettings {
                timeout: Duration::from_secs(1),
                proxy: Some("http://bob:hunter2@proxy.example.com:3128".into()),
                no_proxy: None,
                ca_bundle: None,
                cookie_jar: None,
            },
            Arc::new(aws_runas_domain::ports::clock::FixedClock(
                aws_runas_domain::Timestamp::from_unix(0),
            )),
        );
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("proxy.example.com:3128"),
            "{shown}"
        );
    }

    #[test]
    fn redirects_turn_into_gets_except_307_and_308() {
        let r = HttpRequest::post("https://idp.example.com/login")
            .header("Content-Type", "x")
            .header("Authorization", "Basic x")
            .form([("a", "b")]);
        let next = Url::parse("https://idp.example.com/next").unwrap();
        let g = r.redirected(302, next.clone());
        assert_eq!(g.method(), Method::Get);
        assert!(g.form_fields().is_none());
        assert_eq!(g.headers().len(), 1);
        let p = r.redirected(307, next);
        assert_eq!(p.method(), Method::Post);
        assert!(p.form_fields().is_some());
        let other = r.redirected(308, Url::parse("https://elsewhere.example.com/").unwrap());
        assert!(
            !other
                .headers()
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        );
        let head =
            HttpRequest::head("http://h/").redirected(301, Url::parse("http://h/x").unwrap());
        assert_eq!(head.method(), Method::Head);
    }

    #[test]
    fn response_helpers() {
        let r = HttpResponse::new(
            302,
            "https://idp.example.com/a/b?x=1",
            vec![
                ("Location".into(), "../c?y=2".into()),
                ("Set-Cookie".into(), "KC_RESTART=abc; Path=/".into()),
            ],
            "SAMLResponse secret body",
        );
        assert!(r.is_redirect() && !r.is_success());
        assert_eq!(
            r.location().as_deref(),
            Some("https://idp.example.com/c?y=2")
        );
        assert!(r.sets_cookie("kc_restart"));
        assert_eq!(r.header("LOCATION"), Some("../c?y=2"));
        assert_eq!(
            r.require_success().unwrap_err().to_string(),
            "idp.example.com answered http status 302 during GET /a/b"
        );
        assert!(r.require_status(302).is_ok());
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("x=1"),
            "{shown}"
        );
        let probe = r.probe();
        assert!(probe.has_cookie("KC_RESTART") && probe.header("location").is_some());
        let js = HttpResponse::new(
            302,
            "https://h/",
            vec![("location".into(), "javascript:x".into())],
            "",
        );
        assert_eq!(js.location(), None);
    }

    #[test]
    fn forms_are_url_encoded() {
        assert_eq!(
            encode_form(&[("a b".into(), "x&y=z".into()), ("p".into(), "ü+".into())]),
            "a+b=x%26y%3Dz&p=%C3%BC%2B"
        );
    }

    #[test]
    fn urls_must_be_http() {
        assert!(parse_url("https://idp.example.com/x").is_ok());
        let e = parse_url("ftp://idp.example.com/x?token=s3cr3t").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid url ftp://idp.example.com/x: expected http:// or https://"
        );
        assert!(parse_url("nope").is_err());
    }
}

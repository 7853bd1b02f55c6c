//! The one error type of the support crate and its conversion into the port's `IdpError`.
//!
//! Every message names the host (or the file, or the setting) at fault and the step of the login
//! that failed.
//! URLs are shown without their query and fragment, because IdPs put one-time codes, SAML requests
//! and state tokens there.

use aws_runas_domain::ports::idp::IdpError;
use std::path::PathBuf;
use std::time::Duration;

/// What went wrong while talking to an identity provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdpSupportError {
    /// A URL handed in by the configuration or the adapter does not parse.
    #[error("invalid url {url}: {detail}")]
    InvalidUrl {
        /// The URL, query removed.
        url: String,
        /// Why it does not parse.
        detail: String,
    },
    /// The proxy setting (`HTTPS_PROXY` / `HTTP_PROXY`) is unusable.
    #[error("invalid proxy {proxy}: {detail}")]
    Proxy {
        /// The proxy URL with any user name and password removed.
        proxy: String,
        /// Why it is unusable.
        detail: String,
    },
    /// The CA bundle (`AWS_CA_BUNDLE`) cannot be read or holds no usable certificate.
    #[error("cannot use CA bundle {}: {detail}", path.display())]
    CaBundle {
        /// The bundle file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The HTTP client itself could not be set up.
    #[error("cannot set up the http client: {detail}")]
    Client {
        /// The reason.
        detail: String,
    },
    /// The host could not be reached (DNS, refused connection, TLS failure).
    #[error("cannot reach {host} during {step}: {detail}")]
    Connect {
        /// `host` or `host:port`.
        host: String,
        /// The step of the login.
        step: String,
        /// The innermost cause.
        detail: String,
    },
    /// The host did not answer within the configured timeout.
    #[error("request to {host} timed out after {timeout:?} during {step}")]
    Timeout {
        /// `host` or `host:port`.
        host: String,
        /// The step of the login.
        step: String,
        /// The configured per-request timeout.
        timeout: Duration,
    },
    /// The answer could not be read completely.
    #[error("cannot read the answer of {host} during {step}: {detail}")]
    Body {
        /// `host` or `host:port`.
        host: String,
        /// The step of the login.
        step: String,
        /// The reason.
        detail: String,
    },
    /// The host answered with an HTTP status the step cannot use.
    #[error("{host} answered http status {status} during {step}")]
    Status {
        /// `host` or `host:port`.
        host: String,
        /// The step of the login.
        step: String,
        /// The HTTP status code.
        status: u16,
    },
    /// A redirect points somewhere unusable (no or a malformed `Location`).
    #[error("bad redirect from {url} during {step}: {detail}")]
    BadRedirect {
        /// The URL that redirected, query removed.
        url: String,
        /// The step of the login.
        step: String,
        /// What is wrong with the redirect.
        detail: String,
    },
    /// More redirects in a row than [`MAX_REDIRECTS`](crate::MAX_REDIRECTS).
    #[error("more than {max} redirects starting at {url} during {step}")]
    TooManyRedirects {
        /// The first URL, query removed.
        url: String,
        /// The step of the login.
        step: String,
        /// The bound.
        max: usize,
    },
    /// The IdP sent a page the adapter does not know how to handle.
    #[error("unrecognised page at {url} during {step}")]
    UnexpectedPage {
        /// The page's URL, query removed.
        url: String,
        /// The step of the login.
        step: String,
    },
}

impl IdpSupportError {
    /// An [`IdpSupportError::UnexpectedPage`] for `url` (its query is dropped here).
    pub fn unexpected_page(url: &str, step: impl Into<String>) -> Self {
        IdpSupportError::UnexpectedPage {
            url: display_url(url),
            step: step.into(),
        }
    }

    /// Whether the error is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, IdpSupportError::Timeout { .. })
    }
}

impl From<IdpSupportError> for IdpError {
    /// The kind says what the caller can do; host and step become the error's own fields, and
    /// the innermost cause (a connection or read failure) its source.
    fn from(e: IdpSupportError) -> Self {
        match e {
            IdpSupportError::InvalidUrl { .. }
            | IdpSupportError::Proxy { .. }
            | IdpSupportError::CaBundle { .. } => IdpError::configuration(&e),
            IdpSupportError::Client { .. } => IdpError::unavailable(&e),
            IdpSupportError::Connect { host, step, detail } => {
                IdpError::unavailable("cannot connect")
                    .at_host(host)
                    .at_step(step)
                    .with_source(Cause(detail))
            }
            IdpSupportError::Timeout {
                host,
                step,
                timeout,
            } => IdpError::unavailable(format!("request timed out after {timeout:?}"))
                .at_host(host)
                .at_step(step),
            IdpSupportError::Body { host, step, detail } => {
                IdpError::unavailable("cannot read the answer")
                    .at_host(host)
                    .at_step(step)
                    .with_source(Cause(detail))
            }
            IdpSupportError::Status { host, step, status } => {
                IdpError::unavailable(format!("answered http status {status}"))
                    .at_host(host)
                    .at_step(step)
            }
            IdpSupportError::BadRedirect { url, step, detail } => {
                IdpError::unexpected_page(format!("bad redirect from {url}: {detail}"))
                    .at_step(step)
            }
            IdpSupportError::TooManyRedirects { url, step, max } => {
                IdpError::unexpected_page(format!("more than {max} redirects starting at {url}"))
                    .at_step(step)
            }
            IdpSupportError::UnexpectedPage { url, step } => {
                IdpError::unexpected_page(format!("unrecognised page at {url}")).at_step(step)
            }
        }
    }
}

/// The innermost cause of a failure, kept as an error's source.
#[derive(Debug)]
struct Cause(String);

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Cause {}

/// A URL fit for a message: scheme, host, port and path, without user info, query or fragment.
///
/// Text that is not a URL is cut at the first `?` or `#`, and loses everything up to an `@`.
pub fn display_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.has_host() => {
            let mut out = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
            if let Some(port) = u.port() {
                out.push_str(&format!(":{port}"));
            }
            out.push_str(u.path());
            out
        }
        _ => {
            let cut = url.split(['?', '#']).next().unwrap_or_default();
            // Whatever it is, never show what could be a user name and password.
            match cut.rfind('@') {
                Some(at) => cut[at + 1..].to_string(),
                None => cut.to_string(),
            }
        }
    }
}

/// `host` or `host:port` of a parsed URL, for messages.
pub(crate) fn host_of(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("unknown host");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    #[test]
    fn urls_in_messages_lose_query_fragment_and_user_info() {
        assert_eq!(
            display_url("https://bob:hunter2@idp.example.com:8443/saml?SAMLRequest=abc#x"),
            "https://idp.example.com:8443/saml"
        );
        assert_eq!(display_url("not a url?code=1"), "not a url");
        assert_eq!(display_url("bob:hunter2@proxy:3128"), "proxy:3128");
        let e = IdpSupportError::unexpected_page("http://127.0.0.1:9/x?code=s3cr3t", "login");
        assert_eq!(
            e.to_string(),
            "unrecognised page at http://127.0.0.1:9/x during login"
        );
    }

    #[test]
    fn conversion_sorts_configuration_from_provider_problems() {
        let cfg = IdpSupportError::CaBundle {
            path: "/tmp/ca.pem".into(),
            detail: "no certificate found".into(),
        };
        assert_eq!(
            IdpError::from(cfg),
            IdpError::configuration("cannot use CA bundle /tmp/ca.pem: no certificate found")
        );
        let status = IdpError::from(IdpSupportError::Status {
            host: "idp.example.com".into(),
            step: "posting the password".into(),
            status: 503,
        });
        assert_eq!(status.kind(), IdpErrorKind::Unavailable);
        assert_eq!(status.host(), Some("idp.example.com"));
        assert_eq!(status.step(), Some("posting the password"));
        assert_eq!(
            status.to_string(),
            "idp.example.com: answered http status 503 during posting the password"
        );
        let t = IdpSupportError::Timeout {
            host: "h:1".into(),
            step: "GET /".into(),
            timeout: Duration::from_millis(500),
        };
        assert!(t.is_timeout());
        assert_eq!(
            t.to_string(),
            "request to h:1 timed out after 500ms during GET /"
        );
        assert_eq!(
            IdpError::from(t).to_string(),
            "h:1: request timed out after 500ms during GET /"
        );
        let refused = IdpError::from(IdpSupportError::Connect {
            host: "h:2".into(),
            step: "opening the login page".into(),
            detail: "connection refused".into(),
        });
        assert_eq!(refused.kind(), IdpErrorKind::Unavailable);
        assert_eq!(
            std::error::Error::source(&refused).map(ToString::to_string),
            Some("connection refused".to_string())
        );
        let page = IdpError::from(IdpSupportError::unexpected_page("http://h/x?c=1", "login"));
        assert_eq!(page.kind(), IdpErrorKind::UnexpectedPage);
        assert_eq!(
            page.to_string(),
            "unrecognised page at http://h/x during login"
        );
    }
}

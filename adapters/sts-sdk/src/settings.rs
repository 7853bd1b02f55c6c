//! The plain settings the app fills in to build the STS and IAM adapters.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Where and how to reach AWS: everything the app resolves from flags, profile and environment.
///
/// The adapters read no environment variable and no file besides `ca_bundle`: the app decides
/// each value (for example the STS endpoint from `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`,
/// then the profile's `endpoint_url`) and passes the result.
/// The SDK's service builders used here do not read those variables themselves.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The configured region (`--region`, `AWS_REGION`, the profile's `region`).
    ///
    /// `None` lets the request decide: for STS the role ARN's partition picks its default region
    /// (`aws` → `us-east-1`, `aws-cn` → `cn-north-1`, `aws-us-gov` → `us-gov-west-1`), and calls
    /// without an ARN use `us-east-1`; IAM uses `us-east-1`.
    pub region: Option<String>,
    /// An explicit STS endpoint URL, e.g. `https://sts.example.com` or `http://127.0.0.1:5055`.
    pub sts_endpoint: Option<String>,
    /// An explicit IAM endpoint URL; without it the SDK's resolution for the region applies.
    pub iam_endpoint: Option<String>,
    /// The proxy for `https://` requests, e.g. `http://proxy:3128` (a value without a scheme
    /// means `http://`). May carry `user:password@` for basic authentication.
    pub https_proxy: Option<String>,
    /// Hosts that bypass the proxy, comma-separated as in `NO_PROXY`.
    pub no_proxy: Option<String>,
    /// A PEM file of extra trusted root certificates, added to the system's roots.
    pub ca_bundle: Option<PathBuf>,
    /// The limit on one whole operation, retries included.
    pub operation_timeout: Duration,
    /// The limit on establishing one TCP connection.
    pub connect_timeout: Duration,
    /// How many times a call is attempted on transient failures: `3` is the SDK's standard,
    /// `1` disables retries.
    pub max_attempts: u32,
}

impl fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSettings")
            .field("region", &self.region)
            .field("sts_endpoint", &self.sts_endpoint)
            .field("iam_endpoint", &self.iam_endpoint)
            .field(
                "https_proxy",
                &self.https_proxy.as_deref().map(redact_userinfo),
            )
            .field("no_proxy", &self.no_proxy)
            .field("ca_bundle", &self.ca_bundle)
            .field("operation_timeout", &self.operation_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// A URL with any `user:password@` part replaced, so a proxy password is never shown.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}** redacted **@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_passwords_are_redacted() {
        assert_eq!(
            redact_userinfo("http://bob:hunter2@proxy:3128"),
            "http://** redacted **@proxy:3128"
        );
        assert_eq!(
            redact_userinfo("bob:hunter2@proxy:3128/x"),
            "** redacted **@proxy:3128/x"
        );
        assert_eq!(
            redact_userinfo("http://proxy:3128/a@b"),
            "http://proxy:3128/a@b"
        );
        assert_eq!(redact_userinfo("http://proxy:3128"), "http://proxy:3128");
    }

    #[test]
    fn debug_hides_the_proxy_password() {
        let settings = AwsSettings {
            region: None,
            sts_endpoint: None,
            iam_endpoint: None,
            https_proxy: Some("http://bob:hunter2@proxy:3128".into()),
            no_proxy: None,
            ca_bundle: None,
            operation_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            max_attempts: 1,
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy:3128"), "{shown}");
    }
}

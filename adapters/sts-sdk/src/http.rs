//! The HTTP client shared by every call of one adapter: rustls, the proxy, the CA bundle and the
//! connect timeout, built once on the first call.
//!
//! Building it loads the system's root certificates and reads the CA bundle, which costs
//! milliseconds; a run that is served from the credential cache must not pay that, so the
//! adapters hold a [`LazyHttpClient`] and only touch it when they send a request.

use crate::settings::{AwsSettings, redact_userinfo};
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::{
    HttpConnectorSettings, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use std::sync::OnceLock;

/// An HTTP client built on first use; a failure to build it is kept and reported on every call.
#[derive(Debug, Default)]
pub(crate) struct LazyHttpClient {
    cell: OnceLock<Result<SharedHttpClient, String>>,
}

impl LazyHttpClient {
    /// The client, built now if this is the first call.
    ///
    /// # Errors
    /// A message naming the CA bundle or proxy setting at fault.
    pub(crate) fn get(&self, settings: &AwsSettings) -> Result<SharedHttpClient, String> {
        self.cell.get_or_init(|| build(settings)).clone()
    }
}

fn build(settings: &AwsSettings) -> Result<SharedHttpClient, String> {
    let mut trust = TrustStore::default();
    if let Some(path) = &settings.ca_bundle {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read CA bundle {}: {e}", path.display()))?;
        check_pem_roots(&pem).map_err(|e| format!("CA bundle {}: {e}", path.display()))?;
        trust = trust.with_pem_certificate(pem);
    }
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let connector = Connector::builder()
        .connector_settings(
            HttpConnectorSettings::builder()
                .connect_timeout(settings.connect_timeout)
                .build(),
        )
        .proxy_config(proxy_config(settings)?)
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build();
    let connector = SharedHttpConnector::new(connector);
    // One connector for every call: the timeouts are fixed per adapter, and sharing it keeps
    // connections alive between calls (IAM pagination makes several in a row).
    Ok(http_client_fn(move |_settings, _components| {
        connector.clone()
    }))
}

/// The proxy for `https://` requests, or none.
fn proxy_config(settings: &AwsSettings) -> Result<ProxyConfig, String> {
    let Some(proxy) = settings
        .https_proxy
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return Ok(ProxyConfig::disabled());
    };
    let url = if proxy.contains("://") {
        proxy.to_string()
    } else {
        format!("http://{proxy}")
    };
    let config = ProxyConfig::https(url.as_str())
        .map_err(|e| format!("https proxy {}: {e}", redact_userinfo(&url)))?;
    Ok(
        match settings
            .no_proxy
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(rules) => config.no_proxy(rules),
            None => config,
        },
    )
}

/// Checks that `pem` holds at least one certificate usable as a trust anchor.
///
/// The HTTP client panics on a bundle it cannot parse, so the bundle is checked here first with
/// the same parser and the same trust-anchor conversion.
fn check_pem_roots(pem: &[u8]) -> Result<(), String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate found".to_string());
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| format!("certificate {} is not usable as a root: {e}", i + 1))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A self-signed test root (public certificate only; its key was thrown away).
    const TEST_ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBlDCCATmgAwIBAgIUG8Bn37zFx3+L9BAJBG6w3f5vxsIwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTYXdzLXJ1bmFzIHRlc3Qgcm9vdDAgFw0yNjExMjQwNTQ2MzNa
GA8yMTI2MTAzMTA1NDYzM1owHjEcMBoGA1UEAwwTYXdzLXJ1bmFzIHRlc3Qgcm9v
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABEgZ0m3nQFXHmJCKl3pW0kRFhXj9
IAdvpLooxcgFVKxukuELhCnRdcOTTITBy9YYCFwU+JMvlfHNYNI1fJQNdACjUzBR
MB0GA1UdDgQWBBSMH0JnYGltC8dXPSmCcvTzksUhVDAfBgNVHSMEGDAWgBSMH0Jn
YGltC8dXPSmCcvTzksUhVDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kA
MEYCIQCJcrcjkhIlXqcpg6mXjWmJCn41a+Dq+fT8PjhpNhaLyQIhAPmX2vVTpYQK
Ih5c6+OpRalH0j4qLe7bdUVilktW913W
-----END CERTIFICATE-----
";

    fn settings(proxy: Option<&str>, no_proxy: Option<&str>) -> AwsSettings {
        AwsSettings {
            region: None,
            sts_endpoint: None,
            iam_endpoint: None,
            https_proxy: proxy.map(String::from),
            no_proxy: no_proxy.map(String::from),
            ca_bundle: None,
            operation_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            max_attempts: 1,
        }
    }

    #[test]
    fn pem_roots_are_checked_before_the_client_sees_them() {
        assert_eq!(check_pem_roots(TEST_ROOT.as_bytes()), Ok(()));
        let two = format!("# comment\n{TEST_ROOT}\n{TEST_ROOT}");
        assert_eq!(check_pem_roots(two.as_bytes()), Ok(()));
        assert_eq!(
            check_pem_roots(b"hello").unwrap_err(),
            "no certificate found"
        );
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = check_pem_roots(garbage.as_bytes()).unwrap_err();
        assert!(
            err.starts_with("certificate 1 is not usable as a root"),
            "{err}"
        );
    }

    #[test]
    fn proxy_settings() {
        assert!(
            proxy_config(&settings(None, Some("x")))
                .unwrap()
                .is_disabled()
        );
        assert!(
            proxy_config(&settings(Some("  "), None))
                .unwrap()
                .is_disabled()
        );
        assert!(
            !proxy_config(&settings(Some("proxy:3128"), Some("localhost")))
                .unwrap()
                .is_disabled()
        );
        assert!(
            !proxy_config(&settings(Some("https://proxy:3128"), None))
                .unwrap()
                .is_disabled()
        );
        let err =
            proxy_config(&settings(Some("socks5://bob:hunter2@proxy:1080"), None)).unwrap_err();
        assert!(err.contains("unsupported proxy scheme"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

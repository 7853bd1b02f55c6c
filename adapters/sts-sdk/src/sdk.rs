//! The parts of the per-call SDK configuration that STS and IAM share.

use crate::settings::AwsSettings;
use aws_credential_types::Credentials as SdkCredentials;
use aws_runas_domain::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

/// The provider name the SDK records for the credentials we hand it.
const PROVIDER_NAME: &str = "aws-runas";

/// HTTP client, timeouts and retries for one call.
#[derive(Debug)]
pub(crate) struct SdkOptions {
    /// The adapter's shared HTTP client.
    pub(crate) http_client: SharedHttpClient,
    /// Operation and connect timeouts.
    pub(crate) timeouts: TimeoutConfig,
    /// Standard retries with the configured number of attempts.
    pub(crate) retries: RetryConfig,
}

impl SdkOptions {
    /// The options for `settings`, using `http_client`.
    pub(crate) fn new(settings: &AwsSettings, http_client: SharedHttpClient) -> Self {
        SdkOptions {
            http_client,
            timeouts: TimeoutConfig::builder()
                .operation_timeout(settings.operation_timeout)
                .connect_timeout(settings.connect_timeout)
                .build(),
            retries: RetryConfig::standard().with_max_attempts(settings.max_attempts.max(1)),
        }
    }
}

/// The SDK's static credentials for `creds`.
///
/// The expiry is left out on purpose: the SDK only uses it to decide when to ask the provider
/// again, and the caller already decided these credentials are the ones to sign with.
pub(crate) fn static_credentials(creds: &Credentials) -> SdkCredentials {
    SdkCredentials::new(
        creds.access_key_id(),
        creds.secret_access_key().expose(),
        creds.session_token().map(|t| t.expose().to_string()),
        None,
        PROVIDER_NAME,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;

    #[test]
    fn static_credentials_carry_the_keys() {
        let creds = Credentials::new(
            "ASIAFAKE",
            Secret::new("s3cr3t"),
            Some(Secret::new("t0ken")),
            None,
        );
        let sdk = static_credentials(&creds);
        assert_eq!(sdk.access_key_id(), "ASIAFAKE");
        assert_eq!(sdk.secret_access_key(), "s3cr3t");
        assert_eq!(sdk.session_token(), Some("t0ken"));
        assert!(!format!("{sdk:?}").contains("s3cr3t"));
    }
}

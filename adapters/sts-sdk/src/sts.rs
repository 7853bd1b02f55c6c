//! [`SdkSts`]: the `Sts` port over `aws-sdk-sts`.
//!
//! Every call builds its own small SDK configuration: the region (or explicit endpoint) for this
//! request, the shared HTTP client, the timeouts, and for signed calls a static credentials
//! provider holding exactly the credentials passed in. There is no default credential chain
//! anywhere, so nothing is read from `~/.aws` or the environment.

use crate::errors::Failure;
use crate::http::LazyHttpClient;
use crate::region::{explicit, sts_endpoint_url, sts_region};
use crate::sdk::{SdkOptions, static_credentials};
use crate::settings::AwsSettings;
use aws_runas_domain::ports::sts::{
    AssumeRoleRequest, CallerIdentity, FederationTokenRequest, SamlRoleRequest,
    SessionTokenRequest, Sts, StsError, WebIdentityRoleRequest,
};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use aws_sdk_sts::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::error::Error;
use std::future::Future;

/// The AWS Security Token Service through the AWS SDK for Rust.
///
/// Construction only stores the settings; the HTTP client (TLS roots, CA bundle, proxy) is built
/// on the first call.
#[derive(Debug)]
pub struct SdkSts {
    settings: AwsSettings,
    http: LazyHttpClient,
}

impl SdkSts {
    /// An STS adapter for these settings. Cheap: no I/O, no client is built yet.
    pub fn new(settings: AwsSettings) -> Self {
        SdkSts {
            settings,
            http: LazyHttpClient::default(),
        }
    }

    /// Runs one STS operation: builds the client for `partition` (signed with `creds` when given),
    /// calls `send` with it and maps its error.
    async fn call<T, E, F, Fut>(
        &self,
        operation: &str,
        creds: Option<&Credentials>,
        partition: Option<&str>,
        send: F,
    ) -> Result<T, StsError>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + Error + 'static,
    {
        let region = sts_region(&self.settings, partition);
        let endpoint = explicit(self.settings.sts_endpoint.as_deref());
        let http = self
            .http
            .get(&self.settings)
            .map_err(|message| StsError::Unexpected {
                operation: operation.to_string(),
                message,
            })?;
        let options = SdkOptions::new(&self.settings, http);
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(region.clone()))
            .http_client(options.http_client)
            .timeout_config(options.timeouts)
            .retry_config(options.retries)
            .identity_cache(aws_sdk_sts::config::IdentityCache::no_cache());
        if let Some(creds) = creds {
            config = config.credentials_provider(static_credentials(creds));
        }
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = Client::from_conf(config.build());
        match send(client).await {
            Ok(out) => Ok(out),
            Err(err) => {
                let url = sts_endpoint_url(endpoint, &region).await;
                Err(Failure::from_sdk(&err).into_sts(operation, &url))
            }
        }
    }
}

/// STS's `DurationSeconds` is a 32-bit number; the domain has already clamped the value, so this
/// only guards the conversion.
fn duration(secs: i64) -> i32 {
    i32::try_from(secs.clamp(0, i64::from(i32::MAX))).unwrap_or(i32::MAX)
}

/// The domain's credentials out of STS's.
fn convert(
    operation: &str,
    creds: Option<&aws_sdk_sts::types::Credentials>,
) -> Result<Credentials, StsError> {
    let creds = creds.ok_or_else(|| StsError::Unexpected {
        operation: operation.to_string(),
        message: "the answer holds no credentials".to_string(),
    })?;
    Ok(Credentials::new(
        creds.access_key_id(),
        Secret::new(creds.secret_access_key()),
        Some(Secret::new(creds.session_token())),
        Some(Timestamp::from_unix(creds.expiration().secs())),
    ))
}

#[async_trait::async_trait]
impl Sts for SdkSts {
    async fn get_session_token(
        &self,
        creds: &Credentials,
        req: &SessionTokenRequest,
    ) -> Result<Credentials, StsError> {
        const OP: &str = "sts:GetSessionToken";
        let out = self
            .call(OP, Some(creds), None, |client| {
                let mut call = client
                    .get_session_token()
                    .duration_seconds(duration(req.duration_secs));
                if let Some(mfa) = &req.mfa {
                    call = call
                        .serial_number(&mfa.serial)
                        .token_code(mfa.code.expose());
                }
                call.send()
            })
            .await?;
        convert(OP, out.credentials())
    }

    async fn assume_role(
        &self,
        creds: &Credentials,
        req: &AssumeRoleRequest,
    ) -> Result<Credentials, StsError> {
        const OP: &str = "sts:AssumeRole";
        let out = self
            .call(OP, Some(creds), Some(req.role_arn.partition()), |client| {
                let mut call = client
                    .assume_role()
                    .role_arn(req.role_arn.as_str())
                    .role_session_name(req.session_name.as_str())
                    .duration_seconds(duration(req.duration_secs))
                    .set_external_id(req.external_id.clone());
                if let Some(mfa) = &req.mfa {
                    call = call
                        .serial_number(&mfa.serial)
                        .token_code(mfa.code.expose());
                }
                call.send()
            })
            .await?;
        convert(OP, out.credentials())
    }

    async fn assume_role_with_saml(&self, req: &SamlRoleRequest) -> Result<Credentials, StsError> {
        const OP: &str = "sts:AssumeRoleWithSAML";
        let out = self
            .call(OP, None, Some(req.role_arn.partition()), |client| {
                client
                    .assume_role_with_saml()
                    .role_arn(req.role_arn.as_str())
                    .principal_arn(&req.principal_arn)
                    .saml_assertion(req.assertion.expose())
                    .duration_seconds(duration(req.duration_secs))
                    .send()
            })
            .await?;
        convert(OP, out.credentials())
    }

    async fn assume_role_with_web_identity(
        &self,
        req: &WebIdentityRoleRequest,
    ) -> Result<Credentials, StsError> {
        const OP: &str = "sts:AssumeRoleWithWebIdentity";
        let out = self
            .call(OP, None, Some(req.role_arn.partition()), |client| {
                client
                    .assume_role_with_web_identity()
                    .role_arn(req.role_arn.as_str())
                    .role_session_name(req.session_name.as_str())
                    .web_identity_token(req.token.expose())
                    .duration_seconds(duration(req.duration_secs))
                    .send()
            })
            .await?;
        convert(OP, out.credentials())
    }

    async fn get_federation_token(
        &self,
        creds: &Credentials,
        req: &FederationTokenRequest,
    ) -> Result<Credentials, StsError> {
        const OP: &str = "sts:GetFederationToken";
        let out = self
            .call(OP, Some(creds), None, |client| {
                client
                    .get_federation_token()
                    .name(&req.name)
                    .policy(&req.policy)
                    .duration_seconds(duration(req.duration_secs))
                    .send()
            })
            .await?;
        convert(OP, out.credentials())
    }

    async fn get_caller_identity(&self, creds: &Credentials) -> Result<CallerIdentity, StsError> {
        const OP: &str = "sts:GetCallerIdentity";
        let out = self
            .call(OP, Some(creds), None, |client| {
                client.get_caller_identity().send()
            })
            .await?;
        let field = |value: Option<&str>, name: &str| {
            value
                .map(str::to_string)
                .ok_or_else(|| StsError::Unexpected {
                    operation: OP.to_string(),
                    message: format!("the answer has no {name}"),
                })
        };
        Ok(CallerIdentity {
            account: field(out.account(), "Account")?,
            arn: field(out.arn(), "Arn")?,
            user_id: field(out.user_id(), "UserId")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fit_in_32_bits() {
        assert_eq!(duration(3600), 3600);
        assert_eq!(duration(i64::MAX), i32::MAX);
        assert_eq!(duration(-5), 0);
    }

    #[test]
    fn sts_credentials_become_domain_credentials() {
        let sdk = aws_sdk_sts::types::Credentials::builder()
            .access_key_id("ASIAFAKE")
            .secret_access_key("fake-secret")
            .session_token("fake-token")
            .expiration(aws_smithy_types::DateTime::from_secs(1_900_000_000))
            .build()
            .unwrap();
        let creds = convert("sts:AssumeRole", Some(&sdk)).unwrap();
        assert_eq!(creds.access_key_id(), "ASIAFAKE");
        assert_eq!(creds.secret_access_key().expose(), "fake-secret");
        assert_eq!(
            creds.session_token().map(Secret::expose),
            Some("fake-token")
        );
        assert_eq!(
            creds.expiration(),
            Some(Timestamp::from_unix(1_900_000_000))
        );
        let missing = convert("sts:AssumeRole", None).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "sts:AssumeRole: the answer holds no credentials"
        );
    }
}

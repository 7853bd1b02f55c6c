//! [`SdkEcr`]: the `Ecr` port over `aws-sdk-ecr`.
//!
//! Like STS and IAM, each call builds its own SDK configuration for the registry's region,
//! signed with exactly the credentials passed in.

use crate::errors::{Failure, cause_chain};
use crate::http::LazyHttpClient;
use crate::region::explicit;
use crate::sdk::{SdkOptions, static_credentials};
use crate::settings::AwsSettings;
use aws_runas_domain::ports::ecr::{Ecr, EcrError, RegistryLogin};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use base64::Engine as _;

/// Amazon ECR through the AWS SDK for Rust.
///
/// Construction only stores the settings; the HTTP client is built on the first call.
#[derive(Debug)]
pub struct SdkEcr {
    settings: AwsSettings,
    endpoint: Option<String>,
    http: LazyHttpClient,
}

impl SdkEcr {
    /// An ECR adapter for these settings; `endpoint` is an explicit ECR endpoint URL (the app
    /// reads `AWS_ENDPOINT_URL_ECR`). Cheap: no I/O, no client is built yet.
    pub fn new(settings: AwsSettings, endpoint: Option<String>) -> Self {
        SdkEcr {
            settings,
            endpoint,
            http: LazyHttpClient::default(),
        }
    }
}

#[async_trait::async_trait]
impl Ecr for SdkEcr {
    async fn authorization_token(
        &self,
        creds: &Credentials,
        region: &str,
    ) -> Result<RegistryLogin, EcrError> {
        let endpoint = explicit(self.endpoint.as_deref());
        let http = self
            .http
            .get(&self.settings)
            .map_err(|message| EcrError::Unexpected { message })?;
        let options = SdkOptions::new(&self.settings, http);
        let mut config = aws_sdk_ecr::Config::builder()
            .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
            .region(aws_sdk_ecr::config::Region::new(region.to_string()))
            .http_client(options.http_client)
            .timeout_config(options.timeouts)
            .retry_config(options.retries)
            .identity_cache(aws_sdk_ecr::config::IdentityCache::no_cache())
            .credentials_provider(static_credentials(creds));
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = aws_sdk_ecr::Client::from_conf(config.build());
        let out = match client.get_authorization_token().send().await {
            Ok(out) => out,
            Err(err) => {
                return Err(match Failure::from_sdk(&err) {
                    Failure::Rejected { code, message } => EcrError::Rejected { code, message },
                    Failure::Network(message) => EcrError::Network {
                        endpoint: endpoint.map_or_else(
                            || format!("https://api.ecr.{region}.amazonaws.com"),
                            str::to_string,
                        ),
                        message,
                    },
                    Failure::Unexpected(message) => EcrError::Unexpected { message },
                });
            }
        };
        let data = out
            .authorization_data()
            .first()
            .ok_or_else(|| EcrError::Unexpected {
                message: "the answer holds no authorization data".to_string(),
            })?;
        let token = data
            .authorization_token()
            .ok_or_else(|| EcrError::Unexpected {
                message: "the answer holds no authorization token".to_string(),
            })?;
        let mut login = decode_token(token)?;
        login.expires_at = data.expires_at().map(|t| Timestamp::from_unix(t.secs()));
        Ok(login)
    }
}

/// `base64(user:password)` into its two parts. The error never quotes the token.
fn decode_token(token: &str) -> Result<RegistryLogin, EcrError> {
    let bad = |why: &str| EcrError::Unexpected {
        message: format!("the authorization token is {why}"),
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|e| EcrError::Unexpected {
            message: format!("the authorization token is not base64: {}", cause_chain(&e)),
        })?;
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| bad("not user:password"))?;
    if user.is_empty() || password.is_empty() {
        return Err(bad("missing its user name or password"));
    }
    Ok(RegistryLogin {
        username: user.to_string(),
        password: Secret::new(password),
        expires_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decode_into_user_and_password() {
        let token = base64::engine::general_purpose::STANDARD.encode("AWS:pa:ss");
        let login = decode_token(&token).unwrap();
        assert_eq!(login.username, "AWS");
        assert_eq!(login.password.expose(), "pa:ss");
        for bad in [
            "!!!",
            &base64::engine::general_purpose::STANDARD.encode("nocolon"),
        ] {
            let err = decode_token(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("ecr:GetAuthorizationToken: the authorization token"),
                "{err}"
            );
        }
        let shown = decode_token(&base64::engine::general_purpose::STANDARD.encode(":secret"))
            .unwrap_err()
            .to_string();
        assert!(!shown.contains("secret"), "{shown}");
    }
}

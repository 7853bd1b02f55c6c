//! [`SdkSso`]: the `SsoOidc` and `SsoPortal` ports over `aws-sdk-ssooidc` and `aws-sdk-sso`.
//!
//! Both services are called without AWS credentials (the portal takes the bearer token as a
//! parameter; SSO OIDC authenticates the client by its id and secret), in the IAM Identity
//! Center instance's region, through the same lazily built HTTP client (proxy, CA bundle,
//! timeouts) as STS and IAM.

use crate::errors::Failure;
use crate::http::LazyHttpClient;
use crate::sdk::SdkOptions;
use crate::settings::AwsSettings;
use aws_runas_domain::ports::sso::{
    ClientRegistration, DeviceAuthorization, RegisterRequest, SsoAccount, SsoError, SsoErrorKind,
    SsoOidc, SsoPortal, TokenGrant, TokenResponse,
};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::error::Error;
use std::fmt;

/// Where and how to reach IAM Identity Center.
#[derive(Clone, PartialEq, Eq)]
pub struct SsoSettings {
    /// `sso_region`: the region of the IAM Identity Center instance.
    pub region: String,
    /// An explicit portal endpoint (`AWS_ENDPOINT_URL_SSO`, else `AWS_ENDPOINT_URL`).
    pub portal_endpoint: Option<String>,
    /// An explicit SSO OIDC endpoint (`AWS_ENDPOINT_URL_SSO_OIDC`, else `AWS_ENDPOINT_URL`).
    pub oidc_endpoint: Option<String>,
    /// Proxy, CA bundle, timeouts and retries, as for STS (its region and endpoints are unused).
    pub transport: AwsSettings,
}

impl fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoSettings")
            .field("region", &self.region)
            .field("portal_endpoint", &self.portal_endpoint)
            .field("oidc_endpoint", &self.oidc_endpoint)
            .field("transport", &self.transport)
            .finish()
    }
}

/// IAM Identity Center's portal and SSO OIDC through the AWS SDK for Rust.
///
/// Construction only stores the settings; the HTTP client is built on the first call.
#[derive(Debug)]
pub struct SdkSso {
    settings: SsoSettings,
    http: LazyHttpClient,
}

impl SdkSso {
    /// An adapter for these settings. Cheap: no I/O, no client is built yet.
    pub fn new(settings: SsoSettings) -> Self {
        SdkSso {
            settings,
            http: LazyHttpClient::default(),
        }
    }

    fn options(&self, operation: &str) -> Result<SdkOptions, SsoError> {
        let http = self
            .http
            .get(&self.settings.transport)
            .map_err(|m| SsoError::new(SsoErrorKind::Other, format!("{operation}: {m}")))?;
        Ok(SdkOptions::new(&self.settings.transport, http))
    }

    fn oidc(&self, operation: &str) -> Result<aws_sdk_ssooidc::Client, SsoError> {
        use aws_sdk_ssooidc::config::{BehaviorVersion, IdentityCache, Region};
        let options = self.options(operation)?;
        let mut config = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.settings.region.clone()))
            .http_client(options.http_client)
            .timeout_config(options.timeouts)
            .retry_config(options.retries)
            .identity_cache(IdentityCache::no_cache());
        if let Some(url) = explicit(self.settings.oidc_endpoint.as_deref()) {
            config = config.endpoint_url(url);
        }
        Ok(aws_sdk_ssooidc::Client::from_conf(config.build()))
    }

    fn portal(&self, operation: &str) -> Result<aws_sdk_sso::Client, SsoError> {
        use aws_sdk_sso::config::{BehaviorVersion, IdentityCache, Region};
        let options = self.options(operation)?;
        let mut config = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.settings.region.clone()))
            .http_client(options.http_client)
            .timeout_config(options.timeouts)
            .retry_config(options.retries)
            .identity_cache(IdentityCache::no_cache());
        if let Some(url) = explicit(self.settings.portal_endpoint.as_deref()) {
            config = config.endpoint_url(url);
        }
        Ok(aws_sdk_sso::Client::from_conf(config.build()))
    }
}

fn explicit(url: Option<&str>) -> Option<&str> {
    url.map(str::trim).filter(|u| !u.is_empty())
}

/// The port's error for an SDK error of `operation`.
fn failure<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> SsoError
where
    E: ProvideErrorMetadata + Error + 'static,
{
    match Failure::from_sdk(err) {
        Failure::Rejected { code, message } => {
            let kind = kind_of(&code);
            let text = if message.is_empty() {
                format!("{operation}: {code}")
            } else {
                format!("{operation}: {code}: {message}")
            };
            SsoError::new(kind, text)
        }
        Failure::Network(m) | Failure::Unexpected(m) => {
            SsoError::new(SsoErrorKind::Other, format!("{operation}: {m}"))
        }
    }
}

/// The kind of an SSO OIDC or portal error code (`AuthorizationPendingException`, …).
fn kind_of(code: &str) -> SsoErrorKind {
    let code = code.trim_end_matches("Exception");
    match code {
        "AuthorizationPending" => SsoErrorKind::AuthorizationPending,
        "SlowDown" => SsoErrorKind::SlowDown,
        "ExpiredToken" => SsoErrorKind::ExpiredToken,
        "InvalidGrant" => SsoErrorKind::InvalidGrant,
        "AccessDenied" => SsoErrorKind::AccessDenied,
        "InvalidClient" | "UnauthorizedClient" => SsoErrorKind::InvalidClient,
        "Unauthorized" => SsoErrorKind::Unauthorized,
        _ => SsoErrorKind::Other,
    }
}

fn missing(operation: &str, what: &str) -> SsoError {
    SsoError::new(
        SsoErrorKind::Other,
        format!("{operation}: the answer has no {what}"),
    )
}

#[async_trait::async_trait]
impl SsoOidc for SdkSso {
    async fn register_client(&self, req: &RegisterRequest) -> Result<ClientRegistration, SsoError> {
        const OP: &str = "RegisterClient";
        let client = self.oidc(OP)?;
        let mut call = client
            .register_client()
            .client_name(&req.client_name)
            .client_type("public");
        if !req.scopes.is_empty() {
            call = call.set_scopes(Some(req.scopes.clone()));
        }
        if !req.grant_types.is_empty() {
            call = call.set_grant_types(Some(req.grant_types.clone()));
        }
        if !req.redirect_uris.is_empty() {
            call = call.set_redirect_uris(Some(req.redirect_uris.clone()));
        }
        if let Some(issuer) = &req.issuer_url {
            call = call.issuer_url(issuer);
        }
        let out = call.send().await.map_err(|e| failure(OP, &e))?;
        Ok(ClientRegistration {
            client_id: out
                .client_id()
                .ok_or_else(|| missing(OP, "clientId"))?
                .to_string(),
            client_secret: Secret::new(
                out.client_secret()
                    .ok_or_else(|| missing(OP, "clientSecret"))?,
            ),
            expires_at: Timestamp::from_unix(out.client_secret_expires_at()),
        })
    }

    async fn start_device_authorization(
        &self,
        client: &ClientRegistration,
        start_url: &str,
    ) -> Result<DeviceAuthorization, SsoError> {
        const OP: &str = "StartDeviceAuthorization";
        let out = self
            .oidc(OP)?
            .start_device_authorization()
            .client_id(&client.client_id)
            .client_secret(client.client_secret.expose())
            .start_url(start_url)
            .send()
            .await
            .map_err(|e| failure(OP, &e))?;
        Ok(DeviceAuthorization {
            device_code: Secret::new(out.device_code().ok_or_else(|| missing(OP, "deviceCode"))?),
            user_code: out
                .user_code()
                .ok_or_else(|| missing(OP, "userCode"))?
                .to_string(),
            verification_uri: out
                .verification_uri()
                .ok_or_else(|| missing(OP, "verificationUri"))?
                .to_string(),
            verification_uri_complete: out.verification_uri_complete().map(str::to_string),
            expires_in_secs: i64::from(out.expires_in()),
            interval_secs: i64::from(out.interval()),
        })
    }

    async fn create_token(
        &self,
        client: &ClientRegistration,
        grant: &TokenGrant,
    ) -> Result<TokenResponse, SsoError> {
        const OP: &str = "CreateToken";
        let mut call = self
            .oidc(OP)?
            .create_token()
            .client_id(&client.client_id)
            .client_secret(client.client_secret.expose())
            .grant_type(grant.grant_type());
        call = match grant {
            TokenGrant::DeviceCode { device_code } => call.device_code(device_code.expose()),
            TokenGrant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => call
                .code(code.expose())
                .redirect_uri(redirect_uri)
                .code_verifier(code_verifier.expose()),
            TokenGrant::RefreshToken { refresh_token } => {
                call.refresh_token(refresh_token.expose())
            }
        };
        let out = call.send().await.map_err(|e| failure(OP, &e))?;
        Ok(TokenResponse {
            access_token: Secret::new(
                out.access_token()
                    .ok_or_else(|| missing(OP, "accessToken"))?,
            ),
            expires_in_secs: i64::from(out.expires_in()),
            refresh_token: out.refresh_token().map(Secret::new),
        })
    }
}

#[async_trait::async_trait]
impl SsoPortal for SdkSso {
    async fn get_role_credentials(
        &self,
        access_token: &Secret,
        account_id: &str,
        role_name: &str,
    ) -> Result<Credentials, SsoError> {
        const OP: &str = "GetRoleCredentials";
        let out = self
            .portal(OP)?
            .get_role_credentials()
            .access_token(access_token.expose())
            .account_id(account_id)
            .role_name(role_name)
            .send()
            .await
            .map_err(|e| failure(OP, &e))?;
        let c = out
            .role_credentials()
            .ok_or_else(|| missing(OP, "roleCredentials"))?;
        let text = |v: Option<&str>, what| {
            v.filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| missing(OP, what))
        };
        Ok(Credentials::new(
            text(c.access_key_id(), "accessKeyId")?,
            Secret::new(text(c.secret_access_key(), "secretAccessKey")?),
            Some(Secret::new(text(c.session_token(), "sessionToken")?)),
            // The portal gives milliseconds since the epoch.
            Some(Timestamp::from_unix(c.expiration().div_euclid(1000))),
        ))
    }

    async fn list_accounts(&self, access_token: &Secret) -> Result<Vec<SsoAccount>, SsoError> {
        const OP: &str = "ListAccounts";
        let client = self.portal(OP)?;
        let (mut out, mut next) = (vec![], None::<String>);
        loop {
            let page = client
                .list_accounts()
                .access_token(access_token.expose())
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| failure(OP, &e))?;
            out.extend(page.account_list().iter().filter_map(|a| {
                Some(SsoAccount {
                    account_id: a.account_id()?.to_string(),
                    name: a.account_name().unwrap_or_default().to_string(),
                })
            }));
            match page.next_token().filter(|t| !t.is_empty()) {
                Some(t) => next = Some(t.to_string()),
                None => return Ok(out),
            }
        }
    }

    async fn list_account_roles(
        &self,
        access_token: &Secret,
        account_id: &str,
    ) -> Result<Vec<String>, SsoError> {
        const OP: &str = "ListAccountRoles";
        let client = self.portal(OP)?;
        let (mut out, mut next) = (vec![], None::<String>);
        loop {
            let page = client
                .list_account_roles()
                .access_token(access_token.expose())
                .account_id(account_id)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| failure(OP, &e))?;
            out.extend(
                page.role_list()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_string)),
            );
            match page.next_token().filter(|t| !t.is_empty()) {
                Some(t) => next = Some(t.to_string()),
                None => return Ok(out),
            }
        }
    }

    async fn logout(&self, access_token: &Secret) -> Result<(), SsoError> {
        const OP: &str = "Logout";
        self.portal(OP)?
            .logout()
            .access_token(access_token.expose())
            .send()
            .await
            .map_err(|e| failure(OP, &e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_become_kinds() {
        for (code, kind) in [
            (
                "AuthorizationPendingException",
                SsoErrorKind::AuthorizationPending,
            ),
            ("SlowDownException", SsoErrorKind::SlowDown),
            ("ExpiredTokenException", SsoErrorKind::ExpiredToken),
            ("InvalidGrantException", SsoErrorKind::InvalidGrant),
            ("AccessDeniedException", SsoErrorKind::AccessDenied),
            ("InvalidClientException", SsoErrorKind::InvalidClient),
            ("UnauthorizedClientException", SsoErrorKind::InvalidClient),
            ("UnauthorizedException", SsoErrorKind::Unauthorized),
            ("TooManyRequestsException", SsoErrorKind::Other),
        ] {
            assert_eq!(kind_of(code), kind, "{code}");
        }
    }
}

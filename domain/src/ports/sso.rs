//! The IAM Identity Center (AWS SSO) ports: the AWS CLI's token cache (`SsoTokenCache`), the
//! SSO OIDC service that logs in and refreshes tokens (`SsoOidc`), and the SSO portal that turns
//! a token into role credentials (`SsoPortal`).
//!
//! The cache is synchronous (files and a lock); the two services are `async_trait` traits used as
//! trait objects. No SDK type crosses them.

use crate::credentials::Credentials;
use crate::ports::cache::{CacheError, CacheLock};
use crate::secret::Secret;
use crate::time::Timestamp;
use std::fmt;
use std::time::Duration;

/// One cached login, with the AWS CLI's fields (`startUrl`, `region`, `accessToken`,
/// `expiresAt`, `clientId`, `clientSecret`, `registrationExpiresAt`, `refreshToken`).
#[derive(Clone, PartialEq, Eq)]
pub struct SsoToken {
    /// The start URL the token was issued for.
    pub start_url: String,
    /// The region of the IAM Identity Center instance.
    pub region: String,
    /// The bearer token for the portal.
    pub access_token: Secret,
    /// When the access token expires.
    pub expires_at: Timestamp,
    /// The registered client that obtained it (needed to refresh).
    pub client_id: Option<String>,
    /// Its secret.
    pub client_secret: Option<Secret>,
    /// When the client registration expires.
    pub registration_expires_at: Option<Timestamp>,
    /// The refresh token, when the login granted one.
    pub refresh_token: Option<Secret>,
}

impl fmt::Debug for SsoToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets redact themselves.
        f.debug_struct("SsoToken")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("access_token", &self.access_token)
            .field("expires_at", &self.expires_at)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("registration_expires_at", &self.registration_expires_at)
            .field("refresh_token", &self.refresh_token)
            .finish()
    }
}

impl SsoToken {
    /// The registered client, when the token carries one that is still valid at `now`.
    pub fn live_client(&self, now: Timestamp) -> Option<ClientRegistration> {
        let (id, secret) = (self.client_id.as_ref()?, self.client_secret.as_ref()?);
        let expires_at = self.registration_expires_at?;
        (expires_at > now).then(|| ClientRegistration {
            client_id: id.clone(),
            client_secret: secret.clone(),
            expires_at,
        })
    }
}

/// Logins kept between runs, in the AWS CLI's cache: one file per sso-session name (legacy
/// profiles: per start URL), shared with the AWS CLI and the SDKs.
pub trait SsoTokenCache: Send + Sync {
    /// The token stored under `key` (a session name or a legacy start URL). A missing, corrupt or
    /// truncated file is `None`, never an error.
    fn load(&self, key: &str) -> Option<SsoToken>;

    /// Writes the token atomically, readable by the owner only, keeping any other fields the file
    /// already has.
    ///
    /// # Errors
    /// [`CacheError`] naming the file.
    fn store(&self, key: &str, token: &SsoToken) -> Result<(), CacheError>;

    /// Deletes the token; a missing file is not an error.
    ///
    /// # Errors
    /// [`CacheError`] naming the file.
    fn remove(&self, key: &str) -> Result<(), CacheError>;

    /// Waits up to `timeout` for the token's lock, held while one process refreshes or logs in.
    ///
    /// # Errors
    /// [`CacheError::LockTimeout`] when the wait ran out.
    fn lock(&self, key: &str, timeout: Duration) -> Result<Box<dyn CacheLock>, CacheError>;

    /// Where the token lives, for messages.
    fn describe(&self, key: &str) -> String;
}

/// A client registered with SSO OIDC (RegisterClient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRegistration {
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: Secret,
    /// `clientSecretExpiresAt`.
    pub expires_at: Timestamp,
}

/// What RegisterClient is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// `clientName`.
    pub client_name: String,
    /// `scopes`.
    pub scopes: Vec<String>,
    /// `grantTypes` (empty: the service's default, the device grant).
    pub grant_types: Vec<String>,
    /// `redirectUris`, for the authorization-code grant.
    pub redirect_uris: Vec<String>,
    /// `issuerUrl` (the start URL), for the authorization-code grant.
    pub issuer_url: Option<String>,
}

/// The answer to StartDeviceAuthorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// `deviceCode`.
    pub device_code: Secret,
    /// `userCode`, shown to the user.
    pub user_code: String,
    /// `verificationUri`.
    pub verification_uri: String,
    /// `verificationUriComplete` (with the user code filled in).
    pub verification_uri_complete: Option<String>,
    /// `expiresIn`, seconds.
    pub expires_in_secs: i64,
    /// `interval`, seconds between CreateToken polls.
    pub interval_secs: i64,
}

/// The grant of a CreateToken call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenGrant {
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    DeviceCode {
        /// The device code.
        device_code: Secret,
    },
    /// `authorization_code`, with PKCE.
    AuthorizationCode {
        /// The code from the redirect.
        code: Secret,
        /// The redirect URI the code was sent to.
        redirect_uri: String,
        /// The PKCE verifier.
        code_verifier: Secret,
    },
    /// `refresh_token`.
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret,
    },
}

impl TokenGrant {
    /// The OAuth `grantType` value.
    pub fn grant_type(&self) -> &'static str {
        match self {
            TokenGrant::DeviceCode { .. } => "urn:ietf:params:oauth:grant-type:device_code",
            TokenGrant::AuthorizationCode { .. } => "authorization_code",
            TokenGrant::RefreshToken { .. } => "refresh_token",
        }
    }
}

/// The answer to CreateToken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// `accessToken`.
    pub access_token: Secret,
    /// `expiresIn`, seconds.
    pub expires_in_secs: i64,
    /// `refreshToken`, when granted.
    pub refresh_token: Option<Secret>,
}

/// SSO OIDC: client registration and tokens.
#[async_trait::async_trait]
pub trait SsoOidc: Send + Sync + fmt::Debug {
    /// RegisterClient.
    ///
    /// # Errors
    /// [`SsoError`] with the service's error kind.
    async fn register_client(&self, req: &RegisterRequest) -> Result<ClientRegistration, SsoError>;

    /// StartDeviceAuthorization.
    ///
    /// # Errors
    /// [`SsoError`] with the service's error kind.
    async fn start_device_authorization(
        &self,
        client: &ClientRegistration,
        start_url: &str,
    ) -> Result<DeviceAuthorization, SsoError>;

    /// CreateToken.
    ///
    /// # Errors
    /// [`SsoError`]: [`SsoErrorKind::AuthorizationPending`] and [`SsoErrorKind::SlowDown`] while a
    /// device login waits for the user, [`SsoErrorKind::InvalidGrant`] for a refused grant.
    async fn create_token(
        &self,
        client: &ClientRegistration,
        grant: &TokenGrant,
    ) -> Result<TokenResponse, SsoError>;
}

/// The SSO portal: role credentials for a token.
#[async_trait::async_trait]
pub trait SsoPortal: Send + Sync + fmt::Debug {
    /// GetRoleCredentials.
    ///
    /// # Errors
    /// [`SsoError`]; [`SsoErrorKind::Unauthorized`] when the token is not (or no longer) valid.
    async fn get_role_credentials(
        &self,
        access_token: &Secret,
        account_id: &str,
        role_name: &str,
    ) -> Result<Credentials, SsoError>;

    /// ListAccounts, every page: the accounts the user may use.
    ///
    /// # Errors
    /// [`SsoError`]; [`SsoErrorKind::Unauthorized`] when the token is not valid.
    async fn list_accounts(&self, access_token: &Secret) -> Result<Vec<SsoAccount>, SsoError>;

    /// ListAccountRoles, every page: the role names the user may use in `account_id`.
    ///
    /// # Errors
    /// [`SsoError`].
    async fn list_account_roles(
        &self,
        access_token: &Secret,
        account_id: &str,
    ) -> Result<Vec<String>, SsoError>;

    /// Logout: ends the token's session at the service.
    ///
    /// # Errors
    /// [`SsoError`].
    async fn logout(&self, access_token: &Secret) -> Result<(), SsoError>;
}

/// An account the user may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoAccount {
    /// `accountId`.
    pub account_id: String,
    /// `accountName` (may be empty).
    pub name: String,
}

/// What kind of failure an SSO call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SsoErrorKind {
    /// The user has not approved the device request yet (keep polling).
    AuthorizationPending,
    /// Polling too fast: add 5 seconds to the interval.
    SlowDown,
    /// The device code (or token) expired.
    ExpiredToken,
    /// The grant was refused (a revoked refresh token, a used code).
    InvalidGrant,
    /// The user denied the request.
    AccessDenied,
    /// The client registration is not valid (expired, unknown).
    InvalidClient,
    /// The portal refused the token.
    Unauthorized,
    /// Anything else (network, throttling, a bad answer).
    Other,
}

/// A failed SSO call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SsoError {
    /// What kind of failure.
    pub kind: SsoErrorKind,
    /// The service's message, or a description.
    pub message: String,
}

impl SsoError {
    /// An error of `kind`.
    pub fn new(kind: SsoErrorKind, message: impl Into<String>) -> Self {
        SsoError {
            kind,
            message: message.into(),
        }
    }
}

/// An interactive login, offered by the app only when there is a user at a terminal to finish it.
#[async_trait::async_trait]
pub trait SsoLoginFlow: Send + Sync {
    /// Logs in to `session` and returns the token to cache.
    ///
    /// # Errors
    /// Why the login failed, as one line.
    async fn login(&self, session: &crate::sso::SsoSession) -> Result<SsoToken, String>;
}

/// The SSO ports a resolution uses.
#[derive(Clone, Copy)]
pub struct SsoPorts<'a> {
    /// The token cache.
    pub tokens: &'a dyn SsoTokenCache,
    /// SSO OIDC (refreshing tokens).
    pub oidc: &'a dyn SsoOidc,
    /// The portal.
    pub portal: &'a dyn SsoPortal,
    /// A login to run when no cached token is usable; `None` when nobody can log in (no
    /// terminal), so that a `credential_process` caller gets an error at once.
    pub login: Option<&'a dyn SsoLoginFlow>,
}

impl fmt::Debug for SsoPorts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoPorts")
            .field("oidc", &self.oidc)
            .field("portal", &self.portal)
            .finish_non_exhaustive()
    }
}

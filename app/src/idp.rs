//! Identity-provider logins for the app: picks the adapter (by name, by URL, or by one probe
//! request), gathers its settings and the password, and builds it — only on a cache miss.

use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::idp::{
    AuthUrl, HttpSettings, IdentityProvider, IdpConnector, IdpDeps, IdpError, IdpSettings, registry,
};
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_domain::ports::secret::{PasswordKind, SecretStore};
use aws_runas_domain::{ProfileSet, Secret};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything a login needs, gathered before any network traffic.
pub struct AppConnector {
    /// The identity provider's URL.
    pub url: String,
    /// `saml_provider` / `-R`, when set.
    pub provider: Option<String>,
    /// The user name, when configured.
    pub username: Option<String>,
    /// `mfa_type`.
    pub mfa_type: Option<String>,
    /// `mfa_wait_timeout`.
    pub mfa_wait: Option<String>,
    /// Every `<adapter>_*` key of the profile, its source profile and `[default]`.
    pub profile_keys: BTreeMap<String, String>,
    /// `-P` or its environment variables.
    pub password_flag: Option<Secret>,
    /// Where `aws-runas password` keeps passwords.
    pub store: Box<dyn SecretStore>,
    /// Which password of the store.
    pub kind: PasswordKind,
    /// `-o` / `MFA_CODE`.
    pub mfa_code: Option<Secret>,
    /// The user.
    pub prompter: Arc<dyn Prompter>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// HTTP settings for the adapter.
    pub http: HttpSettings,
    /// The user's browser, for OIDC logins that finish there.
    pub browser: Option<Arc<dyn aws_runas_domain::ports::browser::BrowserOpener>>,
}

impl std::fmt::Debug for AppConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConnector")
            .field("url", &aws_runas_idp_support::display_url(&self.url))
            .field("provider", &self.provider)
            .field("username", &self.username)
            .field("password_flag", &self.password_flag)
            .finish_non_exhaustive()
    }
}

impl AppConnector {
    /// The adapter's namespaced keys (`forms_*` for `forms`) from the profile layers.
    fn adapter_keys(&self, name: &str) -> impl Iterator<Item = (String, String)> + '_ {
        let prefix = format!("{name}_");
        self.profile_keys
            .iter()
            .filter(move |(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
    }

    fn password(&self) -> Option<Secret> {
        if let Some(p) = &self.password_flag {
            return Some(p.clone());
        }
        match self.store.get(&self.url, self.kind) {
            Ok(p) => p,
            Err(e) => {
                log::warn!("{e}; asking for the password instead");
                None
            }
        }
    }
}

#[async_trait::async_trait]
impl IdpConnector for AppConnector {
    async fn connect(&self) -> Result<Box<dyn IdentityProvider>, IdpError> {
        let registry = registry().map_err(IdpError::configuration)?;
        let url = AuthUrl::parse(&self.url)?;
        let reg = match &self.provider {
            Some(name) => registry.get(name).map_err(IdpError::configuration)?,
            None => match registry.detect_by_url(&url) {
                Some(r) => r,
                None => {
                    let client = aws_runas_idp_support::HttpClient::new(
                        self.http.clone(),
                        Arc::clone(&self.clock),
                    );
                    let probe = client.probe(&self.url).await.map_err(IdpError::from)?;
                    registry.detect_by_probe(&probe).ok_or_else(|| {
                        IdpError::configuration(format!(
                            "cannot tell which identity provider serves {}: neither its address nor its answer matches an adapter; set saml_provider to one of: {}",
                            aws_runas_idp_support::display_url(&self.url),
                            registry.names().join(", ")
                        ))
                    })?
                }
            },
        };
        log::debug!(
            "identity provider {} for {}",
            reg.name(),
            aws_runas_idp_support::display_url(&self.url)
        );
        let mut pairs: Vec<(String, String)> = vec![(IdpSettings::URL.into(), self.url.clone())];
        if let Some(u) = &self.username {
            pairs.push((IdpSettings::USERNAME.into(), u.clone()));
        }
        pairs.push((
            IdpSettings::MFA_TYPE.into(),
            self.mfa_type.clone().unwrap_or_else(|| "auto".into()),
        ));
        if let Some(w) = &self.mfa_wait {
            pairs.push((IdpSettings::MFA_WAIT.into(), w.clone()));
        }
        pairs.extend(self.adapter_keys(reg.name()));
        let settings =
            IdpSettings::from_pairs(pairs).with_secrets(self.password(), self.mfa_code.clone());
        let deps = IdpDeps::new(
            Arc::clone(&self.prompter),
            Arc::clone(&self.clock),
            self.http.clone(),
        )
        .with_browser(self.browser.clone());
        reg.build(&settings, deps)
    }
}

/// Every key of `profile`'s own section, its source profile's and `[default]`'s, the profile winning.
pub fn layered_profile_keys(set: &ProfileSet, profile: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let own = profile.and_then(|p| set.profile(p));
    let source = own
        .and_then(|s| s.get("source_profile"))
        .and_then(|s| set.profile(s));
    for section in [set.profile("default"), source, own].into_iter().flatten() {
        for (k, p) in section.properties() {
            out.insert(k.to_string(), p.value().to_string());
        }
    }
    out
}

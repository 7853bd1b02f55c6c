//! The settings of the `browser` login: which browser, where its profile lives, which sign-in
//! endpoint's POST carries the SAML response, and the longest wait (`mfa_wait_timeout`).

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, SettingsSpec, read_settings};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

const SPEC: SettingsSpec = SettingsSpec::new(
    "browser",
    "the URL the login starts at in the browser (saml_auth_url)",
);

/// The AWS sign-in endpoint IdPs post SAML responses to.
pub(crate) const AWS_SIGNIN_URL: &str = "https://signin.aws.amazon.com/saml";

/// The environment variable that makes the browser headless (tests and CI only).
pub(crate) const HEADLESS_ENV: &str = "AWS_RUNAS_BROWSER_HEADLESS";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default)]
    browser_executable: Option<String>,
    #[serde(default = "default_signin")]
    browser_signin_url: String,
    #[serde(default)]
    browser_profile_dir: Option<String>,
    #[serde(default)]
    browser_headless: Option<bool>,
}

fn default_signin() -> String {
    AWS_SIGNIN_URL.to_string()
}

/// The `browser` login's settings.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `saml_auth_url` | where the login starts in the browser | required |
/// | `browser_executable` | the browser, a path or a program name on `PATH` (the original's `auth_browser`) | the first of `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable`, `microsoft-edge`, `microsoft-edge-stable`, `msedge` on `PATH` |
/// | `browser_signin_url` | the endpoint whose POST carries the SAML response | `https://signin.aws.amazon.com/saml` |
/// | `browser_profile_dir` | the browser profile (user-data directory) | `~/.aws/aws-runas-browser/<IdP host>` |
/// | `browser_headless` | no window (tests and CI; also `AWS_RUNAS_BROWSER_HEADLESS=1`) | `false` |
/// | `mfa_wait_timeout` | the longest wait for the login in the browser | 2 minutes |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserLoginSettings {
    login: LoginSettings,
    executable: Option<(String, String)>,
    signin_url: String,
    profile_dir: Option<PathBuf>,
    headless: bool,
}

impl BrowserLoginSettings {
    /// Reads the settings of one login (`browser_sp_*` keys, of the `browser-sp` adapter, are
    /// left alone).
    ///
    /// # Errors
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`] naming the key at fault.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let mut ours = IdpSettings::new()
            .with_secrets(settings.password().cloned(), settings.mfa_code().cloned());
        for (key, value, origin) in settings.entries() {
            if !key.starts_with("browser_sp_") {
                ours.insert(key, value, origin);
            }
        }
        let (login, own) = read_settings::<OwnKeys>(&ours, &SPEC)?.into_parts();
        let executable = own.browser_executable.map(|e| {
            let origin = settings
                .origin("browser_executable")
                .unwrap_or(IdpSettings::GIVEN)
                .to_string();
            (e, origin)
        });
        // A switch for tests and CI machines without a display, beside the `browser_headless` key.
        #[allow(clippy::disallowed_methods)]
        let env_headless = std::env::var(HEADLESS_ENV).is_ok_and(|v| v == "1" || v == "true");
        Ok(BrowserLoginSettings {
            login,
            executable,
            signin_url: own.browser_signin_url,
            profile_dir: own.browser_profile_dir.map(PathBuf::from),
            headless: own.browser_headless.unwrap_or(env_headless),
        })
    }

    /// Where the login starts.
    pub fn url(&self) -> &str {
        self.login.url()
    }

    /// The configured browser and where the setting came from.
    pub(crate) fn executable(&self) -> Option<(&str, &str)> {
        self.executable
            .as_ref()
            .map(|(e, o)| (e.as_str(), o.as_str()))
    }

    /// The endpoint whose POST carries the SAML response.
    pub fn signin_url(&self) -> &str {
        &self.signin_url
    }

    /// The configured profile directory.
    pub(crate) fn profile_dir(&self) -> Option<&PathBuf> {
        self.profile_dir.as_ref()
    }

    /// Whether the browser runs without a window.
    pub fn headless(&self) -> bool {
        self.headless
    }

    /// The longest wait.
    pub fn wait(&self) -> Duration {
        self.login.mfa_wait()
    }
}

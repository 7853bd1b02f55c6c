//! An adapter's settings, read once: the login keys every adapter has ([`LoginSettings`]) and
//! the adapter's own `<name>_*` keys, deserialised with figment into the adapter's serde type.
//!
//! Each origin of the values (a profile at a file and line, an environment variable, a flag) is
//! one figment provider, so that an error names the key, the value and where it came from:
//! ``unknown keycloak setting `keycloak_otp_devise` from profile `corp` at ~/.aws/config:12;
//! known: keycloak_otp_device``.

use crate::error::display_url;
use crate::login::MfaChoice;
use crate::wait::{DEFAULT_WAIT_BOUND, parse_wait_bound};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::time::Duration;

/// The figment key under which each origin holds its login keys.
const LOGIN: &str = "login";
/// The figment key under which each origin holds the adapter's own keys.
const OWN: &str = "own";

/// What [`read_settings`] needs to know about the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingsSpec {
    adapter: &'static str,
    needs_url: &'static str,
}

impl SettingsSpec {
    /// The settings of the adapter registered as `adapter` (`keycloak`), whose own keys are
    /// `<adapter>_*` (a `-` in the name becomes `_`).
    ///
    /// `needs_url` completes the error for a missing URL, ``the <adapter> identity provider needs
    /// <needs_url>``: say which keys set it and what it looks like, for example
    /// ``saml_auth_url (the IdP-initiated SSO URL, <base>/realms/<realm>/protocol/saml/clients/<client>)``.
    pub const fn new(adapter: &'static str, needs_url: &'static str) -> Self {
        SettingsSpec { adapter, needs_url }
    }

    /// The adapter's name.
    pub fn adapter(&self) -> &'static str {
        self.adapter
    }

    /// The prefix of the adapter's own keys: `keycloak_`.
    pub fn prefix(&self) -> String {
        format!("{}_", self.adapter.replace('-', "_"))
    }
}

/// The keys every identity-provider login has, read and checked once, and the secrets the user
/// gave up front.
///
/// `Debug` shows the URL without its query and whether a secret was given, never its value.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginSettings {
    url: String,
    username: Option<String>,
    mfa: MfaChoice,
    mfa_wait: Duration,
    password: Option<Secret>,
    mfa_code: Option<Secret>,
}

impl LoginSettings {
    /// Where the login starts ([`IdpSettings::URL`]), trimmed; an `http` or `https` URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The configured user name ([`IdpSettings::USERNAME`]), if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The second-factor choice ([`IdpSettings::MFA_TYPE`]); [`MfaChoice::Auto`] when not set.
    pub fn mfa(&self) -> MfaChoice {
        self.mfa
    }

    /// The longest wait for a push or an SMS ([`IdpSettings::MFA_WAIT`]);
    /// [`DEFAULT_WAIT_BOUND`] when not set.
    pub fn mfa_wait(&self) -> Duration {
        self.mfa_wait
    }

    /// The password given up front ([`IdpSettings::password`]).
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// The MFA code given up front ([`IdpSettings::mfa_code`]), for the first question only.
    pub fn mfa_code(&self) -> Option<&Secret> {
        self.mfa_code.as_ref()
    }
}

impl fmt::Debug for LoginSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's query may carry state tokens; it is never needed to tell logins apart.
        f.debug_struct("LoginSettings")
            .field("url", &display_url(&self.url))
            .field("username", &self.username)
            .field("mfa", &self.mfa)
            .field("mfa_wait", &self.mfa_wait)
            .field("password_given", &self.password.is_some())
            .field("mfa_code_given", &self.mfa_code.is_some())
            .finish()
    }
}

/// What [`read_settings`] returns: the login keys and the adapter's own keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSettings<T> {
    login: LoginSettings,
    own: T,
}

impl<T> AdapterSettings<T> {
    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// The adapter's own keys.
    pub fn own(&self) -> &T {
        &self.own
    }

    /// Both parts, to keep in the adapter's own settings type.
    pub fn into_parts(self) -> (LoginSettings, T) {
        (self.login, self.own)
    }
}

/// The own settings of an adapter that has no `<name>_*` key: every such key is reported as
/// unknown, so that a typo does not go unnoticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoOwnSettings {}

/// Reads an adapter's settings out of `settings` in one call.
///
/// * The login keys: [`IdpSettings::URL`] (required, `http` or `https`),
///   [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`] (an [`MfaChoice`], `auto` when not
///   set) and [`IdpSettings::MFA_WAIT`] (a duration such as `90s` or `2m`, plain seconds, or
///   [`DEFAULT_WAIT_BOUND`]), with the password and code given up front.
/// * The adapter's own keys, `<name>_*` (see [`SettingsSpec::prefix`]), deserialised into `T`.
///   Give `T` `#[serde(deny_unknown_fields)]` and the full key names as field names (or
///   `rename`), so that a mistyped key is reported by its real name; explicit defaults
///   (`#[serde(default)]`, `#[serde(default = "…")]`). An adapter without keys of its own uses
///   [`NoOwnSettings`].
/// * Keys of other namespaces are ignored. Values are trimmed, and an empty value counts as not
///   set. Booleans and numbers are read from their text (`true`, `yes`, `1`, `12`).
///
/// # Errors
/// A configuration error ([`IdpError::configuration`]) naming the key, the value and where it
/// came from ([`IdpSettings::origin`]) for an unknown `<name>_*` key (listing the known ones), a
/// value that does not fit its key (a URL that is not `http(s)`, an `mfa_type` that is not one
/// of the choices, a duration, a boolean or number that does not read as one); and, for a
/// missing URL, ``the <name> identity provider needs <SettingsSpec needs_url>``.
///
/// # Examples
///
/// ```
/// use aws_runas_domain::ports::idp::IdpSettings;
/// use aws_runas_idp_support::{MfaChoice, SettingsSpec, read_settings};
///
/// #[derive(Debug, serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct OwnKeys {
///     #[serde(default)]
///     example_otp_field: Option<String>,
///     #[serde(default)]
///     example_remember_device: bool,
/// }
///
/// const SPEC: SettingsSpec = SettingsSpec::new("example", "saml_auth_url (where the login starts)");
///
/// let given = IdpSettings::new()
///     .with("url", "https://sso.example.test/start", "profile `corp` at ~/.aws/config:3")
///     .with("mfa_type", "CODE", "profile `corp` at ~/.aws/config:4")
///     .with("example_remember_device", "yes", "environment variable EXAMPLE_REMEMBER")
///     .with("forms_username_field", "user", "profile `corp` at ~/.aws/config:5");
/// let (login, own) = read_settings::<OwnKeys>(&given, &SPEC).unwrap().into_parts();
/// assert_eq!(login.mfa(), MfaChoice::Code);
/// assert!(own.example_remember_device);
/// assert_eq!(own.example_otp_field, None);
///
/// let typo = given.with("example_otp_feild", "otp", "flag --example-otp");
/// let e = read_settings::<OwnKeys>(&typo, &SPEC).unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "unknown example setting `example_otp_feild` from flag --example-otp; \
///      known: example_otp_field, example_remember_device"
/// );
/// ```
pub fn read_settings<T: DeserializeOwned>(
    settings: &IdpSettings,
    spec: &SettingsSpec,
) -> Result<AdapterSettings<T>, IdpError> {
    let figment = origins(settings, &spec.prefix())
        .into_iter()
        .fold(Figment::new(), Figment::merge);
    let explain = |e: figment::Error| explain(e, settings, spec);
    let common: CommonKeys = figment.focus(LOGIN).extract_lossy().map_err(explain)?;
    let url = common.url.ok_or_else(|| {
        IdpError::configuration(format!(
            "the {} identity provider needs {}",
            spec.adapter, spec.needs_url
        ))
    })?;
    let own: T = figment.focus(OWN).extract_lossy().map_err(explain)?;
    Ok(AdapterSettings {
        login: LoginSettings {
            url,
            username: common.username,
            mfa: common.mfa_type.unwrap_or(MfaChoice::Auto),
            mfa_wait: common.mfa_wait_timeout.unwrap_or(DEFAULT_WAIT_BOUND),
            password: settings.password().cloned(),
            mfa_code: settings.mfa_code().cloned(),
        },
        own,
    })
}

/// The login keys, as figment hands them over.
#[derive(Deserialize)]
struct CommonKeys {
    #[serde(default, deserialize_with = "http_url")]
    url: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    mfa_type: Option<MfaChoice>,
    #[serde(default, deserialize_with = "wait_bound")]
    mfa_wait_timeout: Option<Duration>,
}

/// An `http` or `https` URL, as [`AuthUrl::parse`] accepts it.
fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    match AuthUrl::parse(&text) {
        Ok(_) => Ok(Some(text)),
        Err(_) => Err(D::Error::invalid_value(
            Unexpected::Str(&display_url(&text)),
            &"an http:// or https:// URL",
        )),
    }
}

/// A wait bound, as [`parse_wait_bound`] reads it.
fn wait_bound<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    parse_wait_bound(Some(&text)).map(Some).map_err(|_| {
        D::Error::invalid_value(
            Unexpected::Str(&text),
            &"a duration such as 90s or 2m, or a number of seconds",
        )
    })
}

/// The values of one origin: a figment provider named after it.
struct Origin {
    name: String,
    login: Dict,
    own: Dict,
}

impl Provider for Origin {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        if !self.login.is_empty() {
            dict.insert(LOGIN.to_string(), Value::from(self.login.clone()));
        }
        if !self.own.is_empty() {
            dict.insert(OWN.to_string(), Value::from(self.own.clone()));
        }
        Ok(Map::from([(Profile::Default, dict)]))
    }
}

/// The values the adapter reads, trimmed, without empty ones, grouped by origin in the order the
/// origins first appear.
fn origins(settings: &IdpSettings, prefix: &str) -> Vec<Origin> {
    const COMMON: [&str; 4] = [
        IdpSettings::URL,
        IdpSettings::USERNAME,
        IdpSettings::MFA_TYPE,
        IdpSettings::MFA_WAIT,
    ];
    let mut out: Vec<Origin> = Vec::new();
    for (key, value, origin) in settings.entries() {
        let value = value.trim();
        let common = COMMON.contains(&key);
        if value.is_empty() || !(common || key.starts_with(prefix)) {
            continue;
        }
        let at = match out.iter().position(|o| o.name == origin) {
            Some(at) => at,
            None => {
                out.push(Origin {
                    name: origin.to_string(),
                    login: Dict::new(),
                    own: Dict::new(),
                });
                out.len() - 1
            }
        };
        let dict = if common {
            &mut out[at].login
        } else {
            &mut out[at].own
        };
        dict.insert(key.to_string(), Value::from(value));
    }
    out
}

/// A figment error as a one-line configuration error naming the key, its value and its origin.
fn explain(e: figment::Error, settings: &IdpSettings, spec: &SettingsSpec) -> IdpError {
    use figment::error::Kind;
    let adapter = spec.adapter;
    let key = e.path.join(".");
    let origin = e
        .metadata
        .as_ref()
        .map(|m| m.name.to_string())
        .or_else(|| settings.origin(&key).map(str::to_string));
    let from = origin.map(|o| format!(" from {o}")).unwrap_or_default();
    let message = match &e.kind {
        Kind::UnknownField(field, []) => format!(
            "unknown {adapter} setting `{field}`{from}: the {adapter} identity provider has no {}* settings",
            spec.prefix()
        ),
        Kind::UnknownField(field, known) => format!(
            "unknown {adapter} setting `{field}`{from}; known: {}",
            known.join(", ")
        ),
        Kind::MissingField(field) => {
            format!("the {adapter} identity provider needs the setting `{field}`")
        }
        kind if key.is_empty() => format!("invalid {adapter} settings: {kind}"),
        kind => {
            let value = settings.get(&key).map(str::trim).unwrap_or_default();
            let shown = if key == IdpSettings::URL {
                display_url(value)
            } else {
                value.to_string()
            };
            let why = match kind {
                Kind::InvalidType(_, expected) | Kind::InvalidValue(_, expected) => {
                    format!("expected {expected}")
                }
                Kind::UnknownVariant(_, choices) => {
                    format!("expected one of {}", choices.join(", "))
                }
                Kind::Message(text) => text.clone(),
                other => other.to_string(),
            };
            format!("invalid {adapter} setting `{key}` = {shown:?}{from}: {why}")
        }
    };
    IdpError::configuration(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    const SPEC: SettingsSpec = SettingsSpec::new(
        "corpsso",
        "saml_auth_url (the IdP-initiated SSO URL) or web_identity_auth_url (the issuer)",
    );
    const URL: &str = "https://sso.example.test/start?RelayState=s3cr3t-state";
    const FILE: &str = "profile `corp` at /home/u/.aws/config:12";
    const ENV: &str = "environment variable CORPSSO_RETRIES";

    #[derive(Debug, Deserialize, PartialEq, Eq)]
    #[serde(deny_unknown_fields)]
    struct Own {
        #[serde(default)]
        corpsso_device: Option<String>,
        #[serde(default)]
        corpsso_remember: bool,
        #[serde(default = "three")]
        corpsso_retries: u8,
    }

    fn three() -> u8 {
        3
    }

    fn read(settings: &IdpSettings) -> Result<AdapterSettings<Own>, IdpError> {
        read_settings(settings, &SPEC)
    }

    fn with_url() -> IdpSettings {
        IdpSettings::new().with(IdpSettings::URL, URL, FILE)
    }

    /// The message of a configuration error; fails for any other kind.
    fn configuration(result: Result<AdapterSettings<Own>, IdpError>) -> String {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
        e.to_string()
    }

    #[test]
    fn login_keys_and_own_keys_are_read_with_explicit_defaults() {
        let given = with_url()
            .with(IdpSettings::USERNAME, " jane.doe ", FILE)
            .with(IdpSettings::MFA_TYPE, "Push", FILE)
            .with(IdpSettings::MFA_WAIT, "90s", "flag --mfa-wait-timeout")
            .with("corpsso_device", " Work phone ", FILE)
            .with("corpsso_remember", "true", ENV)
            .with("corpsso_retries", "5", ENV)
            .with("forms_username_field", "another adapter's key", FILE)
            .with("role_arn", "a core key", FILE)
            .with_secrets(Some(Secret::new("hunter2")), Some(Secret::new("123456")));
        let (login, own) = read(&given).unwrap().into_parts();
        assert_eq!(login.url(), URL);
        assert_eq!(login.username(), Some("jane.doe"));
        assert_eq!(login.mfa(), MfaChoice::Push);
        assert_eq!(login.mfa_wait(), Duration::from_secs(90));
        assert_eq!(login.password().map(Secret::expose), Some("hunter2"));
        assert_eq!(login.mfa_code().map(Secret::expose), Some("123456"));
        assert_eq!(
            own,
            Own {
                corpsso_device: Some("Work phone".into()),
                corpsso_remember: true,
                corpsso_retries: 5,
            }
        );

        let blank = with_url()
            .with(IdpSettings::USERNAME, "  ", FILE)
            .with(IdpSettings::MFA_TYPE, "", FILE)
            .with(IdpSettings::MFA_WAIT, " ", FILE)
            .with("corpsso_device", "", FILE)
            .with("corpsso_retries", " ", FILE);
        let (login, own) = read(&blank).unwrap().into_parts();
        assert_eq!(login.username(), None);
        assert_eq!(login.mfa(), MfaChoice::Auto);
        assert_eq!(login.mfa_wait(), DEFAULT_WAIT_BOUND);
        assert_eq!(login.password(), None);
        assert_eq!(
            own,
            Own {
                corpsso_device: None,
                corpsso_remember: false,
                corpsso_retries: 3,
            }
        );
    }

    #[test]
    fn an_unknown_own_key_is_named_with_its_origin_and_the_known_keys() {
        let m = configuration(read(&with_url().with("corpsso_devise", "x", FILE)));
        assert_eq!(
            m,
            "unknown corpsso setting `corpsso_devise` from profile `corp` at /home/u/.aws/config:12; \
             known: corpsso_device, corpsso_remember, corpsso_retries"
        );
    }

    #[test]
    fn an_adapter_without_own_keys_reports_any_of_them() {
        let given = with_url().with("corpsso_anything", "x", "flag --corpsso-anything");
        let e = read_settings::<NoOwnSettings>(&given, &SPEC).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration);
        assert_eq!(
            e.to_string(),
            "unknown corpsso setting `corpsso_anything` from flag --corpsso-anything: \
             the corpsso identity provider has no corpsso_* settings"
        );
        let fine = read_settings::<NoOwnSettings>(&with_url(), &SPEC).unwrap();
        assert_eq!(fine.own(), &NoOwnSettings {});
    }

    #[test]
    fn a_malformed_value_is_named_with_its_value_and_origin() {
        let m = configuration(read(&with_url().with("corpsso_remember", "abc", ENV)));
        assert!(
            m.starts_with(
                "invalid corpsso setting `corpsso_remember` = \"abc\" from environment variable CORPSSO_RETRIES: expected"
            ),
            "{m}"
        );
        assert!(m.contains("bool"), "{m}");
        let m = configuration(read(&with_url().with("corpsso_retries", "many", ENV)));
        assert!(
            m.starts_with(
                "invalid corpsso setting `corpsso_retries` = \"many\" from environment variable CORPSSO_RETRIES: expected"
            ),
            "{m}"
        );
        let m = configuration(read(&with_url().with("corpsso_retries", "300", FILE)));
        assert!(
            m.contains("`corpsso_retries` = \"300\" from profile `corp`"),
            "{m}"
        );
    }

    #[test]
    fn a_missing_url_says_what_the_adapter_needs() {
        let m = configuration(read(
            &IdpSettings::new()
                .with(IdpSettings::USERNAME, "jane", FILE)
                .with(IdpSettings::URL, "   ", FILE),
        ));
        assert_eq!(
            m,
            "the corpsso identity provider needs saml_auth_url (the IdP-initiated SSO URL) or web_identity_auth_url (the issuer)"
        );
    }

    #[test]
    fn a_bad_url_is_named_without_its_query() {
        let m = configuration(read(&IdpSettings::new().with(
            IdpSettings::URL,
            "ftp://sso.example.test/x?token=s3cr3t",
            FILE,
        )));
        assert_eq!(
            m,
            "invalid corpsso setting `url` = \"ftp://sso.example.test/x\" from profile `corp` at /home/u/.aws/config:12: expected an http:// or https:// URL"
        );
    }

    #[test]
    fn a_bad_mfa_type_lists_the_choices() {
        let m = configuration(read(&with_url().with(
            IdpSettings::MFA_TYPE,
            "sms",
            "flag --mfa-type",
        )));
        assert_eq!(
            m,
            "invalid corpsso setting `mfa_type` = \"sms\" from flag --mfa-type: expected one of auto, none, code, push"
        );
    }

    #[test]
    fn a_bad_wait_bound_is_named() {
        let m = configuration(read(&with_url().with(
            IdpSettings::MFA_WAIT,
            "soon",
            "environment variable RUNAS_MFA_WAIT_TIMEOUT",
        )));
        assert_eq!(
            m,
            "invalid corpsso setting `mfa_wait_timeout` = \"soon\" from environment variable RUNAS_MFA_WAIT_TIMEOUT: expected a duration such as 90s or 2m, or a number of seconds"
        );
        let two_minutes = read(&with_url().with(IdpSettings::MFA_WAIT, "2m", FILE)).unwrap();
        assert_eq!(two_minutes.login().mfa_wait(), Duration::from_secs(120));
        let seconds = read(&with_url().with(IdpSettings::MFA_WAIT, "45", FILE)).unwrap();
        assert_eq!(seconds.login().mfa_wait(), Duration::from_secs(45));
    }

    #[test]
    fn values_given_as_pairs_name_the_settings_given() {
        let given = IdpSettings::from_pairs([(IdpSettings::URL, URL), ("corpsso_x", "1")]);
        let m = configuration(read(&given));
        assert!(m.contains("`corpsso_x` from the settings given"), "{m}");
    }

    #[test]
    fn a_dash_in_the_name_is_an_underscore_in_the_keys() {
        assert_eq!(
            SettingsSpec::new("example-sso", "x").prefix(),
            "example_sso_"
        );
        assert_eq!(SPEC.prefix(), "corpsso_");
        assert_eq!(SPEC.adapter(), "corpsso");
    }

    #[test]
    fn debug_shows_neither_the_query_nor_the_secrets() {
        let given =
            with_url().with_secrets(Some(Secret::new("hunter2")), Some(Secret::new("314159")));
        let shown = format!("{:?}", read(&given).unwrap());
        assert!(shown.contains("sso.example.test/start"), "{shown}");
        for hidden in ["s3cr3t", "hunter2", "314159"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(shown.contains("password_given: true"), "{shown}");
    }
}

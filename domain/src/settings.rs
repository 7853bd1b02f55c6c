//! Settings resolution: which value each configuration key has for a profile, and where it came from.
//!
//! Layers, lowest to highest: `[default]` < the `source_profile` (one level) < the profile itself <
//! loader environment variables < flag environment variables < command-line flags.
//! Which keys are read from which layer is decided by [`crate::keys::KEYS`].

use crate::duration::parse_go_duration;
use crate::keys::{KEYS, KeyDef, ValueKind, is_secret_variable};
use crate::names::RoleArn;
use crate::profile::{Origin, ProfileSet};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::fmt;

/// A snapshot of the environment variables the app chose to pass in: those settings resolution
/// reads, never the whole environment.
///
/// `Debug` redacts the value of any variable that holds a secret
/// ([`crate::keys::is_secret_variable`]), should one be passed in.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env(BTreeMap<String, String>);

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.0 {
            if is_secret_variable(k) {
                map.entry(k, &Secret::new(""));
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

impl Env {
    /// From name/value pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }

    /// A variable's value; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Values given as command-line flags, by configuration key name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagValues(BTreeMap<&'static str, String>);

impl FlagValues {
    /// No flags.
    pub fn new() -> Self {
        FlagValues::default()
    }

    /// Sets the value given for `key` (ignored when `value` is `None`).
    ///
    /// # Panics
    /// When `key` is not in the key table or has no flag: a programming error.
    pub fn set(&mut self, key: &'static str, value: Option<String>) {
        let def = crate::keys::lookup(key).expect("flag for a key missing from the key table");
        assert!(def.flag.is_some(), "key {key} has no flag");
        if let Some(v) = value {
            self.0.insert(key, v);
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Any one flag value, to tell "configured on the command line" from "configured nowhere".
    pub fn get_any(&self) -> Option<&str> {
        self.0.values().next().map(String::as_str)
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingSource {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable standing in for a flag.
    FlagEnv(&'static str),
    /// A loader-layer environment variable.
    Env(&'static str),
    /// The profile's own section.
    Profile(String, Option<Origin>),
    /// Inherited from the source profile.
    SourceProfile(String, Option<Origin>),
    /// Inherited from `[default]`.
    Default(Option<Origin>),
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |o: &Option<Origin>| o.as_ref().map(|o| format!(" at {o}")).unwrap_or_default();
        match self {
            SettingSource::Flag(long) => write!(f, "flag --{long}"),
            SettingSource::FlagEnv(var) | SettingSource::Env(var) => {
                write!(f, "environment variable {var}")
            }
            SettingSource::Profile(p, o) => write!(f, "profile `{p}`{}", at(o)),
            SettingSource::SourceProfile(p, o) => write!(f, "source profile `{p}`{}", at(o)),
            SettingSource::Default(o) => write!(f, "profile `default`{}", at(o)),
        }
    }
}

/// One resolved value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    value: SettingValue,
    source: SettingSource,
}

/// The value of a key: text, or a secret for the key table's secret keys.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SettingValue {
    Text(String),
    Secret(Secret),
}

impl Setting {
    fn new(def: &KeyDef, value: &str, source: SettingSource) -> Self {
        let value = if def.kind == ValueKind::Secret {
            SettingValue::Secret(Secret::new(value))
        } else {
            SettingValue::Text(value.to_string())
        };
        Setting { value, source }
    }

    /// The value of a key that is not secret; `None` for a secret key's (see [`Setting::secret`]).
    pub fn value(&self) -> Option<&str> {
        match &self.value {
            SettingValue::Text(t) => Some(t),
            SettingValue::Secret(_) => None,
        }
    }

    /// The value of a secret key; `None` for any other key's (see [`Setting::value`]).
    pub fn secret(&self) -> Option<&Secret> {
        match &self.value {
            SettingValue::Secret(s) => Some(s),
            SettingValue::Text(_) => None,
        }
    }

    /// Where it came from.
    pub fn source(&self) -> &SettingSource {
        &self.source
    }
}

/// A value that does not fit its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {key} {value:?} from {origin}: {reason}")]
pub struct SettingsError {
    key: &'static str,
    value: String,
    origin: String,
    reason: String,
}

impl SettingsError {
    /// The key at fault.
    pub fn key(&self) -> &'static str {
        self.key
    }
}

/// The resolved settings of one profile (or of `[default]` plus flags when a role ARN is given).
///
/// The values of the key table's secret keys are held as [`Secret`]s; `Debug` redacts them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Settings {
    profile: Option<String>,
    values: BTreeMap<&'static str, Setting>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A secret key's value is a `Secret`, whose own `Debug` redacts it.
        f.debug_struct("Settings")
            .field("profile", &self.profile)
            .field("values", &self.values)
            .finish()
    }
}

impl Settings {
    /// The profile these settings are for (`None` in role-ARN mode).
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// A key's value, for keys that are not secret (secret keys: [`Settings::secret`]).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Setting::value)
    }

    /// A secret key's value.
    pub fn secret(&self, key: &str) -> Option<&Secret> {
        self.values.get(key).and_then(Setting::secret)
    }

    /// A key's value and where it came from.
    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.values.get(key)
    }

    /// Every resolved key, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Setting)> {
        self.values.iter().map(|(k, v)| (*k, v))
    }

    /// A duration key in whole seconds (Go syntax or plain seconds).
    ///
    /// # Errors
    /// [`SettingsError`] naming the key, the value and where it came from.
    pub fn duration_secs(&self, key: &'static str) -> Result<Option<i64>, SettingsError> {
        self.parse(key, |v| parse_go_duration(v).map_err(|e| e.to_string()))
    }

    /// Whole seconds.
    ///
    /// # Errors
    /// [`SettingsError`] for anything but an integer.
    pub fn seconds(&self, key: &'static str) -> Result<Option<i64>, SettingsError> {
        self.parse(key, |v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| "expected whole seconds".to_string())
        })
    }

    /// A role ARN key.
    ///
    /// # Errors
    /// [`SettingsError`] when the value is not an IAM role ARN.
    pub fn role_arn(&self, key: &'static str) -> Result<Option<RoleArn>, SettingsError> {
        self.parse(key, |v| {
            RoleArn::parse(v.trim())
                .map_err(|_| "expected arn:<partition>:iam::<account>:role/<name>".to_string())
        })
    }

    fn parse<T>(
        &self,
        key: &'static str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, SettingsError> {
        let Some((s, value)) = self.values.get(key).and_then(|s| Some((s, s.value()?))) else {
            return Ok(None);
        };
        f(value).map(Some).map_err(|reason| SettingsError {
            key,
            value: value.to_string(),
            origin: s.source.to_string(),
            reason,
        })
    }
}

/// Resolves every key of the table for `profile` (or for no profile: `[default]`'s inheritable keys).
///
/// A missing profile or source profile is not an error here; the chain planner reports it.
pub fn resolve_settings(
    set: &ProfileSet,
    profile: Option<&str>,
    env: &Env,
    flags: &FlagValues,
) -> Settings {
    let own = profile.and_then(|p| set.profile(p));
    let default = set.profile("default");
    let source_name = own.and_then(|s| s.get("source_profile")).map(str::trim);
    let source = source_name
        .filter(|s| Some(*s) != profile)
        .and_then(|s| set.profile(s));
    let mut values = BTreeMap::new();
    for def in KEYS {
        if let Some(setting) = resolve_key(def, profile, own, source, default, env, flags) {
            values.insert(def.name, setting);
        }
    }
    Settings {
        profile: profile.map(str::to_string),
        values,
    }
}

fn resolve_key(
    def: &'static KeyDef,
    profile: Option<&str>,
    own: Option<&crate::profile::Section>,
    source: Option<&crate::profile::Section>,
    default: Option<&crate::profile::Section>,
    env: &Env,
    flags: &FlagValues,
) -> Option<Setting> {
    let setting = |value: &str, source| Some(Setting::new(def, value, source));
    if let Some(flag) = def.flag {
        if let Some(v) = flags.get(def.name) {
            return setting(v, SettingSource::Flag(flag.long));
        }
        if let Some((var, v)) = flag
            .env
            .iter()
            .find_map(|var| env.get(var).map(|v| (*var, v)))
        {
            return setting(v, SettingSource::FlagEnv(var));
        }
    }
    if let Some((var, v)) = def
        .env
        .iter()
        .find_map(|var| env.get(var).map(|v| (*var, v)))
    {
        return setting(v, SettingSource::Env(var));
    }
    if let (Some(p), Some(prop)) = (profile, own.and_then(|sec| sec.property(def.name))) {
        return setting(
            prop.value(),
            SettingSource::Profile(p.to_string(), prop.origin().cloned()),
        );
    }
    if def.from_source
        && let Some(sec) = source
        && let Some(prop) = sec.property(def.name)
    {
        return setting(
            prop.value(),
            SettingSource::SourceProfile(sec.name().to_string(), prop.origin().cloned()),
        );
    }
    // The profile *is* `[default]` when none is named: its own keys count, inheritable or not,
    // only when it was named explicitly.
    if def.from_default
        && profile != Some("default")
        && let Some(prop) = default.and_then(|d| d.property(def.name))
    {
        return setting(prop.value(), SettingSource::Default(prop.origin().cloned()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ProfileSet {
        ProfileSet::from_triples([
            ("default", "region", "eu-west-1"),
            ("default", "mfa_serial", "default-mfa"),
            ("default", "external_id", "never-inherited"),
            ("default", "credentials_duration", "2h"),
            ("user", "mfa_serial", "user-mfa"),
            (
                "user",
                "role_arn",
                "arn:aws:iam::111111111111:role/not-inherited",
            ),
            ("user", "session_token_duration", "20m"),
            ("role", "source_profile", "user"),
            ("role", "role_arn", "arn:aws:iam::123456789012:role/admin"),
            ("role", "credentials_duration", "7d"),
        ])
    }

    #[test]
    fn precedence_default_source_profile_env_flag() {
        let s = resolve_settings(&set(), Some("role"), &Env::default(), &FlagValues::new());
        assert_eq!(s.get("region"), Some("eu-west-1"));
        assert_eq!(s.get("mfa_serial"), Some("user-mfa"));
        assert_eq!(s.get("session_token_duration"), Some("20m"));
        assert_eq!(
            s.get("role_arn"),
            Some("arn:aws:iam::123456789012:role/admin")
        );
        assert_eq!(s.get("external_id"), None, "external_id is never inherited");
        assert!(
            matches!(s.setting("mfa_serial").unwrap().source(), SettingSource::SourceProfile(p, _) if p == "user")
        );

        let env = Env::from_pairs([
            ("AWS_REGION", "us-west-2"),
            ("MFA_SERIAL", "env-mfa"),
            ("CREDENTIALS_DURATION", ""),
        ]);
        let s = resolve_settings(&set(), Some("role"), &env, &FlagValues::new());
        assert_eq!(s.get("region"), Some("us-west-2"));
        assert_eq!(s.get("mfa_serial"), Some("env-mfa"));
        assert_eq!(
            s.get("credentials_duration"),
            Some("7d"),
            "an empty variable counts as unset"
        );

        let mut flags = FlagValues::new();
        flags.set("mfa_serial", Some("flag-mfa".into()));
        flags.set("external_id", Some("xid".into()));
        let s = resolve_settings(&set(), Some("role"), &env, &flags);
        assert_eq!(s.get("mfa_serial"), Some("flag-mfa"));
        assert_eq!(s.get("external_id"), Some("xid"));
        assert_eq!(
            s.setting("mfa_serial").unwrap().source(),
            &SettingSource::Flag("mfa-serial")
        );
    }

    #[test]
    fn bad_duration_names_key_value_and_source() {
        let s = resolve_settings(&set(), Some("role"), &Env::default(), &FlagValues::new());
        let e = s
            .duration_secs("credentials_duration")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("credentials_duration")
                && e.contains("\"7d\"")
                && e.contains("profile `role`"),
            "{e}"
        );
        let mut flags = FlagValues::new();
        flags.set("credentials_duration", Some("7d".into()));
        let s = resolve_settings(&set(), Some("role"), &Env::default(), &flags);
        let e = s
            .duration_secs("credentials_duration")
            .unwrap_err()
            .to_string();
        assert!(e.contains("flag --role-duration"), "{e}");
        let env = Env::from_pairs([("SESSION_TOKEN_DURATION", "1y")]);
        let s = resolve_settings(&set(), Some("role"), &env, &FlagValues::new());
        let e = s
            .duration_secs("session_token_duration")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("environment variable SESSION_TOKEN_DURATION"),
            "{e}"
        );
    }

    #[test]
    fn no_profile_reads_default_inheritable_keys_only() {
        let s = resolve_settings(&set(), None, &Env::default(), &FlagValues::new());
        assert_eq!(s.get("region"), Some("eu-west-1"));
        assert_eq!(s.get("external_id"), None);
        assert_eq!(s.duration_secs("credentials_duration").unwrap(), Some(7200));
    }

    #[test]
    fn secret_keys_are_secrets_and_redacted() {
        let set = ProfileSet::from_triples([
            ("u", "aws_access_key_id", "AKIDSHOWN"),
            ("u", "aws_secret_access_key", "fake-secret-1"),
            ("u", "aws_session_token", "fake-token-2"),
        ]);
        let env = Env::from_pairs([("AWS_REGION", "eu-west-3"), ("SAML_PASSWORD", "fake-pw-3")]);
        let s = resolve_settings(&set, Some("u"), &env, &FlagValues::new());
        assert_eq!(s.get("aws_access_key_id"), Some("AKIDSHOWN"));
        assert_eq!(s.get("aws_secret_access_key"), None, "not as text");
        assert_eq!(
            s.secret("aws_secret_access_key").map(Secret::expose),
            Some("fake-secret-1")
        );
        assert_eq!(s.secret("region"), None);
        let shown = format!("{s:?} {s:#?} {env:?} {env:#?}");
        assert!(
            shown.contains("AKIDSHOWN") && shown.contains("eu-west-3"),
            "{shown}"
        );
        for secret in ["fake-secret-1", "fake-token-2", "fake-pw-3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn self_referencing_source_is_not_inherited_twice() {
        let set = ProfileSet::from_triples([("a", "source_profile", "a"), ("a", "region", "x")]);
        let s = resolve_settings(&set, Some("a"), &Env::default(), &FlagValues::new());
        assert_eq!(s.get("region"), Some("x"));
    }
}

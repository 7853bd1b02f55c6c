//! Profiles as read from the files: named sections of `key = value` properties, merged across
//! the config and credentials files, with where each value came from.

use crate::keys::is_secret_key;
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where a value was written: a file and a 1-based line.
#[derive(Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// The line.
    pub line: usize,
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One property value and where it was written.
///
/// The value of a secret key ([`crate::keys::is_secret_key`]) is held as a [`Secret`]: zeroized on
/// drop and redacted by `Debug`. [`Section::set`] decides by the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Property {
    value: Value,
    origin: Option<Origin>,
}

#[derive(Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Secret(Secret),
}

impl Property {
    /// A value, with its origin when known.
    pub fn new(value: impl Into<String>, origin: Option<Origin>) -> Self {
        Property {
            value: Value::Text(value.into()),
            origin,
        }
    }

    /// The value (for a property with sub-properties: a newline, then `name = value` lines).
    ///
    /// For a secret this is the exposed value: the caller wraps it again (as the chain planner
    /// does for `aws_secret_access_key`) or hands it on unshown.
    pub fn value(&self) -> &str {
        match &self.value {
            Value::Text(t) => t,
            Value::Secret(s) => s.expose(),
        }
    }

    /// Whether the value is a secret.
    pub fn is_secret(&self) -> bool {
        matches!(self.value, Value::Secret(_))
    }

    /// Where it was written.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    fn into_secret(self) -> Self {
        let value = match self.value {
            Value::Text(t) => Value::Secret(Secret::new(t)),
            secret @ Value::Secret(_) => secret,
        };
        Property { value, ..self }
    }
}

impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Property");
        match &self.value {
            Value::Text(t) => d.field("value", t),
            Value::Secret(s) => d.field("value", s),
        };
        d.field("origin", &self.origin).finish()
    }
}

/// A named section: a profile or an sso-session.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Section {
    name: String,
    properties: BTreeMap<String, Property>,
}

impl Section {
    /// An empty section.
    pub fn new(name: impl Into<String>) -> Self {
        Section {
            name: name.into(),
            properties: BTreeMap::new(),
        }
    }

    /// The section's name (without any `profile ` prefix).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A property's value; keys are lower-case.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(Property::value)
    }

    /// A property with its origin.
    pub fn property(&self, key: &str) -> Option<&Property> {
        self.properties.get(key)
    }

    /// Sets a property (the key is lower-cased), replacing an earlier value; the value of a
    /// secret key is kept as a secret.
    pub fn set(&mut self, key: &str, property: Property) {
        let key = key.to_ascii_lowercase();
        let property = if is_secret_key(&key) {
            property.into_secret()
        } else {
            property
        };
        self.properties.insert(key, property);
    }

    /// Every property, sorted by key.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &Property)> {
        self.properties.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether the section has no properties.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }
}

impl fmt::Debug for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Each property's own `Debug` redacts secret values.
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("properties", &self.properties)
            .finish()
    }
}

/// Every profile and sso-session, merged across the config and credentials files.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Section>,
    sso_sessions: BTreeMap<String, Section>,
}

impl fmt::Debug for ProfileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Sections, and their properties, redact secret values.
        f.debug_struct("ProfileSet")
            .field("profiles", &self.profiles)
            .field("sso_sessions", &self.sso_sessions)
            .finish()
    }
}

impl ProfileSet {
    /// An empty set.
    pub fn new() -> Self {
        ProfileSet::default()
    }

    /// A profile by exact name.
    pub fn profile(&self, name: &str) -> Option<&Section> {
        self.profiles.get(name)
    }

    /// An sso-session by name.
    pub fn sso_session(&self, name: &str) -> Option<&Section> {
        self.sso_sessions.get(name)
    }

    /// The profile, created empty if missing, for a store to fill.
    pub fn profile_mut(&mut self, name: &str) -> &mut Section {
        self.profiles
            .entry(name.to_string())
            .or_insert_with(|| Section::new(name))
    }

    /// The sso-session, created empty if missing, for a store to fill.
    pub fn sso_session_mut(&mut self, name: &str) -> &mut Section {
        self.sso_sessions
            .entry(name.to_string())
            .or_insert_with(|| Section::new(name))
    }

    /// Profile names, sorted.
    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Every profile, sorted by name.
    pub fn profiles(&self) -> impl Iterator<Item = &Section> {
        self.profiles.values()
    }

    /// Every sso-session, sorted by name.
    pub fn sso_sessions(&self) -> impl Iterator<Item = &Section> {
        self.sso_sessions.values()
    }

    /// Whether there are no profiles at all.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Builds a set from `(profile, key, value)` triples, for tests.
    pub fn from_triples<'a>(
        triples: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Self {
        let mut set = ProfileSet::new();
        for (p, k, v) in triples {
            set.profile_mut(p).set(k, Property::new(v, None));
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_kept_as_secrets_and_redacted() {
        let set = ProfileSet::from_triples([
            ("u", "aws_access_key_id", "AKIDSHOWN"),
            ("u", "AWS_SECRET_ACCESS_KEY", "fake-secret-1"),
            ("u", "aws_session_token", "fake-token-2"),
            ("https://idp.example", "saml_password", "fake-password-3"),
        ]);
        let u = set.profile("u").unwrap();
        let secret = u.property("aws_secret_access_key").unwrap();
        assert!(secret.is_secret());
        assert_eq!(secret.value(), "fake-secret-1");
        assert!(!u.property("aws_access_key_id").unwrap().is_secret());
        let shown = format!("{set:?} {set:#?}");
        assert!(shown.contains("AKIDSHOWN"), "{shown}");
        for s in ["fake-secret-1", "fake-token-2", "fake-password-3"] {
            assert!(!shown.contains(s), "{s} in {shown}");
        }
    }
}

//! Profiles as read from the files: named sections of `key = value` properties, merged across
//! the config and credentials files, with where each value came from.

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    value: String,
    origin: Option<Origin>,
}

impl Property {
    /// A value, with its origin when known.
    pub fn new(value: impl Into<String>, origin: Option<Origin>) -> Self {
        Property {
            value: value.into(),
            origin,
        }
    }

    /// The value (for a property with sub-properties: a newline, then `name = value` lines).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Where it was written.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }
}

/// A named section: a profile or an sso-session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

    /// Sets a property (the key is lower-cased), replacing an earlier value.
    pub fn set(&mut self, key: &str, property: Property) {
        self.properties.insert(key.to_ascii_lowercase(), property);
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

/// Every profile and sso-session, merged across the config and credentials files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Section>,
    sso_sessions: BTreeMap<String, Section>,
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

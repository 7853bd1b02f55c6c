//! Validated names: profile names, IAM role ARNs and role session names.

use std::fmt;

/// A profile name as written after `[profile …]` (or `[…]`) in the config file.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    /// Validates a profile name: non-empty, no whitespace at either end, no control characters.
    ///
    /// # Errors
    /// Returns [`NameError`] for an empty or unprintable name.
    pub fn new(name: &str) -> Result<Self, NameError> {
        if name.is_empty() || name.trim() != name || name.chars().any(char::is_control) {
            return Err(NameError::Profile(name.to_string()));
        }
        Ok(ProfileName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An invalid name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Not a usable profile name.
    #[error("invalid profile name {0:?}")]
    Profile(String),
    /// Not an IAM role ARN.
    #[error("invalid role ARN {0:?}: expected arn:<partition>:iam::<12-digit account>:role/<name>")]
    RoleArn(String),
}

/// An IAM role ARN: `arn:<partition>:iam::<account>:role/<path/><name>`.
///
/// Every partition is accepted (`aws`, `aws-cn`, `aws-us-gov`, …).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleArn {
    text: String,
    partition_end: usize,
    account_start: usize,
    account_end: usize,
}

impl RoleArn {
    /// Parses a role ARN.
    ///
    /// # Errors
    /// Returns [`NameError::RoleArn`] when `text` is not an IAM role ARN.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let bad = || NameError::RoleArn(text.to_string());
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        if parts.len() != 6
            || parts[0] != "arn"
            || parts[1].is_empty()
            || parts[2] != "iam"
            || !parts[3].is_empty()
        {
            return Err(bad());
        }
        let account = parts[4];
        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let resource = parts[5];
        let name = resource.strip_prefix("role/").ok_or_else(bad)?;
        if name.is_empty()
            || name.ends_with('/')
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad());
        }
        let partition_end = 4 + parts[1].len();
        let account_start = partition_end + 1 + 3 + 2;
        Ok(RoleArn {
            text: text.to_string(),
            partition_end,
            account_start,
            account_end: account_start + account.len(),
        })
    }

    /// Whether `text` looks like an ARN given in place of a profile name (`arn:` and five colons).
    pub fn looks_like_arn(text: &str) -> bool {
        text.starts_with("arn:") && text.matches(':').count() >= 5
    }

    /// The whole ARN.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The partition: `aws`, `aws-cn`, `aws-us-gov`, ….
    pub fn partition(&self) -> &str {
        &self.text[4..self.partition_end]
    }

    /// The account id.
    pub fn account(&self) -> &str {
        &self.text[self.account_start..self.account_end]
    }

    /// The role name: the last segment of the resource path.
    pub fn role_name(&self) -> &str {
        self.text.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Debug for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A role session name as STS accepts it: 2 to 64 characters of `[A-Za-z0-9_+=,.@-]`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionName(String);

impl SessionName {
    /// Makes a valid session name out of anything: other characters become `-`, the result is cut
    /// to 64 characters, and a result shorter than 2 characters gives `None`.
    pub fn sanitize(raw: &str) -> Option<Self> {
        let cleaned: String = raw
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        (cleaned.len() >= 2).then_some(SessionName(cleaned))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_parts_in_every_partition() {
        for (text, partition) in [
            ("arn:aws:iam::123456789012:role/admin", "aws"),
            ("arn:aws-cn:iam::123456789012:role/path/to/admin", "aws-cn"),
            ("arn:aws-us-gov:iam::123456789012:role/admin", "aws-us-gov"),
        ] {
            let arn = RoleArn::parse(text).unwrap();
            assert_eq!(arn.partition(), partition);
            assert_eq!(arn.account(), "123456789012");
            assert_eq!(arn.role_name(), "admin");
            assert_eq!(arn.as_str(), text);
        }
    }

    #[test]
    fn role_arn_rejects_other_things() {
        for text in [
            "",
            "arn:foo",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:sts::123456789012:role/x",
            "arn:aws:iam::12345x:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn::iam::123456789012:role/x",
        ] {
            assert!(RoleArn::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn looks_like_arn_needs_five_colons() {
        assert!(RoleArn::looks_like_arn("arn:aws:iam::1:role/x"));
        assert!(!RoleArn::looks_like_arn("arn:aws:iam"));
        assert!(!RoleArn::looks_like_arn("my-profile"));
    }

    #[test]
    fn session_names_are_sanitised() {
        assert_eq!(
            SessionName::sanitize("alice@example.com").unwrap().as_str(),
            "alice@example.com"
        );
        assert_eq!(
            SessionName::sanitize("Jane Doe/ops").unwrap().as_str(),
            "Jane-Doe-ops"
        );
        assert_eq!(
            SessionName::sanitize(&"x".repeat(80))
                .unwrap()
                .as_str()
                .len(),
            64
        );
        assert!(SessionName::sanitize("a").is_none());
        assert!(SessionName::sanitize(" ").is_none());
    }

    #[test]
    fn profile_names() {
        assert!(ProfileName::new("dev/admin:1").is_ok());
        assert!(ProfileName::new("").is_err());
        assert!(ProfileName::new(" x").is_err());
        assert!(ProfileName::new("a\nb").is_err());
    }
}

//! The mock's settings, deserialised from the login's settings: the user name and the
//! adapter's own `mock_*` keys.

use aws_runas_domain::RoleArn;
use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use serde::Deserialize;
use serde::de::value::{Error as ValueError, MapDeserializer};

/// The session name when no user name is configured.
const DEFAULT_USERNAME: &str = "mock-user";
/// The role granted when `mock_roles` is not set.
const DEFAULT_ROLE: &str = "arn:aws:iam::123456789012:role/mock-role";
/// The SAML provider paired with every role when `mock_provider` is not set.
const DEFAULT_PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/mock";
/// The namespace of the adapter's own keys.
const NAMESPACE: &str = "mock_";

/// The keys as they arrive: every one optional, defaults applied afterwards.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default, deserialize_with = "present")]
    username: Option<String>,
    #[serde(default, deserialize_with = "present")]
    mock_roles: Option<String>,
    #[serde(default, deserialize_with = "present")]
    mock_provider: Option<String>,
}

/// A key that is there: settings arrive as plain strings, never as `null`.
fn present<'de, D: serde::Deserializer<'de>>(value: D) -> Result<Option<String>, D::Error> {
    String::deserialize(value).map(Some)
}

/// What the mock identity provider puts in its assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockSettings {
    username: String,
    roles: Vec<RoleArn>,
    provider_arn: String,
}

impl MockSettings {
    /// Reads `username` ([`IdpSettings::USERNAME`]), `mock_roles` and `mock_provider`.
    ///
    /// Defaults: user name `mock-user`, one role `arn:aws:iam::123456789012:role/mock-role`,
    /// provider `arn:aws:iam::123456789012:saml-provider/mock`.
    /// `url`, `mfa_type` and the keys of other adapters are ignored.
    ///
    /// # Errors
    /// [`IdpErrorKind::Configuration`](aws_runas_domain::ports::idp::IdpErrorKind::Configuration) for an unknown `mock_*` key, a role that is not a role
    /// ARN with a 12-digit account id, an empty role list, a provider that is not a SAML
    /// provider ARN with a 12-digit account id, or a role in another partition than the provider.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let pairs = settings
            .iter()
            .filter(|(key, _)| *key == IdpSettings::USERNAME || key.starts_with(NAMESPACE))
            .map(|(key, value)| (key.to_string(), value.to_string()));
        let raw = RawSettings::deserialize(MapDeserializer::<_, ValueError>::new(pairs)).map_err(
            |e| {
                invalid(format!(
                    "invalid settings of the mock identity provider: {e}"
                ))
            },
        )?;

        let username = raw
            .username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_USERNAME)
            .to_string();
        let provider_arn = raw
            .mock_provider
            .as_deref()
            .map(str::trim)
            .unwrap_or(DEFAULT_PROVIDER)
            .to_string();
        let provider_partition = saml_provider_partition(&provider_arn).ok_or_else(|| {
            invalid(format!(
                "invalid mock_provider {provider_arn:?}: expected arn:<partition>:iam::<12-digit account>:saml-provider/<name>"
            ))
        })?;
        let mut roles: Vec<RoleArn> = vec![];
        for entry in raw
            .mock_roles
            .as_deref()
            .unwrap_or(DEFAULT_ROLE)
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let role = RoleArn::parse(entry)
                .ok()
                .filter(|r| is_account_id(r.account()))
                .ok_or_else(|| {
                    invalid(format!(
                        "invalid role {entry:?} in mock_roles: expected arn:<partition>:iam::<12-digit account>:role/<name>"
                    ))
                })?;
            if role.partition() != provider_partition {
                return Err(invalid(format!(
                    "role {role} in mock_roles is in partition {}, but mock_provider {provider_arn} is in partition {provider_partition}",
                    role.partition()
                )));
            }
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            return Err(invalid(
                "mock_roles lists no role: give comma-separated role ARNs".to_string(),
            ));
        }
        Ok(MockSettings {
            username,
            roles,
            provider_arn,
        })
    }

    /// The subject and `RoleSessionName` of the assertion.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The roles granted, in the configured order (never empty).
    pub fn roles(&self) -> &[RoleArn] {
        &self.roles
    }

    /// The SAML provider ARN paired with every role.
    pub fn provider_arn(&self) -> &str {
        &self.provider_arn
    }
}

fn invalid(message: String) -> IdpError {
    IdpError::configuration(message)
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The partition of `arn:<partition>:iam::<12 digits>:saml-provider/<name>`, or `None`.
fn saml_provider_partition(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return None;
    };
    let name = resource.strip_prefix("saml-provider/")?;
    let fine = *prefix == "arn"
        && !partition.is_empty()
        && *service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/');
    fine.then_some(*partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<MockSettings, IdpError> {
        MockSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    fn message(e: IdpError) -> String {
        match e {
            e if e.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration => {
                e.to_string()
            }
            other => panic!("expected InvalidConfiguration, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let s = settings(&[("url", "http://localhost/mock"), ("mfa_type", "auto")]).unwrap();
        assert_eq!(s.username(), "mock-user");
        assert_eq!(
            s.roles().iter().map(RoleArn::as_str).collect::<Vec<_>>(),
            vec!["arn:aws:iam::123456789012:role/mock-role"]
        );
        assert_eq!(
            s.provider_arn(),
            "arn:aws:iam::123456789012:saml-provider/mock"
        );
    }

    #[test]
    fn configured_values_are_trimmed_and_roles_kept_once_in_order() {
        let s = settings(&[
            ("username", " jane.doe "),
            (
                "mock_roles",
                "arn:aws:iam::111122223333:role/b, arn:aws:iam::111122223333:role/path/a,,arn:aws:iam::111122223333:role/b,",
            ),
            (
                "mock_provider",
                "arn:aws:iam::111122223333:saml-provider/Corp",
            ),
            ("forms_username_field", "ignored: another adapter's key"),
        ])
        .unwrap();
        assert_eq!(s.username(), "jane.doe");
        assert_eq!(
            s.roles().iter().map(RoleArn::as_str).collect::<Vec<_>>(),
            vec![
                "arn:aws:iam::111122223333:role/b",
                "arn:aws:iam::111122223333:role/path/a"
            ]
        );
        assert_eq!(
            s.provider_arn(),
            "arn:aws:iam::111122223333:saml-provider/Corp"
        );
        assert_eq!(
            settings(&[("username", "  ")]).unwrap().username(),
            "mock-user"
        );
    }

    #[test]
    fn other_partitions_are_accepted_when_role_and_provider_agree() {
        let s = settings(&[
            ("mock_roles", "arn:aws-us-gov:iam::123456789012:role/r"),
            (
                "mock_provider",
                "arn:aws-us-gov:iam::123456789012:saml-provider/p",
            ),
        ])
        .unwrap();
        assert_eq!(s.roles()[0].partition(), "aws-us-gov");
        let e = message(
            settings(&[("mock_roles", "arn:aws-cn:iam::123456789012:role/r")]).unwrap_err(),
        );
        assert!(
            e.contains("partition aws-cn") && e.contains("partition aws"),
            "{e}"
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let e = message(settings(&[("mock_rolez", "x")]).unwrap_err());
        assert!(
            e.contains("`mock_rolez`") && e.contains("mock_roles"),
            "{e}"
        );

        let e = message(settings(&[("mock_roles", "arn:aws:iam::123:role/short")]).unwrap_err());
        assert!(
            e.contains("\"arn:aws:iam::123:role/short\"") && e.contains("12-digit"),
            "{e}"
        );

        let e = message(settings(&[("mock_roles", "admin")]).unwrap_err());
        assert!(e.contains("\"admin\" in mock_roles"), "{e}");

        let e = message(settings(&[("mock_roles", " , ")]).unwrap_err());
        assert!(e.contains("mock_roles lists no role"), "{e}");

        for provider in [
            "arn:aws:iam::123456789012:role/not-a-provider",
            "arn:aws:iam::12345:saml-provider/short",
            "arn:aws:iam::123456789012:saml-provider/",
            "arn:aws:sts::123456789012:saml-provider/x",
        ] {
            let e = message(settings(&[("mock_provider", provider)]).unwrap_err());
            assert!(
                e.contains(&format!("invalid mock_provider {provider:?}")),
                "{e}"
            );
        }
    }
}

//! The mock's settings, read with the shared [`read_settings`]: the user name and the adapter's
//! own `mock_*` keys.

use aws_runas_domain::RoleArn;
use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{SettingsSpec, read_settings};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "mock",
    "a URL (saml_auth_url), such as http://localhost/mock",
);

/// The URL the settings are read with when none is configured: the mock sends nothing anywhere,
/// so it needs none.
const DEFAULT_URL: &str = "http://localhost/mock";
/// The session name when no user name is configured.
const DEFAULT_USERNAME: &str = "mock-user";
/// The role granted when `mock_roles` is not set.
const DEFAULT_ROLE: &str = "arn:aws:iam::123456789012:role/mock-role";
/// The SAML provider paired with every role when `mock_provider` is not set.
const DEFAULT_PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/mock";

/// The adapter's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default, deserialize_with = "role_list")]
    mock_roles: Option<Vec<RoleArn>>,
    #[serde(default, deserialize_with = "saml_provider")]
    mock_provider: Option<String>,
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
    /// The URL may be left out; it is not used. The keys of other adapters are ignored.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) naming the key and where it came from
    /// for an unknown `mock_*` key, a role that is not a role ARN with a 12-digit account id, an
    /// empty role list, a provider that is not a SAML provider ARN with a 12-digit account id, a
    /// role in another partition than the provider, and a URL, `mfa_type` or
    /// `mfa_wait_timeout` that is not one (the shared checks of every adapter).
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let with_url;
        let settings = if settings
            .get(IdpSettings::URL)
            .is_some_and(|u| !u.trim().is_empty())
        {
            settings
        } else {
            with_url =
                settings
                    .clone()
                    .with(IdpSettings::URL, DEFAULT_URL, "the mock's default URL");
            &with_url
        };
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        let provider_arn = own
            .mock_provider
            .unwrap_or_else(|| DEFAULT_PROVIDER.to_string());
        let provider_partition = saml_provider_partition(&provider_arn).unwrap_or("aws");
        // The default role parses (the tests show it), so the list is never empty.
        let roles = own
            .mock_roles
            .unwrap_or_else(|| RoleArn::parse(DEFAULT_ROLE).into_iter().collect());
        if let Some(role) = roles.iter().find(|r| r.partition() != provider_partition) {
            return Err(IdpError::configuration(format!(
                "role {role} in mock_roles is in partition {}, but mock_provider {provider_arn} is in partition {provider_partition}",
                role.partition()
            )));
        }
        Ok(MockSettings {
            username: login.username().unwrap_or(DEFAULT_USERNAME).to_string(),
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

/// `mock_roles`: comma-separated role ARNs with 12-digit account ids, each kept once, in order.
fn role_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<RoleArn>>, D::Error> {
    let text = String::deserialize(d)?;
    let mut roles: Vec<RoleArn> = vec![];
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let role = RoleArn::parse(entry)
            .ok()
            .filter(|r| is_account_id(r.account()))
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "{entry:?} is not arn:<partition>:iam::<12-digit account>:role/<name>"
                ))
            })?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(D::Error::custom(
            "it lists no role: give comma-separated role ARNs",
        ));
    }
    Ok(Some(roles))
}

/// `mock_provider`: a SAML provider ARN with a 12-digit account id.
fn saml_provider<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    match saml_provider_partition(&text) {
        Some(_) => Ok(Some(text)),
        None => Err(D::Error::custom(
            "expected arn:<partition>:iam::<12-digit account>:saml-provider/<name>",
        )),
    }
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
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn settings(pairs: &[(&str, &str)]) -> Result<MockSettings, IdpError> {
        MockSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    /// The message of the configuration error `pairs` make.
    fn refused(pairs: &[(&str, &str)]) -> String {
        let e = settings(pairs).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
        e.to_string()
    }

    #[test]
    fn defaults() {
        for given in [
            settings(&[("url", "http://localhost/mock"), ("mfa_type", "auto")]).unwrap(),
            MockSettings::from_idp_settings(&IdpSettings::new()).unwrap(),
        ] {
            assert_eq!(given.username(), "mock-user");
            assert_eq!(
                given
                    .roles()
                    .iter()
                    .map(RoleArn::as_str)
                    .collect::<Vec<_>>(),
                vec!["arn:aws:iam::123456789012:role/mock-role"]
            );
            assert_eq!(
                given.provider_arn(),
                "arn:aws:iam::123456789012:saml-provider/mock"
            );
        }
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
                " arn:aws:iam::111122223333:saml-provider/Corp",
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
        let e = refused(&[("mock_roles", "arn:aws-cn:iam::123456789012:role/r")]);
        assert!(
            e.contains("partition aws-cn") && e.contains("partition aws"),
            "{e}"
        );
    }

    #[test]
    fn bad_settings_are_named_with_where_they_came_from() {
        let e = refused(&[("mock_rolez", "x")]);
        assert!(
            e.contains("`mock_rolez`") && e.contains("known: mock_roles, mock_provider"),
            "{e}"
        );

        let e = refused(&[("mock_roles", "arn:aws:iam::123:role/short")]);
        assert!(
            e.contains("`mock_roles`")
                && e.contains("\"arn:aws:iam::123:role/short\"")
                && e.contains("12-digit")
                && e.contains(IdpSettings::GIVEN),
            "{e}"
        );

        let e = refused(&[("mock_roles", "admin")]);
        assert!(e.contains("`mock_roles` = \"admin\""), "{e}");

        let e = refused(&[("mock_roles", " , ")]);
        assert!(
            e.contains("`mock_roles`") && e.contains("lists no role"),
            "{e}"
        );

        for provider in [
            "arn:aws:iam::123456789012:role/not-a-provider",
            "arn:aws:iam::12345:saml-provider/short",
            "arn:aws:iam::123456789012:saml-provider/",
            "arn:aws:sts::123456789012:saml-provider/x",
        ] {
            let e = refused(&[("mock_provider", provider)]);
            assert!(
                e.contains(&format!("`mock_provider` = {provider:?}")),
                "{e}"
            );
        }

        let e = refused(&[("url", "ftp://localhost/mock")]);
        assert!(e.contains("`url`"), "{e}");
    }
}

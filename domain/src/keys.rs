//! The table of every configuration key aws-runas reads.
//!
//! One table drives settings resolution (which layers a key is read from), the environment
//! variables of command-line flags, and `docs/configuration.md` (a test checks the document
//! against this table).

/// What kind of value a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Free text.
    Text,
    /// A duration in Go syntax (`1h30m`) or whole seconds.
    Duration,
    /// Whole seconds.
    Seconds,
    /// An IAM role ARN.
    RoleArn,
    /// A profile name.
    Profile,
    /// A URL.
    Url,
    /// A file path.
    Path,
    /// A command line.
    Command,
    /// A secret (never shown).
    Secret,
}

impl ValueKind {
    /// Name for documentation.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::Duration => "duration",
            ValueKind::Seconds => "seconds",
            ValueKind::RoleArn => "role ARN",
            ValueKind::Profile => "profile name",
            ValueKind::Url => "URL",
            ValueKind::Path => "path",
            ValueKind::Command => "command",
            ValueKind::Secret => "secret",
        }
    }
}

/// Who defined a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOwner {
    /// A standard AWS shared-config key, with its AWS meaning.
    Aws,
    /// A key of aws-runas's own.
    AwsRunas,
}

/// A command-line flag that sets a key, and the environment variables that stand in for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagDef {
    /// The long name, without `--`.
    pub long: &'static str,
    /// The short letter.
    pub short: Option<char>,
    /// Environment variables read when the flag is not given, first set one wins.
    pub env: &'static [&'static str],
}

/// One configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDef {
    /// The key as written in the file.
    pub name: &'static str,
    /// Its value kind.
    pub kind: ValueKind,
    /// Who defined it.
    pub owner: KeyOwner,
    /// Environment variables of the loader layer (below flags, above the profile).
    pub env: &'static [&'static str],
    /// The flag that sets it, if any.
    pub flag: Option<FlagDef>,
    /// Whether a profile inherits it from `[default]`.
    pub from_default: bool,
    /// Whether a profile inherits it from its `source_profile`.
    pub from_source: bool,
    /// Where it may be written: `config`, `credentials` or both.
    pub files: &'static str,
    /// One-line description.
    pub summary: &'static str,
}

const fn key(
    name: &'static str,
    kind: ValueKind,
    owner: KeyOwner,
    summary: &'static str,
) -> KeyDef {
    KeyDef {
        name,
        kind,
        owner,
        env: &[],
        flag: None,
        from_default: true,
        from_source: true,
        files: "config",
        summary,
    }
}

const fn env(mut k: KeyDef, vars: &'static [&'static str]) -> KeyDef {
    k.env = vars;
    k
}

const fn flag(
    mut k: KeyDef,
    long: &'static str,
    short: char,
    vars: &'static [&'static str],
) -> KeyDef {
    k.flag = Some(FlagDef {
        long,
        short: Some(short),
        env: vars,
    });
    k
}

const fn long_flag(mut k: KeyDef, long: &'static str, vars: &'static [&'static str]) -> KeyDef {
    k.flag = Some(FlagDef {
        long,
        short: None,
        env: vars,
    });
    k
}

const fn own(mut k: KeyDef) -> KeyDef {
    k.from_default = false;
    k.from_source = false;
    k
}

const fn creds_file(mut k: KeyDef) -> KeyDef {
    k.files = "config, credentials";
    k
}

use KeyOwner::{Aws, AwsRunas};
use ValueKind as V;

/// Every key, in documentation order.
pub const KEYS: &[KeyDef] = &[
    env(
        key(
            "region",
            V::Text,
            Aws,
            "AWS region for STS and for the credentials' environment",
        ),
        &["AWS_REGION", "AWS_DEFAULT_REGION"],
    ),
    own(key(
        "source_profile",
        V::Profile,
        Aws,
        "profile whose credentials assume this profile's role",
    )),
    own(key("role_arn", V::RoleArn, Aws, "role to assume")),
    flag(
        env(
            key(
                "mfa_serial",
                V::Text,
                Aws,
                "MFA device serial or ARN; enables MFA",
            ),
            &["MFA_SERIAL"],
        ),
        "mfa-serial",
        'M',
        &["MFA_SERIAL"],
    ),
    own(flag(
        env(
            key(
                "external_id",
                V::Text,
                Aws,
                "external id the role's trust policy requires",
            ),
            &["EXTERNAL_ID"],
        ),
        "external-id",
        'X',
        &["EXTERNAL_ID"],
    )),
    env(
        key(
            "role_session_name",
            V::Text,
            Aws,
            "session name for AssumeRole (sanitised to 2-64 characters of [\\w+=,.@-])",
        ),
        &["AWS_ROLE_SESSION_NAME"],
    ),
    flag(
        env(
            key(
                "session_token_duration",
                V::Duration,
                AwsRunas,
                "GetSessionToken lifetime: default 12h, 15m to 36h",
            ),
            &["SESSION_TOKEN_DURATION"],
        ),
        "duration",
        'd',
        &["SESSION_TOKEN_DURATION"],
    ),
    flag(
        env(
            key(
                "credentials_duration",
                V::Duration,
                AwsRunas,
                "role credential lifetime: default 1h, 15m to 12h; over 1h assumes the role directly",
            ),
            &["CREDENTIALS_DURATION"],
        ),
        "role-duration",
        'a',
        &["CREDENTIALS_DURATION"],
    ),
    env(
        key(
            "duration_seconds",
            V::Seconds,
            Aws,
            "role credential lifetime in seconds, used when credentials_duration is not set",
        ),
        &["DURATION_SECONDS"],
    ),
    own(key(
        "credential_process",
        V::Command,
        Aws,
        "command printing credential-process JSON (Version 1)",
    )),
    own(key(
        "credential_source",
        V::Text,
        Aws,
        "Environment, Ec2InstanceMetadata or EcsContainer (not supported yet)",
    )),
    own(key(
        "web_identity_token_file",
        V::Path,
        Aws,
        "file holding an OIDC token for AssumeRoleWithWebIdentity, read afresh on every refresh (with no profile: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)",
    )),
    own(creds_file(key(
        "aws_access_key_id",
        V::Text,
        Aws,
        "access key id of long-term IAM user keys",
    ))),
    own(creds_file(key(
        "aws_secret_access_key",
        V::Secret,
        Aws,
        "secret access key",
    ))),
    own(creds_file(key(
        "aws_session_token",
        V::Secret,
        Aws,
        "session token, for keys that are already temporary",
    ))),
    own(key(
        "sso_session",
        V::Text,
        Aws,
        "the [sso-session NAME] section an IAM Identity Center profile logs in with",
    )),
    own(key(
        "sso_start_url",
        V::Url,
        Aws,
        "IAM Identity Center start URL (in an [sso-session] section, or on a legacy profile)",
    )),
    own(key(
        "sso_region",
        V::Text,
        Aws,
        "region of the IAM Identity Center instance (in an [sso-session] section, or on a legacy profile)",
    )),
    own(key(
        "sso_registration_scopes",
        V::Text,
        Aws,
        "comma-separated OAuth scopes of the login (in an [sso-session] section; default sso:account:access)",
    )),
    own(key(
        "sso_account_id",
        V::Text,
        Aws,
        "AWS account of the IAM Identity Center role",
    )),
    own(key(
        "sso_role_name",
        V::Text,
        Aws,
        "IAM Identity Center permission set (role) to get credentials for",
    )),
    flag(
        env(
            key(
                "saml_auth_url",
                V::Url,
                AwsRunas,
                "SAML identity provider URL; selects a SAML login (AssumeRoleWithSAML)",
            ),
            &["SAML_AUTH_URL"],
        ),
        "saml-url",
        'S',
        &["SAML_AUTH_URL"],
    ),
    flag(
        env(
            key(
                "saml_username",
                V::Text,
                AwsRunas,
                "user name at the SAML identity provider (asked when unset)",
            ),
            &["SAML_USERNAME"],
        ),
        "username",
        'U',
        &["RUNAS_USERNAME", "SAML_USERNAME", "WEB_USERNAME"],
    ),
    flag(
        env(
            key(
                "saml_provider",
                V::Text,
                AwsRunas,
                "identity-provider adapter by name or alias (see `aws-runas providers`); detected from the URL when unset",
            ),
            &["SAML_PROVIDER"],
        ),
        "provider",
        'R',
        &["RUNAS_PROVIDER", "SAML_PROVIDER", "WEB_PROVIDER"],
    ),
    flag(
        env(
            key(
                "jump_role_arn",
                V::RoleArn,
                AwsRunas,
                "role assumed first with the SAML or OIDC login; role_arn is then assumed from it (1h)",
            ),
            &["JUMP_ROLE_ARN"],
        ),
        "jump-role",
        'J',
        &["JUMP_ROLE_ARN"],
    ),
    flag(
        env(
            key(
                "mfa_type",
                V::Text,
                AwsRunas,
                "second factor at the identity provider: auto (default), none, code or push",
            ),
            &["MFA_TYPE"],
        ),
        "mfa-type",
        't',
        &["MFA_TYPE"],
    ),
    env(
        key(
            "mfa_wait_timeout",
            V::Duration,
            AwsRunas,
            "longest wait for a push approval or an SMS at the identity provider (default 2m)",
        ),
        &["RUNAS_MFA_WAIT_TIMEOUT"],
    ),
    key(
        "password_store",
        V::Text,
        AwsRunas,
        "where `aws-runas password` keeps the IdP password: file (default; obfuscated in the credentials file) or keyring",
    ),
    long_flag(
        key(
            "prompt",
            V::Text,
            AwsRunas,
            "where questions go: terminal, zenity, kdialog, osascript, wincred, ykman (MFA codes from a YubiKey) or auto (default: the terminal, else a dialog when there is a display)",
        ),
        "prompt",
        &["RUNAS_PROMPT"],
    ),
    key(
        "ykman_oath_credential",
        V::Text,
        AwsRunas,
        "with prompt = ykman: the YubiKey OATH account holding the MFA code (default: mfa_serial)",
    ),
    flag(
        env(
            key(
                "web_identity_auth_url",
                V::Url,
                AwsRunas,
                "OIDC identity provider URL; selects a Web Identity login (AssumeRoleWithWebIdentity)",
            ),
            &["WEB_IDENTITY_AUTH_URL"],
        ),
        "web-url",
        'W',
        &["WEB_AUTH_URL"],
    ),
    flag(
        env(
            key(
                "web_identity_client_id",
                V::Text,
                AwsRunas,
                "OIDC client id",
            ),
            &["WEB_IDENTITY_CLIENT_ID"],
        ),
        "web-client",
        'C',
        &["WEB_CLIENT_ID"],
    ),
    flag(
        env(
            key(
                "web_identity_redirect_uri",
                V::Url,
                AwsRunas,
                "OIDC redirect URI",
            ),
            &["WEB_IDENTITY_REDIRECT_URI"],
        ),
        "web-redirect",
        'T',
        &["WEB_REDIRECT_URI"],
    ),
    flag(
        env(
            key(
                "web_identity_username",
                V::Text,
                AwsRunas,
                "user name at the OIDC identity provider (asked when unset)",
            ),
            &["WEB_IDENTITY_USERNAME"],
        ),
        "username",
        'U',
        &["RUNAS_USERNAME", "SAML_USERNAME", "WEB_USERNAME"],
    ),
    flag(
        env(
            key(
                "web_identity_provider",
                V::Text,
                AwsRunas,
                "identity-provider adapter for the OIDC login",
            ),
            &["WEB_IDENTITY_PROVIDER"],
        ),
        "provider",
        'R',
        &["RUNAS_PROVIDER", "SAML_PROVIDER", "WEB_PROVIDER"],
    ),
    env(
        key(
            "endpoint_url",
            V::Url,
            Aws,
            "endpoint for every AWS service (STS and IAM here)",
        ),
        &["AWS_ENDPOINT_URL"],
    ),
    env(
        key(
            "ca_bundle",
            V::Path,
            Aws,
            "PEM file of extra trusted certificate authorities",
        ),
        &["AWS_CA_BUNDLE"],
    ),
];

/// The definition of `name`, if it is a known key.
pub fn lookup(name: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|k| k.name == name)
}

/// Whether the values of `name` must never be shown.
///
/// True for the table's secret keys, and, by name, for any other key that holds a password, a
/// secret or a token: an adapter's own keys (`<adapter>_client_secret`) and the passwords
/// `aws-runas password` keeps in the credentials file (`saml_password`).
pub fn is_secret_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    lookup(&name).map_or_else(
        || name.contains("password") || name.contains("secret") || name.ends_with("_token"),
        |k| k.kind == ValueKind::Secret,
    )
}

/// Whether the value of the environment variable `name` must never be shown.
///
/// True for the variables of secret keys, the AWS keys, MFA codes and passwords, and, by name,
/// any other variable that holds a password, a secret or a token.
pub fn is_secret_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let of_secret_key = KEYS
        .iter()
        .filter(|k| k.kind == ValueKind::Secret)
        .flat_map(|k| k.env.iter().chain(k.flag.map_or(&[][..], |f| f.env)))
        .any(|v| *v == upper);
    of_secret_key
        || upper == "MFA_CODE"
        || upper.contains("PASSWORD")
        || upper.contains("SECRET")
        || upper.ends_with("_TOKEN")
}

/// The key table as Markdown, for `docs/configuration.md` (a test keeps the document in step).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| key | kind | owner | env (loader) | flag (and its env) | from `[default]` | from source | file | meaning |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let code = |items: &[&str]| {
        if items.is_empty() {
            "-".to_string()
        } else {
            items
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    for k in KEYS {
        let flag = match k.flag {
            Some(f) => {
                let short = f.short.map(|c| format!("`-{c}` ")).unwrap_or_default();
                format!("{short}`--{}` ({})", f.long, code(f.env))
            }
            None => "-".to_string(),
        };
        let yes = |b: bool| if b { "yes" } else { "no" };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            k.name,
            k.kind.as_str(),
            match k.owner {
                KeyOwner::Aws => "AWS",
                KeyOwner::AwsRunas => "aws-runas",
            },
            code(k.env),
            flag,
            yes(k.from_default),
            yes(k.from_source),
            k.files,
            k.summary.replace('|', "\\|"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_are_never_inherited() {
        for name in [
            "role_arn",
            "source_profile",
            "credential_process",
            "external_id",
            "web_identity_token_file",
            "sso_session",
            "sso_start_url",
            "sso_region",
            "sso_registration_scopes",
            "sso_account_id",
            "sso_role_name",
        ] {
            let k = lookup(name).unwrap();
            assert!(!k.from_default && !k.from_source, "{name}");
        }
        assert!(lookup("mfa_serial").unwrap().from_source);
        assert!(lookup("region").unwrap().from_default);
    }

    #[test]
    fn secret_keys_and_variables() {
        for name in [
            "aws_secret_access_key",
            "aws_session_token",
            "AWS_Session_Token",
            "saml_password",
            "web_identity_password",
            "okta_client_secret",
        ] {
            assert!(is_secret_key(name), "{name}");
        }
        for name in [
            "region",
            "web_identity_token_file",
            "session_token_duration",
            "mfa_serial",
        ] {
            assert!(!is_secret_key(name), "{name}");
        }
        for name in [
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "SAML_PASSWORD",
            "RUNAS_PASSWORD",
            "WEB_PASSWORD",
            "MFA_CODE",
        ] {
            assert!(is_secret_variable(name), "{name}");
        }
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "SESSION_TOKEN_DURATION",
            "HOME",
        ] {
            assert!(!is_secret_variable(name), "{name}");
        }
    }

    #[test]
    fn names_are_unique_and_flags_unique() {
        let mut names: Vec<_> = KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KEYS.len());
        // A flag may set several keys (-U sets both user names), but then it is the same flag.
        for a in KEYS.iter().filter_map(|k| k.flag) {
            for b in KEYS.iter().filter_map(|k| k.flag) {
                if a.short == b.short || a.long == b.long {
                    assert_eq!(a, b, "one letter or name, two different flags");
                }
            }
        }
    }
}

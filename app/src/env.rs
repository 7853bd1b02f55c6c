//! The environment variables aws-runas reads, and only those: an allow-list, read once.
//!
//! The list is the key table's variables (`aws_runas_domain::keys::KEYS`) plus the fixed ones
//! below. Variables that hold secrets (AWS keys, passwords, MFA codes) are kept as [`Secret`]s.
//! A command run after the profile is not given this copy: it inherits the whole environment
//! from the operating system at exec time.

use anyhow::{Result, bail};
use aws_runas_domain::Secret;
use aws_runas_domain::keys::{KEYS, is_secret_variable};
use aws_runas_domain::settings::Env;
use std::collections::BTreeMap;
use std::fmt;

/// Variables the app reads besides the key table's.
const FIXED: &[&str] = &[
    // Where the config and credentials files are (the config-file adapter's lookup).
    "HOME",
    "USERPROFILE",
    "HOMEDRIVE",
    "HOMEPATH",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    // Which profile, or which role and keys in place of one.
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    // Where STS and IAM are, and how to reach them.
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_IAM",
    // Where IAM Identity Center's portal and SSO OIDC are.
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL_SSO_OIDC",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    // The console: the sign-in endpoint (tests) and the user's browser.
    "AWS_ENDPOINT_URL_SIGNIN",
    "BROWSER",
    // ecr login: the ECR endpoint (tests) and the container engine.
    "AWS_ENDPOINT_URL_ECR",
    "RUNAS_CONTAINER_CLI",
    // update: the latest-release page.
    "RUNAS_UPDATE_URL",
    // Switches standing in for flags (the others are read by clap itself).
    "RUNAS_SESSION_CREDENTIALS",
    "RUNAS_ENV_CREDENTIALS",
    "RUNAS_WRITE_CREDENTIALS",
    // Secrets standing in for -P and -o.
    "RUNAS_PASSWORD",
    "SAML_PASSWORD",
    "WEB_PASSWORD",
    "MFA_CODE",
    // Running the command, the shell syntax of the output, the fallback session name.
    "PATH",
    "SHELL",
    // The browser of a login (Python's webbrowser and the AWS CLI read it too).
    "BROWSER",
    "USER",
    "USERNAME",
    // Whether a desktop dialog can be shown (`prompt = auto` with no terminal).
    "DISPLAY",
    "WAYLAND_DISPLAY",
    // Where `serve ecs` and `serve ec2` listen, and the token `serve ecs` asks for.
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    // Profiles an aws-runas further up is resolving.
    aws_runas_process::RESOLVING_ENV,
];

/// Every variable aws-runas reads, each once: the key table's, then [`FIXED`].
pub fn allow_list() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = KEYS
        .iter()
        .flat_map(|k| k.env.iter().chain(k.flag.map_or(&[][..], |f| f.env)))
        .chain(FIXED)
        .copied()
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(*n));
    names
}

/// The allow-listed name equal to `name`.
fn allowed(name: &str) -> Option<&'static str> {
    allow_list().into_iter().find(|n| *n == name)
}

/// The allow-listed process environment, read once; secrets are kept as [`Secret`]s.
#[derive(Clone, Default)]
pub struct ProcessEnv {
    plain: BTreeMap<&'static str, String>,
    secret: BTreeMap<&'static str, Secret>,
}

impl ProcessEnv {
    /// Reads the allow-listed variables (a value that is not UTF-8 is skipped).
    #[allow(clippy::disallowed_methods)] // the composition root is where the environment is read
    pub fn capture() -> Self {
        Self::from_lookup(|name| std::env::var_os(name)?.into_string().ok())
    }

    /// From pairs, for tests; names that are not allow-listed are dropped, as `capture` would.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let pairs: BTreeMap<&str, &str> = pairs.into_iter().collect();
        Self::from_lookup(|name| pairs.get(name).map(|v| (*v).to_string()))
    }

    /// This environment with `name` set to `value`; a name that is not allow-listed is ignored,
    /// as [`ProcessEnv::capture`] would.
    #[must_use]
    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        if let Some(name) = allowed(name) {
            if is_secret_variable(name) {
                self.secret.insert(name, Secret::new(value));
            } else {
                self.plain.insert(name, value.to_string());
            }
        }
        self
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut env = ProcessEnv::default();
        for name in allow_list() {
            let Some(value) = lookup(name) else { continue };
            if is_secret_variable(name) {
                env.secret.insert(name, Secret::new(value));
            } else {
                env.plain.insert(name, value);
            }
        }
        env
    }

    /// A non-empty variable that holds no secret.
    ///
    /// # Panics
    /// In debug builds, for a name missing from the allow-list or one that holds a secret (use
    /// [`ProcessEnv::secret`]): a programming error the tests catch.
    pub fn get(&self, name: &str) -> Option<&str> {
        debug_assert!(allowed(name).is_some(), "{name} is not in the allow-list");
        debug_assert!(!is_secret_variable(name), "{name} holds a secret");
        self.plain
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A non-empty variable that holds a secret.
    ///
    /// # Panics
    /// In debug builds, for a name missing from the allow-list.
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        debug_assert!(allowed(name).is_some(), "{name} is not in the allow-list");
        self.secret.get(name).filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set to a non-empty secret.
    pub fn first_secret(&self, names: &[&str]) -> Option<&Secret> {
        names.iter().find_map(|n| self.secret(n))
    }

    /// The variables settings resolution reads (every one that holds no secret).
    pub fn settings_env(&self) -> Env {
        Env::from_pairs(self.plain.iter().map(|(k, v)| (*k, v.as_str())))
    }

    /// The profile the environment names: `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`.
    pub fn named_profile(&self) -> Option<&str> {
        self.get("AWS_PROFILE")
            .or_else(|| self.get("AWS_DEFAULT_PROFILE"))
    }

    /// A boolean variable in Go's `strconv.ParseBool` forms; empty counts as unset.
    ///
    /// # Errors
    /// Any other value, naming the variable.
    pub fn go_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Ok(Some(true)),
            Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Ok(Some(false)),
            Some(v) => bail!(
                "could not parse {v:?} as bool value from env var {name} (use true/false, 1/0, t/f)"
            ),
        }
    }
}

impl fmt::Debug for ProcessEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Secret`'s own `Debug` redacts.
        f.debug_struct("ProcessEnv")
            .field("plain", &self.plain)
            .field("secret", &self.secret)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allow_listed_variables_are_kept_and_secrets_as_secrets() {
        let env = ProcessEnv::from_pairs([
            ("HOME", "/home/ana"),
            ("AWS_REGION", "eu-west-1"),
            ("SAML_PASSWORD", "fake-password"),
            ("AWS_SECRET_ACCESS_KEY", "fake-secret"),
            ("UNRELATED_TOOL_TOKEN", "fake-unrelated"),
            ("EDITOR", "vi"),
        ]);
        assert_eq!(env.get("HOME"), Some("/home/ana"));
        assert_eq!(
            env.secret("SAML_PASSWORD").map(Secret::expose),
            Some("fake-password")
        );
        assert_eq!(env.plain.len() + env.secret.len(), 4, "{env:?}");
        let settings = env.settings_env();
        assert_eq!(settings.get("AWS_REGION"), Some("eu-west-1"));
        assert_eq!(settings.get("AWS_SECRET_ACCESS_KEY"), None);
        assert_eq!(settings.get("SAML_PASSWORD"), None);
    }

    #[test]
    fn the_allow_list_has_the_key_table_and_the_fixed_variables() {
        let list = allow_list();
        for name in [
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "SAML_AUTH_URL",
            "RUNAS_USERNAME",
            "AWS_ROLE_SESSION_NAME",
            "HOME",
            "PATH",
            "MFA_CODE",
            "AWS_RUNAS_RESOLVING",
        ] {
            assert!(list.contains(&name), "{name}");
        }
        let mut sorted = list.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), list.len(), "each name once");
    }

    #[test]
    fn go_booleans() {
        const B: &str = "RUNAS_WRITE_CREDENTIALS";
        for (v, want) in [
            ("1", Some(true)),
            ("T", Some(true)),
            ("True", Some(true)),
            ("0", Some(false)),
            ("FALSE", Some(false)),
            ("", None),
        ] {
            assert_eq!(
                ProcessEnv::from_pairs([(B, v)]).go_bool(B).unwrap(),
                want,
                "{v}"
            );
        }
        let e = ProcessEnv::from_pairs([(B, "yes")])
            .go_bool(B)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"yes\"") && e.contains(B), "{e}");
        assert_eq!(ProcessEnv::from_pairs([]).go_bool(B).unwrap(), None);
    }
}

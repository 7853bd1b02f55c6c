//! Where the config and credentials files live, computed from environment values the caller
//! passes in (the adapter never reads the process environment itself).

use crate::error::ConfigFileError;
use std::path::{Path, PathBuf};

/// The operating-system family whose rules locate the home directory and join paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux, macOS and the other Unix-likes: the home directory is `$HOME`, the separator `/`.
    Unix,
    /// Windows: the home directory is `%HOME%`, then `%USERPROFILE%`, then
    /// `%HOMEDRIVE%%HOMEPATH%`, and the separator is `\`.
    Windows,
}

impl Platform {
    /// The platform this binary was built for.
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Unix
        }
    }

    fn separator(self) -> char {
        match self {
            Platform::Unix => '/',
            Platform::Windows => '\\',
        }
    }

    fn home_variables(self) -> &'static str {
        match self {
            Platform::Unix => "HOME",
            Platform::Windows => "HOME, USERPROFILE, HOMEDRIVE and HOMEPATH",
        }
    }
}

/// The paths of the shared config file and the shared credentials file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocations {
    config: PathBuf,
    credentials: PathBuf,
}

impl FileLocations {
    /// Explicit paths, used as given.
    pub fn new(config: impl Into<PathBuf>, credentials: impl Into<PathBuf>) -> FileLocations {
        FileLocations {
            config: config.into(),
            credentials: credentials.into(),
        }
    }

    /// The locations the AWS SDKs use, from environment values looked up through `env`.
    ///
    /// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` name the files directly; otherwise they
    /// are `.aws/config` and `.aws/credentials` under the home directory.
    /// A leading `~` component in either variable is replaced by the home directory.
    /// An empty value counts as unset.
    /// `env` is a lookup rather than a map so that the caller decides where values come from;
    /// the process environment is read by the application, never here.
    ///
    /// # Errors
    /// [`ConfigFileError::NoHomeDirectory`] when a path needs the home directory and none of
    /// the platform's home variables is set.
    ///
    /// # Examples
    /// ```
    /// use aws_runas_config_file::{FileLocations, Platform};
    /// use std::path::Path;
    ///
    /// let env = |name: &str| (name == "HOME").then(|| "/home/ana".to_string());
    /// let found = FileLocations::from_env(env, Platform::Unix).unwrap();
    /// assert_eq!(found.config(), Path::new("/home/ana/.aws/config"));
    /// assert_eq!(found.credentials(), Path::new("/home/ana/.aws/credentials"));
    /// ```
    pub fn from_env(
        env: impl Fn(&str) -> Option<String>,
        platform: Platform,
    ) -> Result<FileLocations, ConfigFileError> {
        let get = |name: &str| env(name).filter(|value| !value.is_empty());
        let home = home_directory(&get, platform);
        let config = locate(
            get("AWS_CONFIG_FILE"),
            "config",
            "AWS_CONFIG_FILE",
            home.as_deref(),
            platform,
        )?;
        let credentials = locate(
            get("AWS_SHARED_CREDENTIALS_FILE"),
            "credentials",
            "AWS_SHARED_CREDENTIALS_FILE",
            home.as_deref(),
            platform,
        )?;
        Ok(FileLocations {
            config,
            credentials,
        })
    }

    /// The shared config file (`~/.aws/config`); the cache directory is its parent.
    pub fn config(&self) -> &Path {
        &self.config
    }

    /// The shared credentials file (`~/.aws/credentials`).
    pub fn credentials(&self) -> &Path {
        &self.credentials
    }
}

/// The home directory by the platform's rules, as the AWS SDKs find it.
fn home_directory(get: &impl Fn(&str) -> Option<String>, platform: Platform) -> Option<String> {
    if let Some(home) = get("HOME") {
        return Some(home);
    }
    if platform == Platform::Windows {
        if let Some(profile) = get("USERPROFILE") {
            return Some(profile);
        }
        if let (Some(drive), Some(path)) = (get("HOMEDRIVE"), get("HOMEPATH")) {
            return Some(drive + &path);
        }
    }
    None
}

/// One file's path: the override (with `~` expanded) or the default under the home directory.
fn locate(
    override_value: Option<String>,
    file: &'static str,
    override_variable: &'static str,
    home: Option<&str>,
    platform: Platform,
) -> Result<PathBuf, ConfigFileError> {
    let no_home = || ConfigFileError::NoHomeDirectory {
        file,
        variables: platform.home_variables(),
        override_variable,
    };
    let sep = platform.separator();
    match override_value {
        Some(value) => match tilde_rest(&value, platform) {
            Some(rest) => {
                let home = home.ok_or_else(no_home)?;
                Ok(PathBuf::from(join(home, rest, sep)))
            }
            None => Ok(PathBuf::from(value)),
        },
        None => {
            let home = home.ok_or_else(no_home)?;
            Ok(PathBuf::from(join(home, &format!(".aws{sep}{file}"), sep)))
        }
    }
}

/// For `~` or `~/rest` (also `~\rest` on Windows) the part after the separator; otherwise `None`.
///
/// Only a whole first component is expanded: `~user/x` is left alone, as the SDKs do.
fn tilde_rest(value: &str, platform: Platform) -> Option<&str> {
    let rest = value.strip_prefix('~')?;
    if rest.is_empty() {
        return Some("");
    }
    let is_sep = |c: char| c == '/' || (platform == Platform::Windows && c == '\\');
    rest.starts_with(is_sep)
        .then(|| rest.trim_start_matches(is_sep))
}

/// `home` and `rest` joined with exactly one separator (nothing added when `rest` is empty).
fn join(home: &str, rest: &str, sep: char) -> String {
    if rest.is_empty() {
        return home.to_string();
    }
    let mut joined = home.to_string();
    let ends_with_separator = joined.ends_with(sep) || (sep == '\\' && joined.ends_with('/'));
    if !ends_with_separator {
        joined.push(sep);
    }
    joined.push_str(rest);
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn locate_with(
        pairs: &[(&str, &str)],
        platform: Platform,
    ) -> Result<FileLocations, ConfigFileError> {
        let env: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        FileLocations::from_env(|name| env.get(name).cloned(), platform)
    }

    #[test]
    fn tilde_in_overrides_is_expanded() {
        let found = locate_with(
            &[
                ("HOME", "/home/ana"),
                ("AWS_CONFIG_FILE", "~/cfg/config"),
                ("AWS_SHARED_CREDENTIALS_FILE", "~"),
            ],
            Platform::Unix,
        )
        .unwrap();
        assert_eq!(found.config(), Path::new("/home/ana/cfg/config"));
        assert_eq!(found.credentials(), Path::new("/home/ana"));
    }

    #[test]
    fn tilde_with_backslash_is_expanded_on_windows_only() {
        let env = [
            ("USERPROFILE", "C:\\Users\\ana"),
            ("AWS_CONFIG_FILE", "~\\x\\config"),
        ];
        let found = locate_with(&env, Platform::Windows).unwrap();
        assert_eq!(found.config(), Path::new("C:\\Users\\ana\\x\\config"));
        let unix = locate_with(
            &[("HOME", "/h"), ("AWS_CONFIG_FILE", "~\\x")],
            Platform::Unix,
        )
        .unwrap();
        assert_eq!(unix.config(), Path::new("~\\x"));
    }

    #[test]
    fn tilde_user_form_is_not_expanded() {
        let found = locate_with(
            &[("HOME", "/h"), ("AWS_CONFIG_FILE", "~bob/config")],
            Platform::Unix,
        )
        .unwrap();
        assert_eq!(found.config(), Path::new("~bob/config"));
    }

    #[test]
    fn windows_variables_are_ignored_on_unix() {
        let err = locate_with(&[("USERPROFILE", "C:\\Users\\ana")], Platform::Unix).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot locate the config file: no home directory (HOME unset) and AWS_CONFIG_FILE is unset"
        );
    }

    #[test]
    fn overrides_need_no_home() {
        let found = locate_with(
            &[
                ("AWS_CONFIG_FILE", "/etc/aws/config"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/etc/aws/credentials"),
            ],
            Platform::Unix,
        )
        .unwrap();
        assert_eq!(
            found,
            FileLocations::new("/etc/aws/config", "/etc/aws/credentials")
        );
    }

    #[test]
    fn missing_home_names_the_file_that_needed_it() {
        let err =
            locate_with(&[("AWS_CONFIG_FILE", "/etc/aws/config")], Platform::Windows).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot locate the credentials file: no home directory"),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with("AWS_SHARED_CREDENTIALS_FILE is unset"),
            "{err}"
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let found = locate_with(
            &[
                ("HOME", "/home/ana"),
                ("AWS_CONFIG_FILE", ""),
                ("USERPROFILE", ""),
            ],
            Platform::Unix,
        )
        .unwrap();
        assert_eq!(found.config(), Path::new("/home/ana/.aws/config"));
    }

    #[test]
    fn home_with_trailing_separator_gets_no_second_one() {
        let found = locate_with(&[("HOME", "/")], Platform::Unix).unwrap();
        assert_eq!(found.credentials(), Path::new("/.aws/credentials"));
    }
}

//! `ConfigFileStore`: the `ProfileStore` port over the two shared files on disk.

use crate::location::FileLocations;
use crate::parse::{ParseMode, parse_profile_text};
use aws_runas_domain::ProfileSet;
use aws_runas_domain::ports::profile_store::{ProfileStore, ProfileStoreError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Reads profiles from the shared config and credentials files on every [`ProfileStore::load`].
///
/// # Examples
/// ```
/// use aws_runas_config_file::{ConfigFileStore, FileLocations, ParseMode};
/// use aws_runas_domain::ports::profile_store::ProfileStore;
///
/// let dir = std::env::temp_dir().join("aws-runas-config-file-doc-example-missing");
/// let store = ConfigFileStore::new(
///     FileLocations::new(dir.join("config"), dir.join("credentials")),
///     ParseMode::AwsRunas,
/// );
/// // Missing files are simply empty.
/// assert!(store.load().unwrap().is_empty());
/// assert_eq!(store.config_path(), dir.join("config"));
/// ```
#[derive(Debug, Clone)]
pub struct ConfigFileStore {
    locations: FileLocations,
    mode: ParseMode,
}

impl ConfigFileStore {
    /// A store over the given files, read with the given grammar.
    pub fn new(locations: FileLocations, mode: ParseMode) -> ConfigFileStore {
        ConfigFileStore { locations, mode }
    }

    /// The config file; the application keeps its caches in this file's directory.
    pub fn config_path(&self) -> &Path {
        self.locations.config()
    }

    /// The credentials file, which `--write-credentials` and the password store write to.
    pub fn credentials_path(&self) -> &Path {
        self.locations.credentials()
    }
}

impl ProfileStore for ConfigFileStore {
    fn load(&self) -> Result<ProfileSet, ProfileStoreError> {
        let config = read_optional(self.locations.config())?;
        let credentials = read_optional(self.locations.credentials())?;
        parse_profile_text(
            config
                .as_deref()
                .map(|text| (self.locations.config(), text)),
            credentials
                .as_deref()
                .map(|text| (self.locations.credentials(), text)),
            self.mode,
        )
    }
}

/// The file's text, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, ProfileStoreError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ProfileStoreError::Io {
                file: path.to_path_buf(),
                source,
            });
        }
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        ProfileStoreError::Parse {
            file: PathBuf::from(path),
            line,
            message: "the file is not valid UTF-8".to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_reported_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, b"[profile a]\nk = v\nbad = \xff\n").unwrap();
        let store = ConfigFileStore::new(
            FileLocations::new(&config, dir.path().join("credentials")),
            ParseMode::Strict,
        );
        let err = store.load().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}:3: the file is not valid UTF-8", config.display())
        );
    }
}

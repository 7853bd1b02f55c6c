//! `CredentialsFileSecretStore`: the `SecretStore` port over the credentials file, in the
//! original aws-runas format, so passwords stored by either tool are read by both.
//!
//! A password lives in the section named after the identity-provider URL, under
//! `saml_password` or `web_identity_password`, obfuscated (not encrypted) by the codec in
//! `password.rs`.

use crate::parse::{ParseMode, parse_profile_text};
use crate::password;
use crate::section::SectionEdit;
use crate::write::write_section_atomically;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::secret::{PasswordKind, SecretStore, SecretStoreError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Stores identity-provider passwords in the shared credentials file.
///
/// * [`SecretStore::get`] reads section `[<URL>]`, key `saml_password` or
///   `web_identity_password`, and decodes it; a value that does not decode is used as it is
///   written, so a plain-text password works too. A missing file, section, key, or an empty
///   value is `None`.
/// * [`SecretStore::set`] encodes the password (scrypt at cost 18: expect a fraction of a
///   second) and sets that one key with [`write_section_atomically`], keeping every other key,
///   section, comment and byte of the file; the file ends up 0600.
///
/// The value is obfuscated, not encrypted: the key is derived from the URL next to it.
#[derive(Debug, Clone)]
pub struct CredentialsFileSecretStore {
    path: PathBuf,
    cost: u8,
}

impl CredentialsFileSecretStore {
    /// A store in the credentials file at `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> CredentialsFileSecretStore {
        CredentialsFileSecretStore {
            path: path.into(),
            cost: password::COST,
        }
    }

    /// The credentials file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn name(&self) -> String {
        format!("the credentials file {}", self.path.display())
    }

    fn read_error(
        &self,
        url: &str,
        kind: PasswordKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> SecretStoreError {
        SecretStoreError::Read {
            store: self.name(),
            url: url.to_string(),
            kind,
            source: source.into(),
        }
    }

    fn write_error(
        &self,
        url: &str,
        kind: PasswordKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> SecretStoreError {
        SecretStoreError::Write {
            store: self.name(),
            url: url.to_string(),
            kind,
            source: source.into(),
        }
    }
}

impl SecretStore for CredentialsFileSecretStore {
    fn get(&self, url: &str, kind: PasswordKind) -> Result<Option<Secret>, SecretStoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.read_error(url, kind, e)),
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| self.read_error(url, kind, "the file is not valid UTF-8"))?;
        let profiles = parse_profile_text(None, Some((&self.path, &text)), ParseMode::AwsRunas)
            .map_err(|e| self.read_error(url, kind, e))?;
        let Some(value) = profiles.profile(url).and_then(|s| s.get(kind.key())) else {
            return Ok(None);
        };
        if value.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            password::decode(url, value).unwrap_or_else(|| Secret::new(value)),
        ))
    }

    fn set(
        &self,
        url: &str,
        kind: PasswordKind,
        password: &Secret,
    ) -> Result<(), SecretStoreError> {
        if url.contains(char::is_whitespace) {
            // The reader does not take such a header as one section name, so the password
            // would be written where no read finds it.
            return Err(self.write_error(
                url,
                kind,
                "a credentials-file section name cannot contain whitespace",
            ));
        }
        let encoded = password::encode(url, password, self.cost)
            .map_err(|e| self.write_error(url, kind, e))?;
        write_section_atomically(
            &self.path,
            url,
            &[(kind.key(), &encoded)],
            SectionEdit::Merge,
        )
        .map_err(|e| self.write_error(url, kind, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://idp.example.com/app/aws/sso/saml?x=1&y=2";

    /// A store that encodes at a low cost, so tests stay quick; decoding reads the cost from
    /// the value, and one test writes at the real cost.
    fn store(path: &Path) -> CredentialsFileSecretStore {
        CredentialsFileSecretStore {
            path: path.to_path_buf(),
            cost: 4,
        }
    }

    #[test]
    fn a_stored_password_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("credentials");
        let s = CredentialsFileSecretStore::new(&path);
        assert_eq!(s.get(URL, PasswordKind::Saml).unwrap(), None);
        s.set(URL, PasswordKind::Saml, &Secret::new("fake-pass"))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(&format!("[{URL}]\nsaml_password = 12$")),
            "{text}"
        );
        assert!(!text.contains("fake-pass"), "{text}");
        assert_eq!(
            s.get(URL, PasswordKind::Saml).unwrap().unwrap().expose(),
            "fake-pass"
        );
        // The other kind, and other URLs, are separate.
        assert_eq!(s.get(URL, PasswordKind::WebIdentity).unwrap(), None);
        assert_eq!(
            s.get("https://idp.example.com/", PasswordKind::Saml)
                .unwrap(),
            None
        );
    }

    #[test]
    fn other_keys_and_sections_are_kept_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let before_section = "# my credentials\r\n[default]\r\naws_access_key_id = AKIDFAKE\r\n\
                              aws_secret_access_key = fake/secret ; comment\r\n\r\n";
        let section_head =
            format!("[{URL}]\r\n; keep me\r\nweb_identity_password = plain-fake\r\n");
        let after = "\r\n[dev-awsrunas]\r\naws_session_token = fake-token\r\n";
        std::fs::write(
            &path,
            format!("{before_section}{section_head}saml_password = old-fake{after}"),
        )
        .unwrap();
        let s = store(&path);
        s.set(URL, PasswordKind::Saml, &Secret::new("new-fake"))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix("saml_password = "))
            .unwrap()
            .trim_end_matches('\r');
        assert!(value.starts_with("4$"), "{text}");
        assert_eq!(
            text,
            format!("{before_section}{section_head}saml_password = {value}{after}")
        );
        assert_eq!(
            s.get(URL, PasswordKind::Saml).unwrap().unwrap().expose(),
            "new-fake"
        );
        assert_eq!(
            s.get(URL, PasswordKind::WebIdentity)
                .unwrap()
                .unwrap()
                .expose(),
            "plain-fake"
        );
    }

    #[test]
    fn plain_text_and_undecodable_values_are_used_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            format!(
                "[{URL}]\nsaml_password = plain$fake$pass\n\
                 web_identity_password = 12$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM\n\
                 [https://empty.example.com]\nsaml_password =\n"
            ),
        )
        .unwrap();
        let s = store(&path);
        assert_eq!(
            s.get(URL, PasswordKind::Saml).unwrap().unwrap().expose(),
            "plain$fake$pass"
        );
        // A real encoded value, but for another URL: the key differs, so it is taken as written.
        assert_eq!(
            s.get(URL, PasswordKind::WebIdentity)
                .unwrap()
                .unwrap()
                .expose(),
            "12$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM"
        );
        assert_eq!(
            s.get("https://empty.example.com", PasswordKind::Saml)
                .unwrap(),
            None
        );
    }

    #[test]
    fn a_value_written_by_the_original_format_is_read() {
        // Encoded (cost 18) for this URL by the steps in password.rs, checked independently.
        let url = "https://idp.example.com/app/aws/sso/saml";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(
            &path,
            format!(
                "[{url}]\nsaml_password = 12$AEBAGBAFAYDQQ$EBESExQVFhcYGRobHB0eH+a15B0d3sIZxnMlTuV6NMM\n"
            ),
        )
        .unwrap();
        assert_eq!(
            store(&path)
                .get(url, PasswordKind::Saml)
                .unwrap()
                .unwrap()
                .expose(),
            "fake-pass"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_after_a_write() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[other]\nk = v\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        store(&path)
            .set(URL, PasswordKind::WebIdentity, &Secret::new("fake"))
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn errors_name_the_store_and_url_but_not_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[broken\nsaml_password = x\n").unwrap();
        let err = store(&path).get(URL, PasswordKind::Saml).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "cannot read the saml_password for {URL} from the credentials file {}: ",
                path.display()
            )),
            "{message}"
        );
        // URLs that cannot be a section name are refused before anything is written.
        for (url, reason) in [
            (
                "https://idp.example.com/a b",
                "a credentials-file section name cannot contain whitespace",
            ),
            (
                "https://idp.example.com/[x]",
                "the name contains a bracket or a line break",
            ),
        ] {
            let err = store(&path)
                .set(url, PasswordKind::Saml, &Secret::new("fake-secret-value"))
                .unwrap_err();
            let message = format!("{err} {err:?}");
            assert!(
                message.starts_with(&format!(
                    "cannot store the saml_password for {url} in the credentials file {}: ",
                    path.display()
                )),
                "{message}"
            );
            assert!(message.contains(reason), "{message}");
            assert!(!message.contains("fake-secret-value"), "{message}");
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[broken\nsaml_password = x\n"
        );
    }
}

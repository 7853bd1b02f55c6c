//! The AWS CLI's IAM Identity Center token cache: `~/.aws/sso/cache/<sha1 hex of the key>.json`,
//! the key being the sso-session name (legacy profiles: the start URL), with the AWS CLI's
//! camel-case fields. Written atomically, mode 0600, keeping fields we do not know; a sidecar
//! `.aws_runas_sso_<sha1>.lock` beside the cache directory (`~/.aws/sso/`) serialises refreshes.

use crate::lock::{self, Wait};
use crate::write;
use aws_runas_domain::ports::cache::{CacheError, CacheLock};
use aws_runas_domain::ports::sso::{SsoToken, SsoTokenCache};
use aws_runas_domain::{Secret, Timestamp};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The token cache in a directory (normally `~/.aws/sso/cache`).
#[derive(Debug, Clone)]
pub struct SsoFileTokenCache {
    dir: PathBuf,
}

impl SsoFileTokenCache {
    /// The cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SsoFileTokenCache { dir: dir.into() }
    }

    /// The AWS CLI's cache directory under a home directory: `<home>/.aws/sso/cache`.
    pub fn under_home(home: &Path) -> Self {
        Self::new(home.join(".aws").join("sso").join("cache"))
    }

    /// The token file of `key`: `<sha1 hex of key>.json`.
    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.json", sha1_hex(key)))
    }

    /// The lock of `key`'s file: beside the cache directory, not in it, so that tools sweeping
    /// that directory (the AWS CLI's `sso logout`) find only token files there.
    fn lock_path(&self, key: &str) -> PathBuf {
        let name = format!(".aws_runas_sso_{}.lock", sha1_hex(key));
        match self.dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join(name),
            _ => self.dir.join(name),
        }
    }

    fn io(path: &Path, source: std::io::Error) -> CacheError {
        CacheError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn read_object(path: &Path) -> Option<Map<String, Value>> {
        let bytes = std::fs::read(path).ok()?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Some(m),
            _ => {
                log::debug!("ignoring {}: not a JSON object", path.display());
                None
            }
        }
    }
}

/// Lowercase hex SHA-1 of `key`, as the AWS CLI names its files.
pub(crate) fn sha1_hex(key: &str) -> String {
    let digest = Sha1::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A timestamp as the AWS CLI and botocore write them (`…Z`, `…+00:00`, with or without
/// fractions), or as older AWS CLI versions did (`…UTC`).
fn parse_time(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if let Some(base) = t.strip_suffix("UTC") {
        return Timestamp::parse_rfc3339(&format!("{}Z", base.trim_end())).ok();
    }
    Timestamp::parse_rfc3339(t).ok()
}

pub(crate) fn decode(m: &Map<String, Value>) -> Option<SsoToken> {
    let text = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(SsoToken {
        start_url: text("startUrl")?,
        region: text("region").unwrap_or_default(),
        access_token: Secret::new(text("accessToken")?),
        expires_at: parse_time(&text("expiresAt")?)?,
        client_id: text("clientId"),
        client_secret: text("clientSecret").map(Secret::new),
        registration_expires_at: text("registrationExpiresAt").and_then(|t| parse_time(&t)),
        refresh_token: text("refreshToken").map(Secret::new),
    })
}

pub(crate) fn encode(token: &SsoToken, mut m: Map<String, Value>) -> Vec<u8> {
    let mut set = |k: &str, v: Option<String>| match v {
        Some(v) => {
            m.insert(k.to_string(), Value::String(v));
        }
        None => {
            m.remove(k);
        }
    };
    set("startUrl", Some(token.start_url.clone()));
    set("region", Some(token.region.clone()));
    set("accessToken", Some(token.access_token.expose().to_string()));
    set("expiresAt", Some(token.expires_at.to_rfc3339()));
    set("clientId", token.client_id.clone());
    set(
        "clientSecret",
        token.client_secret.as_ref().map(|s| s.expose().to_string()),
    );
    set(
        "registrationExpiresAt",
        token.registration_expires_at.map(Timestamp::to_rfc3339),
    );
    set(
        "refreshToken",
        token.refresh_token.as_ref().map(|s| s.expose().to_string()),
    );
    // Serializing a map of strings cannot fail.
    let mut out = serde_json::to_vec(&Value::Object(m)).unwrap_or_default();
    out.push(b'\n');
    out
}

impl SsoTokenCache for SsoFileTokenCache {
    fn load(&self, key: &str) -> Option<SsoToken> {
        let path = self.path(key);
        let token = Self::read_object(&path).and_then(|m| decode(&m));
        if token.is_none() && path.exists() {
            log::debug!(
                "ignoring {}: not a complete IAM Identity Center token",
                path.display()
            );
        }
        token
    }

    fn store(&self, key: &str, token: &SsoToken) -> Result<(), CacheError> {
        let path = self.path(key);
        write::create_dir(&self.dir).map_err(|e| Self::io(&self.dir, e))?;
        // Fields another tool added (and a future AWS CLI may need) are kept.
        let existing = Self::read_object(&path).unwrap_or_default();
        write::replace(&path, &encode(token, existing)).map_err(|e| Self::io(&path, e))
    }

    fn remove(&self, key: &str) -> Result<(), CacheError> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Self::io(&path, e)),
            _ => Ok(()),
        }
    }

    fn lock(&self, key: &str, timeout: Duration) -> Result<Box<dyn CacheLock>, CacheError> {
        let path = self.lock_path(key);
        write::create_dir(&self.dir).map_err(|e| Self::io(&self.dir, e))?;
        debug_assert!(path.parent().is_some_and(Path::exists));
        match lock::lock(&path, timeout).map_err(|e| Self::io(&path, e))? {
            Wait::Held(l) => Ok(Box::new(l)),
            Wait::TimedOut(waited) => Err(CacheError::LockTimeout {
                path: path.display().to_string(),
                waited_secs: waited.as_secs(),
            }),
        }
    }

    fn describe(&self, key: &str) -> String {
        self.path(key).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/` (sso_token_cache): a number in a field another tool wrote changed each
    /// time the file was rewritten (serde_json's fast float parsing is not exact).
    #[test]
    fn foreign_numbers_survive_rewrites() {
        let file = br#"{"startUrl":"https://x.awsapps.com/start","region":"eu-west-1","accessToken":"t","expiresAt":"2026-01-02T03:04:05UTC","extra":[1111111111111111111111,{"a":null}]}"#;
        let first = crate::fuzzing::sso_token_round_trip(file).unwrap();
        let second = crate::fuzzing::sso_token_round_trip(&first).unwrap();
        assert_eq!(
            String::from_utf8(second).unwrap(),
            String::from_utf8(first).unwrap()
        );
    }

    #[test]
    fn file_names_are_the_aws_clis() {
        // SHA-1 test vector (FIPS 180-1, "abc").
        assert_eq!(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let cache = SsoFileTokenCache::under_home(Path::new("/home/u"));
        assert_eq!(
            cache.path("abc"),
            Path::new("/home/u/.aws/sso/cache/a9993e364706816aba3e25717850c26c9cd0d89d.json")
        );
    }

    #[test]
    fn the_cache_directory_holds_only_token_files() {
        let home = tempfile::tempdir().unwrap();
        let cache = SsoFileTokenCache::under_home(home.path());
        let lock = cache.lock("corp", Duration::ZERO).unwrap();
        let dir = home.path().join(".aws/sso/cache");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "no lock file among the tokens"
        );
        assert!(
            home.path()
                .join(format!(".aws/sso/.aws_runas_sso_{}.lock", sha1_hex("corp")))
                .exists()
        );
        assert!(matches!(
            cache.lock("corp", Duration::ZERO),
            Err(CacheError::LockTimeout { .. })
        ));
        drop(lock);
    }

    #[test]
    fn times_in_every_form_the_aws_cli_wrote() {
        let want = Timestamp::parse_rfc3339("2024-01-02T03:04:05Z").unwrap();
        for t in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05UTC",
            "2024-01-02T03:04:05.123456Z",
            "2024-01-02T03:04:05+00:00",
        ] {
            assert_eq!(parse_time(t), Some(want), "{t}");
        }
        assert_eq!(parse_time("yesterday"), None);
    }
}

//! OIDC ID tokens between runs, in the original's `.aws_runas_identity_token.cache`: one JSON
//! object whose keys are the lowercase hex FNV-1 (not 1a) 128-bit hash of the identity-provider
//! URL and whose values are the raw tokens. And the reader of `web_identity_token_file`.

use crate::lock::{self, Wait};
use crate::write;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::cache::{CacheError, TokenCache};
use aws_runas_domain::ports::token_file::{TokenFile, TokenFileError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file name the original tool uses.
pub const TOKEN_CACHE_FILE: &str = ".aws_runas_identity_token.cache";

/// The token cache in a directory (the config file's).
#[derive(Debug, Clone)]
pub struct FileTokenCache {
    path: PathBuf,
}

impl FileTokenCache {
    /// The cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileTokenCache {
            path: dir.into().join(TOKEN_CACHE_FILE),
        }
    }

    fn read_all(&self) -> BTreeMap<String, String> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn io(&self, source: std::io::Error) -> CacheError {
        CacheError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }
}

/// FNV-1 128-bit of `text`, big-endian lowercase hex (Go's `fnv.New128` + `hex.EncodeToString`).
pub(crate) fn fnv1_128_hex(text: &str) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for b in text.as_bytes() {
        h = h.wrapping_mul(PRIME);
        h ^= u128::from(*b);
    }
    format!("{h:032x}")
}

impl TokenCache for FileTokenCache {
    fn load(&self, url: &str) -> Option<Secret> {
        self.read_all().remove(&fnv1_128_hex(url)).map(Secret::new)
    }

    fn store(&self, url: &str, token: &Secret) -> Result<(), CacheError> {
        if let Some(dir) = self.path.parent() {
            write::create_dir(dir).map_err(|e| self.io(e))?;
        }
        let lock_path = PathBuf::from(format!("{}.lock", self.path.display()));
        let _guard =
            match lock::lock(&lock_path, Duration::from_secs(30)).map_err(|e| self.io(e))? {
                Wait::Held(g) => g,
                Wait::TimedOut(waited) => {
                    return Err(CacheError::LockTimeout {
                        path: lock_path.display().to_string(),
                        waited_secs: waited.as_secs(),
                    });
                }
            };
        let mut all = self.read_all();
        all.insert(fnv1_128_hex(url), token.expose().to_string());
        let text = serde_json::to_vec(&all).expect("a map of strings serialises");
        write::replace(&self.path, &text).map_err(|e| self.io(e))
    }

    fn clear(&self) -> Result<(), CacheError> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.io(e)),
            _ => Ok(()),
        }
    }
}

/// Reads `web_identity_token_file`s afresh on every call.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenFileReader;

impl TokenFile for TokenFileReader {
    fn read(&self, path: &str) -> Result<Secret, TokenFileError> {
        let err = |reason: String| TokenFileError {
            path: path.to_string(),
            reason,
        };
        let text = std::fs::read_to_string(Path::new(path)).map_err(|e| err(e.to_string()))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(err("the file is empty".into()));
        }
        Ok(Secret::new(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1_128_matches_go() {
        // Go: hex.EncodeToString(fnv.New128().Sum(nil)) for "" is the offset basis.
        assert_eq!(fnv1_128_hex(""), "6c62272e07bb014262b821756295c58d");
        // FNV-1 of "a": offset * prime, then ^ 'a'.
        let expected = 0x6c62272e07bb014262b821756295c58du128
            .wrapping_mul(0x0000000001000000000000000000013B)
            ^ 0x61;
        assert_eq!(fnv1_128_hex("a"), format!("{expected:032x}"));
        assert_ne!(fnv1_128_hex("https://a"), fnv1_128_hex("https://b"));
    }

    #[test]
    fn round_trip_clear_and_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = FileTokenCache::new(dir.path());
        assert!(cache.load("https://idp").is_none());
        cache.store("https://idp", &Secret::new("t1")).unwrap();
        cache.store("https://other", &Secret::new("t2")).unwrap();
        assert_eq!(cache.load("https://idp").unwrap().expose(), "t1");
        let text = std::fs::read_to_string(dir.path().join(TOKEN_CACHE_FILE)).unwrap();
        assert!(text.contains(&fnv1_128_hex("https://idp")), "{text}");
        let mode = std::fs::metadata(dir.path().join(TOKEN_CACHE_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        cache.clear().unwrap();
        assert!(cache.load("https://other").is_none());
        cache.clear().unwrap();
        std::fs::write(dir.path().join(TOKEN_CACHE_FILE), "{corrupt").unwrap();
        assert!(
            cache.load("https://idp").is_none(),
            "a corrupt file is a miss"
        );
    }

    #[test]
    fn token_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "  eyJ.token.sig \n").unwrap();
        assert_eq!(
            TokenFileReader.read(f.to_str().unwrap()).unwrap().expose(),
            "eyJ.token.sig"
        );
        std::fs::write(&f, " \n").unwrap();
        let e = TokenFileReader.read(f.to_str().unwrap()).unwrap_err();
        assert!(
            e.to_string().contains("empty") && e.to_string().contains("token"),
            "{e}"
        );
        let e = TokenFileReader
            .read("/nonexistent/token")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/token"), "{e}");
    }
}

//! `FileCache`: the `CredentialCache` port over files in the AWS config directory.

use crate::lock::{self, Wait};
use crate::{format, name, write};
use aws_runas_domain::ports::cache::{
    CacheEntry, CacheError, CacheKey, CacheLock, CredentialCache,
};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroize;

/// Files larger than this are not cache entries (a real one is well under 8 KiB).
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Credentials cached as one JSON file per entry in a directory, compatible with the original aws-runas.
///
/// See the crate documentation for file names, the format, and how writes and locks work.
///
/// # Examples
///
/// ```
/// use aws_runas_cache_file::FileCache;
/// use aws_runas_domain::ports::cache::{CacheKey, CacheKind, CredentialCache};
///
/// let dir = std::env::temp_dir().join("aws-runas-cache-file-doc-example");
/// let cache = FileCache::new(&dir);
/// let key = CacheKey::new(CacheKind::AssumeRole, "my-profile");
/// assert!(cache.describe(&key).ends_with(".aws_assume_role_my-profile"));
/// ```
#[derive(Debug, Clone)]
pub struct FileCache {
    dir: PathBuf,
}

impl FileCache {
    /// A cache in `dir`, the directory that holds the AWS config file (normally `~/.aws`).
    ///
    /// Nothing is touched until the first store or lock, which creates the directory (mode 0750)
    /// when it is missing.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileCache { dir: dir.into() }
    }

    /// The entry file of `key`.
    fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(name::file_name(key))
    }

    /// The lock file of `key`: the entry file's name plus `.lock`.
    fn lock_path(&self, key: &CacheKey) -> PathBuf {
        let mut name = name::file_name(key);
        name.push_str(".lock");
        self.dir.join(name)
    }

    /// Prepares to lock `key`: the directory exists and the lock file path is known.
    fn prepare_lock(&self, key: &CacheKey) -> Result<PathBuf, CacheError> {
        write::create_dir(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        Ok(self.lock_path(key))
    }
}

impl CredentialCache for FileCache {
    fn load(&self, key: &CacheKey) -> Result<Option<CacheEntry>, CacheError> {
        // Every failure is a miss: the next store rewrites the file.
        let Some(mut bytes) = read_small(&self.path(key)) else {
            return Ok(None);
        };
        let entry = format::decode(&bytes);
        bytes.zeroize();
        Ok(entry)
    }

    fn store(&self, key: &CacheKey, entry: &CacheEntry) -> Result<(), CacheError> {
        let path = self.path(key);
        if !entry.credentials.is_complete() {
            let e = io::Error::new(
                io::ErrorKind::InvalidInput,
                "refusing to cache credentials without an access key id or secret key",
            );
            return Err(io_error(&path, e));
        }
        write::create_dir(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        let mut bytes = format::encode(entry);
        let result = write::replace(&path, &bytes);
        bytes.zeroize();
        result.map_err(|e| io_error(&path, e))
    }

    fn remove(&self, key: &CacheKey) -> Result<(), CacheError> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(&path, e)),
            _ => Ok(()),
        }
    }

    fn try_lock(&self, key: &CacheKey) -> Result<Option<Box<dyn CacheLock>>, CacheError> {
        let path = self.prepare_lock(key)?;
        match lock::try_lock(&path) {
            Ok(held) => Ok(held.map(|l| Box::new(l) as Box<dyn CacheLock>)),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    fn lock(&self, key: &CacheKey, timeout: Duration) -> Result<Box<dyn CacheLock>, CacheError> {
        let path = self.prepare_lock(key)?;
        match lock::lock(&path, timeout) {
            Ok(Wait::Held(l)) => Ok(Box::new(l)),
            Ok(Wait::TimedOut(waited)) => Err(CacheError::LockTimeout {
                path: path.display().to_string(),
                // Whole seconds, rounded up, so a sub-second wait does not read as "0s".
                waited_secs: waited.as_secs() + u64::from(waited.subsec_nanos() > 0),
            }),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    fn describe(&self, key: &CacheKey) -> String {
        self.path(key).display().to_string()
    }
}

/// The bytes of `path`, or `None` when it is missing, unreadable or too large to be an entry.
fn read_small(path: &Path) -> Option<Vec<u8>> {
    let file = File::open(path).ok()?;
    let mut bytes = Vec::with_capacity(1024);
    let read = file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes);
    if read.is_err() || bytes.len() as u64 > MAX_FILE_BYTES {
        bytes.zeroize();
        return None;
    }
    Some(bytes)
}

fn io_error(path: &Path, source: io::Error) -> CacheError {
    CacheError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::cache::CacheKind;

    #[test]
    fn lock_file_sits_beside_the_entry() {
        let cache = FileCache::new("/cache");
        let key = CacheKey::new(CacheKind::WebRole, "p");
        assert_eq!(cache.path(&key), Path::new("/cache/.aws_web_role_p"));
        assert_eq!(
            cache.lock_path(&key),
            Path::new("/cache/.aws_web_role_p.lock")
        );
    }

    #[test]
    fn oversized_files_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b' '; (MAX_FILE_BYTES + 1) as usize]).unwrap();
        assert_eq!(read_small(&path), None);
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(read_small(&path).as_deref(), Some(&b"{}"[..]));
    }
}

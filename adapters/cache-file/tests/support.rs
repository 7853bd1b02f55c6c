//! Shared helpers: temporary caches, sample entries and file inspection.

use aws_runas_cache_file::FileCache;
use aws_runas_domain::ports::cache::{CacheEntry, CacheKey, CacheKind};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use std::path::{Path, PathBuf};

/// A cache in a fresh temporary directory, which lives as long as the returned guard.
pub(crate) fn temp_cache() -> (tempfile::TempDir, FileCache) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let cache = FileCache::new(dir.path());
    (dir, cache)
}

/// An assume-role key.
pub(crate) fn key(name: &str) -> CacheKey {
    CacheKey::new(CacheKind::AssumeRole, name)
}

/// A complete entry whose every field is derived from `tag`, so a mixed-up file is detectable.
pub(crate) fn entry(tag: &str) -> CacheEntry {
    CacheEntry {
        credentials: Credentials::new(
            format!("ASIA{tag}"),
            Secret::new(format!("fake-secret-{tag}")),
            Some(Secret::new(format!(
                "fake-token-{tag}-{}",
                "x".repeat(2048)
            ))),
            Some(Timestamp::from_unix(1_714_568_400)),
        ),
        fingerprint: format!("fp-{tag}"),
    }
}

/// Asserts that `entry` is exactly `entry(tag)` for the tag its fingerprint names, and returns the tag.
pub(crate) fn assert_consistent(got: &CacheEntry) -> String {
    let tag = got
        .fingerprint
        .strip_prefix("fp-")
        .expect("fingerprint written by entry()");
    assert_eq!(got, &entry(tag), "torn or mixed entry");
    tag.to_owned()
}

/// The file a cache operation on `key` uses.
pub(crate) fn path_of(cache: &FileCache, key: &CacheKey) -> PathBuf {
    use aws_runas_domain::ports::cache::CredentialCache;
    PathBuf::from(cache.describe(key))
}

/// The names in `dir`, sorted.
pub(crate) fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The permission bits of `path`.
#[cfg(unix)]
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

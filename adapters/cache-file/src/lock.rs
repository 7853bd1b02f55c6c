//! Entry locks: an exclusive `flock` on a sidecar file that is never deleted or renamed.
//!
//! Why a sidecar: the entry file itself is replaced by rename on every store, so a lock on it
//! would guard a file that is no longer the entry. The lock file stays put for the life of the
//! cache, and every lock opens its own file description, which makes `flock` exclude threads of
//! this process as well as other processes.

use aws_runas_domain::ports::cache::CacheLock;
use std::fmt;
use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long to sleep between attempts while waiting for a lock.
const POLL: Duration = Duration::from_millis(25);

/// A held entry lock; dropping it closes the file, which releases the lock.
pub(crate) struct FileLock {
    // Held for its open file description, which carries the lock.
    _file: File,
    path: PathBuf,
}

impl CacheLock for FileLock {}

impl fmt::Debug for FileLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileLock")
            .field("path", &self.path)
            .finish()
    }
}

impl FileLock {
    /// The lock file.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The outcome of waiting for a lock.
#[derive(Debug)]
pub(crate) enum Wait {
    /// The lock is ours.
    Held(FileLock),
    /// Someone else held it for the whole time; the value is how long we waited.
    TimedOut(Duration),
}

/// Takes the lock at `path` if it is free.
///
/// # Errors
/// When the lock file cannot be opened or locked for a reason other than contention.
pub(crate) fn try_lock(path: &Path) -> io::Result<Option<FileLock>> {
    let file = crate::write::open_private(path, false)?;
    attempt(file, path)
}

/// Waits up to `timeout` for the lock at `path`, polling every [`POLL`].
///
/// # Errors
/// When the lock file cannot be opened or locked for a reason other than contention.
pub(crate) fn lock(path: &Path, timeout: Duration) -> io::Result<Wait> {
    let start = Instant::now();
    let file = crate::write::open_private(path, false)?;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(Wait::Held(FileLock {
                    _file: file,
                    path: path.to_path_buf(),
                }));
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Ok(Wait::TimedOut(waited));
        }
        std::thread::sleep(POLL.min(timeout - waited));
    }
}

fn attempt(file: File, path: &Path) -> io::Result<Option<FileLock>> {
    match file.try_lock() {
        Ok(()) => Ok(Some(FileLock {
            _file: file,
            path: path.to_path_buf(),
        })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_handle_in_the_same_thread_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = try_lock(&path).unwrap().expect("free lock");
        assert_eq!(held.path(), path);
        assert!(try_lock(&path).unwrap().is_none());
        drop(held);
        assert!(try_lock(&path).unwrap().is_some());
        assert!(path.exists(), "the lock file is never deleted");
    }

    #[test]
    fn zero_timeout_tries_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        assert!(matches!(
            lock(&path, Duration::ZERO).unwrap(),
            Wait::Held(_)
        ));
        let _held = try_lock(&path).unwrap().unwrap();
        assert!(matches!(
            lock(&path, Duration::ZERO).unwrap(),
            Wait::TimedOut(_)
        ));
    }

    #[test]
    fn lock_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let _held = try_lock(&path).unwrap().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
    }
}

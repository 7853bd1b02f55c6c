//! Atomic, owner-only file replacement: temporary file, sync, rename, sync the directory.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many random names are tried before giving up on creating a temporary file.
const TEMP_ATTEMPTS: u32 = 16;

/// Creates `dir` and its missing parents with mode 0750.
pub(crate) fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o750);
    builder.create(dir)
}

/// Opens `path` for reading and writing with mode 0600, creating it when missing.
pub(crate) fn open_private(path: &Path, create_new: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Replaces `target` with `contents` so that readers see the old file or the new one, never a part.
///
/// The temporary file is `<target name>.<random>.tmp` in the same directory, created 0600 (and set
/// to 0600 again, whatever the umask), and removed when anything fails before the rename.
///
/// # Errors
/// The I/O error of the step that failed.
pub(crate) fn replace(target: &Path, contents: &[u8]) -> io::Result<()> {
    let (mut file, temp) = create_temp(target)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&temp, target)) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(target);
    Ok(())
}

/// Creates a fresh temporary file next to `target`, mode 0600.
pub(crate) fn create_temp(target: &Path) -> io::Result<(File, PathBuf)> {
    let base = target.file_name().unwrap_or_default().to_string_lossy();
    let mut last = None;
    for _ in 0..TEMP_ATTEMPTS {
        let temp = target.with_file_name(format!("{base}.{:016x}.tmp", random()));
        match open_private(&temp, true) {
            Ok(file) => {
                set_private(&file)?;
                return Ok((file, temp));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// Sets mode 0600 on an open file, so a permissive umask cannot widen it.
fn set_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Makes the rename durable.
///
/// Best effort: the new file is already in place, and some file systems refuse to sync a directory.
fn sync_dir(target: &Path) {
    #[cfg(unix)]
    if let Some(dir) = target.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = target;
}

/// A value that differs between calls, threads and processes; collisions are handled by `create_new`.
fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_files_are_private_and_named_after_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join(".aws_assume_role_p");
        let (_file, temp) = create_temp(&target).unwrap();
        let name = temp.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with(".aws_assume_role_p.") && name.ends_with(".tmp"),
            "{name}"
        );
        assert_eq!(temp.parent(), Some(dir.path()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&temp).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
    }

    #[test]
    fn temp_names_do_not_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        let names: std::collections::HashSet<_> =
            (0..50).map(|_| create_temp(&target).unwrap().1).collect();
        assert_eq!(names.len(), 50);
    }

    #[test]
    fn replace_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        replace(&target, b"one").unwrap();
        replace(&target, b"two").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["t"]);
    }

    #[test]
    fn failed_replace_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails.
        let target = dir.path().join("occupied");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), b"x").unwrap();
        assert!(replace(&target, b"data").is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["occupied"]);
    }
}

//! Writing one section of a shared file safely: lock, re-read, rewrite to a temporary file,
//! rename into place.

use crate::error::ConfigFileError;
use crate::section::{SectionEdit, replace_section};
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// How many symbolic links are followed before giving up (the Linux limit).
const MAX_SYMLINKS: usize = 40;

/// Sets `section` of the file at `path` to `pairs` (see [`replace_section`]), safely against
/// other writers and crashes.
///
/// 1. Symbolic links are followed to the real file, so a linked `~/.aws/credentials` stays a link.
/// 2. Missing parent directories are created (mode 0750 on Unix).
/// 3. An exclusive `flock` is taken on the sidecar `<file>.lock` (created 0600, never deleted,
///    so every writer locks the same inode).
///    aws-runas processes and threads that write the same file therefore take turns.
/// 4. Under the lock the file is read again (a missing file is empty), the section is
///    rewritten, and the result is written to a temporary file in the same directory (0600 from
///    creation), flushed to disk, and renamed over the file; then the directory is flushed.
///
/// The resulting file is 0600 whatever its mode was before, as aws-runas has always done.
///
/// # Errors
/// [`ConfigFileError::InvalidSection`] / [`ConfigFileError::InvalidEntry`] before anything is
/// touched when the section or an entry cannot be written;
/// [`ConfigFileError::SymlinkLoop`], [`ConfigFileError::NotUtf8`], or
/// [`ConfigFileError::Io`] naming the step and path that failed.
pub fn write_section_atomically(
    path: &Path,
    section: &str,
    pairs: &[(&str, &str)],
    edit: SectionEdit,
) -> Result<(), ConfigFileError> {
    // Validate first, so a bad request creates no directory and takes no lock.
    replace_section("", section, pairs, edit)?;
    let file = resolve_symlinks(path)?;
    let directory = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_directories(&directory)?;

    let lock_path = sidecar(&file);
    let lock = open_private(&lock_path).map_err(io("open the lock file", &lock_path))?;
    lock.lock().map_err(io("lock", &lock_path))?;

    let current = match fs::read(&file) {
        Ok(bytes) => {
            String::from_utf8(bytes).map_err(|_| ConfigFileError::NotUtf8 { path: file.clone() })?
        }
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io("read", &file)(e)),
    };
    let updated = replace_section(&current, section, pairs, edit)?;

    let prefix = temp_prefix(&file);
    let mut temporary = temp_builder(&prefix)
        .tempfile_in(&directory)
        .map_err(io("create a temporary file in", &directory))?;
    temporary
        .write_all(updated.as_bytes())
        .map_err(io("write", temporary.path()))?;
    temporary
        .as_file()
        .sync_all()
        .map_err(io("flush", temporary.path()))?;
    temporary
        .persist(&file)
        .map_err(|e| io("rename into place", &file)(e.error))?;
    sync_directory(&directory)?;
    // The lock is released when `lock` is closed here.
    drop(lock);
    Ok(())
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ConfigFileError + 'a {
    move |source| ConfigFileError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Follows symbolic links from `path` to the file they name (which may not exist yet).
///
/// Only the last component is followed: directories on the way are used as they are, which is
/// enough for the rename to land next to the real file.
fn resolve_symlinks(path: &Path) -> Result<PathBuf, ConfigFileError> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target =
                    fs::read_link(&current).map_err(io("read the symbolic link", &current))?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(io("inspect", &current)(e)),
        }
    }
    Err(ConfigFileError::SymlinkLoop {
        path: path.to_path_buf(),
    })
}

fn create_directories(directory: &Path) -> Result<(), ConfigFileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o750);
    builder
        .create(directory)
        .map_err(io("create the directory", directory))
}

/// `<file>.lock`, next to the file.
fn sidecar(file: &Path) -> PathBuf {
    let mut name = OsString::from(file.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// Opens (creating with mode 0600 if needed) a file for locking.
fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Temporary files are named `.<file name>.<random>.tmp`, hidden and easy to attribute.
fn temp_prefix(file: &Path) -> String {
    let base = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{base}.")
}

/// A temporary-file builder that creates files readable by the owner only.
fn temp_builder(prefix: &str) -> tempfile::Builder<'_, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    builder
}

/// Flushes the directory entry of the rename (a no-op where directories cannot be opened).
fn sync_directory(directory: &Path) -> Result<(), ConfigFileError> {
    #[cfg(unix)]
    File::open(directory)
        .and_then(|d| d.sync_all())
        .map_err(io("flush the directory", directory))?;
    #[cfg(not(unix))]
    let _ = directory;
    Ok(())
}

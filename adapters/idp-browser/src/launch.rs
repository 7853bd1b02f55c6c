//! Finding the installed browser, the profile directory (0700) and its lock, and the launch flags.

use crate::settings::BrowserLoginSettings;
use aws_runas_domain::ports::idp::{AuthUrl, IdpError};
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The browsers looked for on `PATH`, in order.
pub(crate) const BROWSER_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "microsoft-edge-stable",
    "msedge",
];

/// The lock file that keeps two aws-runas logins off one profile.
pub(crate) const LOCK_FILE: &str = "aws-runas.lock";

fn on_path(name: &str, path: Option<&OsString>) -> Option<PathBuf> {
    let path = path?;
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The browser to start: the configured one (a path, or a name looked up on `path`), else the
/// first of [`BROWSER_NAMES`] on `path`.
///
/// # Errors
/// [`IdpError::configuration`] naming `browser_executable` (the original's `auth_browser`).
pub(crate) fn find_browser(
    configured: Option<(&str, &str)>,
    path: Option<&OsString>,
) -> Result<PathBuf, IdpError> {
    match configured {
        Some((value, origin)) => {
            let as_path = Path::new(value);
            let found = if as_path.components().count() > 1 || as_path.is_absolute() {
                as_path.is_file().then(|| as_path.to_path_buf())
            } else {
                on_path(value, path)
            };
            found.ok_or_else(|| {
                IdpError::configuration(format!(
                    "browser_executable `{value}` from {origin} (the original's auth_browser): no such program{}",
                    if as_path.components().count() > 1 { "" } else { " on PATH" }
                ))
            })
        }
        None => BROWSER_NAMES
            .iter()
            .find_map(|name| on_path(name, path))
            .ok_or_else(|| {
                IdpError::configuration(format!(
                    "no Chromium, Chrome or Edge found on PATH (looked for {}); install one, or set browser_executable (the original's auth_browser) to its path or name",
                    BROWSER_NAMES.join(", ")
                ))
            }),
    }
}

/// The profile directory: the configured one, else `~/.aws/aws-runas-browser/<IdP host>`.
///
/// `aws_dir` is the directory of aws-runas's own files (where the app keeps the IdP cookie jar).
pub(crate) fn profile_dir(
    settings: &BrowserLoginSettings,
    aws_dir: Option<&std::path::Path>,
) -> Result<PathBuf, IdpError> {
    if let Some(dir) = settings.profile_dir() {
        return Ok(dir.clone());
    }
    let aws_dir = aws_dir.ok_or_else(|| {
        IdpError::configuration(
            "no directory for aws-runas's files to keep the browser profile in; set browser_profile_dir",
        )
    })?;
    let host = AuthUrl::parse(settings.url())?
        .host()
        .replace([':', '[', ']'], "_");
    Ok(aws_dir.join("aws-runas-browser").join(host))
}

/// Makes `dir` (0700) and takes its lock, held while the returned file is open.
///
/// # Errors
/// [`IdpError::unavailable`] when another aws-runas login holds the lock (nothing is stopped),
/// [`IdpError::configuration`] when the directory cannot be made.
pub(crate) fn lock_profile(dir: &Path) -> Result<File, IdpError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        IdpError::configuration(format!(
            "cannot make the browser profile directory {}: {e}",
            dir.display()
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let path = dir.join(LOCK_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path).map_err(|e| {
        IdpError::configuration(format!("cannot open the lock file {}: {e}", path.display()))
    })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(IdpError::unavailable(format!(
            "the browser profile {} is in use by another aws-runas login (its lock {} is held); finish that login or close its browser window, then try again",
            dir.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(IdpError::configuration(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// Whether the browser must run without its sandbox: as root (Chromium refuses otherwise) or
/// headless (tests and CI containers).
pub(crate) fn needs_ci_flags(headless: bool) -> bool {
    headless || is_root()
}

#[cfg(unix)]
fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_configured_browser_names_the_setting() {
        let err = find_browser(
            Some(("no-such-browser", "profile `p`")),
            Some(&OsString::new()),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("browser_executable `no-such-browser` from profile `p`"),
            "{text}"
        );
        assert!(text.contains("auth_browser"), "{text}");
    }

    #[test]
    fn no_browser_on_path_lists_the_names_and_the_setting() {
        let empty = tempfile::tempdir().unwrap();
        let path = OsString::from(empty.path());
        let err = find_browser(None, Some(&path)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("chromium, chromium-browser"), "{text}");
        assert!(text.contains("auth_browser"), "{text}");
    }

    #[test]
    fn a_browser_on_path_is_found_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("google-chrome"), "").unwrap();
        let path = OsString::from(dir.path());
        assert_eq!(
            find_browser(None, Some(&path)).unwrap(),
            dir.path().join("google-chrome")
        );
        assert_eq!(
            find_browser(Some(("google-chrome", "x")), Some(&path)).unwrap(),
            dir.path().join("google-chrome")
        );
    }

    #[test]
    fn the_profile_lock_is_exclusive_and_the_directory_private() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("p");
        let held = lock_profile(&profile).unwrap();
        let err = lock_profile(&profile).unwrap_err();
        assert!(
            err.to_string()
                .contains("in use by another aws-runas login"),
            "{err}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&profile).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        drop(held);
        assert!(lock_profile(&profile).is_ok());
    }
}

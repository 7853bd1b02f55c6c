//! `aws-runas update`: is there a newer release? `HEAD <release page>/releases/latest` without
//! following redirects (5 second limit); the redirect's last path segment is the latest tag.
//! Prints "up to date" or the newer version and where to get it; exits 0 either way, 1 only when
//! the check itself failed. The page is `RUNAS_UPDATE_URL`, else the project's repository.

use crate::env::ProcessEnv;
use crate::wire::{new_runtime, print_stdout};
use anyhow::{Result, bail};
use aws_runas_domain::ports::release::ReleaseCheck;
use std::cmp::Ordering;
use std::process::ExitCode;
use std::time::Duration;

/// The version of this build.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The latest-release address: `RUNAS_UPDATE_URL`, else `<repository>/releases/latest`.
fn release_url(penv: &ProcessEnv) -> String {
    penv.get("RUNAS_UPDATE_URL").map_or_else(
        || {
            format!(
                "{}/releases/latest",
                env!("CARGO_PKG_REPOSITORY").trim_end_matches('/')
            )
        },
        str::to_string,
    )
}

/// Compares dotted version numbers (a leading `v` ignored); `None` when either is not one.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let parse = |v: &str| -> Option<Vec<u64>> {
        v.trim()
            .trim_start_matches('v')
            .split('.')
            .map(|p| p.parse().ok())
            .collect()
    };
    let (a, b) = (parse(a)?, parse(b)?);
    let len = a.len().max(b.len());
    let pad = |v: &[u64]| {
        (0..len)
            .map(|i| v.get(i).copied().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    Some(pad(&a).cmp(&pad(&b)))
}

/// Runs `aws-runas update`.
///
/// # Errors
/// The page cannot be reached, or answers with something other than a redirect.
pub fn run(penv: &ProcessEnv) -> Result<ExitCode> {
    let url = release_url(penv);
    let client = aws_runas_signin_http::HttpSignin::new(aws_runas_signin_http::SigninSettings {
        timeout: Duration::from_secs(5),
        proxy: ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]
            .iter()
            .find_map(|n| penv.get(n))
            .map(str::to_string),
        no_proxy: penv
            .get("NO_PROXY")
            .or_else(|| penv.get("no_proxy"))
            .map(str::to_string),
        ca_bundle: None,
    });
    let (status, location) = new_runtime()?.block_on(client.latest_location(&url))?;
    let Some(location) = location else {
        bail!(
            "version check failed: {url} answered HTTP {status}, not a redirect to the latest release"
        );
    };
    let tag = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    if tag.is_empty() {
        bail!("version check failed: {url} redirected to {location}, which names no release");
    }
    let newer = match compare_versions(&tag, VERSION) {
        Some(order) => order == Ordering::Greater,
        None => tag.trim_start_matches('v') != VERSION,
    };
    if newer {
        print_stdout(&format!(
            "New version of aws-runas available: {tag}\nDownload available at: {location}\n"
        ))?;
    } else {
        print_stdout(&format!(
            "aws-runas {VERSION} is up to date (latest release: {tag})\n"
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert_eq!(
            compare_versions("v1.10.0", "1.9.3"),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_versions("0.1", "0.1.0"), Some(Ordering::Equal));
        assert_eq!(compare_versions("v0.0.9", "0.1.0"), Some(Ordering::Less));
        assert_eq!(compare_versions("nightly", "0.1.0"), None);
    }
}

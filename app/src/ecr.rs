//! `aws-runas ecr login [profile] [registry…]`: logs a container engine in to Amazon ECR with a
//! profile's credentials.
//!
//! Each registry is an account id (expanded with the profile's region) or an ECR host
//! `<account>.dkr.ecr.<region>.amazonaws.com`; with none, the caller's own account in the
//! profile's region. ECR's GetAuthorizationToken is asked once per region, and the password goes
//! to `<engine> login --username <user> --password-stdin <registry>` on its standard input only:
//! never in its arguments or environment. The engine is `RUNAS_CONTAINER_CLI` when set, else
//! `docker`, else `podman`; its exit status is ours.

use crate::cli::Cli;
use crate::env::ProcessEnv;
use crate::service::Service;
use crate::wire::{NothingToDo, choose_profile, new_runtime};
use anyhow::{Context as _, Result, anyhow, bail};
use aws_runas_domain::ports::ecr::{Ecr, RegistryLogin};
use aws_runas_domain::ports::sts::Sts;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// One registry to log in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// The host, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`.
    pub host: String,
    /// Its region.
    pub region: String,
}

/// The DNS suffix of ECR registries in a region's partition.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// The registry of `account` in `region`.
pub fn registry_of(account: &str, region: &str) -> Registry {
    Registry {
        host: format!("{account}.dkr.ecr.{region}.{}", dns_suffix(region)),
        region: region.to_string(),
    }
}

fn is_account_id(word: &str) -> bool {
    word.len() == 12 && word.bytes().all(|b| b.is_ascii_digit())
}

/// Reads one registry argument: an account id (needs `region`), or an ECR host, with or without
/// `https://` and a trailing `/`.
///
/// # Errors
/// Anything else, or an account id without a region; the message names the argument.
pub fn parse_registry(word: &str, region: Option<&str>, profile: &str) -> Result<Registry> {
    let host = word
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/');
    if is_account_id(host) {
        let region = region.ok_or_else(|| {
            anyhow!(
                "registry {word:?} is an account id, but profile `{profile}` has no region: set one, or name the registry host <account>.dkr.ecr.<region>.amazonaws.com"
            )
        })?;
        return Ok(registry_of(host, region));
    }
    let labels: Vec<&str> = host.split('.').collect();
    let ecr_host = labels.len() >= 6
        && is_account_id(labels[0])
        && labels[1] == "dkr"
        && (labels[2] == "ecr" || labels[2] == "ecr-fips")
        && !labels[3].is_empty()
        && matches!(
            labels[4..].join(".").as_str(),
            "amazonaws.com" | "amazonaws.com.cn"
        );
    if !ecr_host {
        bail!(
            "{word:?} is not an Amazon ECR registry: give an account id or a host like 123456789012.dkr.ecr.us-east-1.amazonaws.com"
        );
    }
    Ok(Registry {
        host: host.to_string(),
        region: labels[3].to_string(),
    })
}

/// Finds `program` the way a shell does: a path as it is, else the first executable on `path`.
fn find_program(program: &str, path: Option<&str>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    path?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(program))
        .find(|p| executable(p))
}

/// The container engine: `RUNAS_CONTAINER_CLI`, else `docker`, else `podman`.
///
/// # Errors
/// The named engine, or both defaults, cannot be found on `PATH`.
pub fn container_engine(penv: &ProcessEnv) -> Result<PathBuf> {
    let path = penv.get("PATH");
    if let Some(named) = penv.get("RUNAS_CONTAINER_CLI").map(str::trim) {
        return find_program(named, path).ok_or_else(|| {
            anyhow!("RUNAS_CONTAINER_CLI names {named:?}, which is not an executable on PATH")
        });
    }
    ["docker", "podman"]
        .iter()
        .find_map(|p| find_program(p, path))
        .ok_or_else(|| {
            anyhow!(
                "neither docker nor podman was found on PATH: install one, or set RUNAS_CONTAINER_CLI"
            )
        })
}

/// Runs `aws-runas ecr login`.
///
/// # Errors
/// A bad registry argument, no engine, a credential or ECR failure, an engine that cannot start.
pub fn login(cli: &Cli, penv: &ProcessEnv, words: &[String]) -> Result<ExitCode> {
    let svc = Service::load(cli, penv)?;
    // The first word is the profile only when it names one (or a role ARN): a single registry
    // argument with the profile in AWS_PROFILE is a registry, not a profile.
    let (name, registry_words) = choose_profile(words, svc.profiles(), penv).ok_or(NothingToDo)?;
    let engine = container_engine(penv)?;
    let planned = svc.plan(&name)?;
    let region = planned.aws.region.clone().filter(|r| !r.trim().is_empty());
    let mut registries = registry_words
        .iter()
        .map(|w| parse_registry(w, region.as_deref(), &name))
        .collect::<Result<Vec<_>>>()?;
    if cli.refresh {
        svc.forget(&planned);
    }
    let rt = new_runtime()?;
    let creds = match svc.cached(&planned) {
        Some(c) => c,
        None => rt.block_on(svc.fetch(&planned))?,
    };
    if registries.is_empty() {
        let region = region.ok_or_else(|| {
            anyhow!("profile `{name}` has no region: set one, or name the registry to log in to")
        })?;
        let sts = aws_runas_sts_sdk::SdkSts::new(planned.aws.clone());
        let id = rt
            .block_on(sts.get_caller_identity(&creds))
            .with_context(|| format!("finding the account of profile `{name}`"))?;
        registries.push(registry_of(&id.account, &region));
    }
    let endpoint = penv
        .get("AWS_ENDPOINT_URL_ECR")
        .map(str::to_string)
        .or_else(|| {
            svc.settings(Some(&name))
                .get("endpoint_url")
                .map(str::to_string)
        });
    let ecr = aws_runas_sts_sdk::SdkEcr::new(planned.aws.clone(), endpoint);
    let mut logins: BTreeMap<String, RegistryLogin> = BTreeMap::new();
    for registry in &registries {
        if !logins.contains_key(&registry.region) {
            let login = rt
                .block_on(ecr.authorization_token(&creds, &registry.region))
                .with_context(|| {
                    format!(
                        "profile `{name}`: the ECR login token for {}",
                        registry.region
                    )
                })?;
            logins.insert(registry.region.clone(), login);
        }
        let login = &logins[&registry.region];
        let code = run_engine(&engine, login, &registry.host, penv.get("PATH"))?;
        if code != 0 {
            eprintln!(
                "aws-runas: {} login to {} failed with exit status {code}",
                engine.display(),
                registry.host
            );
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
        }
        log::info!("{} logged in to {}", engine.display(), registry.host);
    }
    Ok(ExitCode::SUCCESS)
}

/// `<engine> login --username <user> --password-stdin <host>`, the password written to its
/// standard input; output inherited. Returns its exit status (128 + signal when killed).
fn run_engine(engine: &Path, login: &RegistryLogin, host: &str, path: Option<&str>) -> Result<i32> {
    let mut cmd = Command::new(engine);
    cmd.args([
        "login",
        "--username",
        &login.username,
        "--password-stdin",
        host,
    ])
    .stdin(Stdio::piped());
    if let Some(p) = path {
        cmd.env("PATH", OsString::from(p));
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", engine.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // An engine that exits without reading is reported through its status.
        let _ = stdin.write_all(login.password.expose().as_bytes());
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for {}", engine.display()))?;
    use std::os::unix::process::ExitStatusExt as _;
    Ok(status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_arguments() {
        let r = parse_registry("123456789012", Some("eu-west-1"), "p").unwrap();
        assert_eq!(r.host, "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        let cn = parse_registry("123456789012", Some("cn-north-1"), "p").unwrap();
        assert_eq!(cn.host, "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
        let host = parse_registry(
            "https://210987654321.dkr.ecr.us-west-2.amazonaws.com/",
            None,
            "p",
        )
        .unwrap();
        assert_eq!(
            (host.host.as_str(), host.region.as_str()),
            ("210987654321.dkr.ecr.us-west-2.amazonaws.com", "us-west-2")
        );
        for bad in [
            "docker.io",
            "quay.io/x",
            "12345",
            "1.dkr.ecr.us-east-1.amazonaws.com",
        ] {
            let e = parse_registry(bad, Some("us-east-1"), "p")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("not an Amazon ECR registry") && e.contains(bad),
                "{e}"
            );
        }
        let e = parse_registry("123456789012", None, "dev")
            .unwrap_err()
            .to_string();
        assert!(e.contains("profile `dev` has no region"), "{e}");
    }
}

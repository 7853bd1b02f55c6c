//! `aws-runas diagnose [profile]`: checks of the set-up, one line per finding on stdout, then a
//! summary of the profile's settings. Exits 1 when any finding is an error.
//!
//! The checks: the config and credentials files (readable, parsed, the credentials file private),
//! the environment's keys, the profile's chain (unknown profiles, missing `source_profile`,
//! loops: the planner's own errors), the region, the identity provider (which adapter and why,
//! the OIDC keys it needs), the password store, IAM Identity Center, the cache directory's
//! permissions, the proxy, the endpoint each service resolves to, and the local clock against the
//! `Date` of an answer from STS.

use crate::cli::Cli;
use crate::env::ProcessEnv;
use crate::service::{Planned, Service};
use crate::wire::{cache_dir, new_runtime, print_stdout};
use anyhow::Result;
use aws_runas_domain::chain::Base;
use aws_runas_domain::duration::format_go_duration;
use aws_runas_domain::ports::clock::Clock as _;
use aws_runas_domain::ports::idp::{AuthUrl, registry};
use aws_runas_domain::ports::server_time::ServerTime;
use aws_runas_domain::settings::Settings;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Fine.
    Ok,
    /// Worth knowing.
    Info,
    /// Likely to cause trouble.
    Warn,
    /// Will fail.
    Error,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub level: Level,
    /// Which check.
    pub check: &'static str,
    /// What it found, naming the profile, key or file.
    pub message: String,
}

impl Finding {
    fn line(&self) -> String {
        let level = match self.level {
            Level::Ok => "OK",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        };
        format!("{level:<5} {}: {}", self.check, self.message)
    }
}

#[derive(Debug, Default)]
struct Report {
    findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, level: Level, check: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            level,
            check,
            message: message.into(),
        });
    }

    fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Error)
    }

    fn text(&self) -> String {
        self.findings.iter().map(|f| f.line() + "\n").collect()
    }
}

/// Clock skew beyond which AWS refuses signed requests, and the warning threshold.
const SKEW_ERROR_SECS: i64 = 5 * 60;
const SKEW_WARN_SECS: i64 = 60;

/// Verdict on a clock `skew_secs` away from the server's.
pub fn skew_level(skew_secs: i64) -> Level {
    match skew_secs.abs() {
        s if s > SKEW_ERROR_SECS => Level::Error,
        s if s > SKEW_WARN_SECS => Level::Warn,
        _ => Level::Ok,
    }
}

/// Whether a file's mode lets anyone but its owner read or write it.
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

/// Runs `aws-runas diagnose`.
///
/// # Errors
/// Only a failure to write the report; every problem found is a line of it.
pub fn run(cli: &Cli, penv: &ProcessEnv, profile: Option<&str>) -> Result<ExitCode> {
    let mut report = Report::default();
    let name = match profile.or_else(|| penv.named_profile()) {
        Some(p) => p.to_string(),
        None => {
            report.add(
                Level::Warn,
                "profile",
                "no profile given: only [default] is checked; name a profile for more",
            );
            "default".to_string()
        }
    };
    environment(&mut report, penv);
    let svc = match Service::load(cli, penv) {
        Ok(svc) => svc,
        Err(e) => {
            report.add(Level::Error, "files", format!("{e:#}"));
            print_stdout(&report.text())?;
            return Ok(ExitCode::FAILURE);
        }
    };
    files(&mut report, &svc);
    let settings = svc.settings(Some(&name));
    if svc.profiles().profile(&name).is_none() {
        report.add(
            Level::Error,
            "profile",
            format!(
                "profile `{name}` is in neither {} nor {}",
                svc.locations().config().display(),
                svc.locations().credentials().display()
            ),
        );
    }
    let planned = match svc.plan(&name) {
        Ok(p) => {
            report.add(Level::Ok, "profile", describe(&name, &p));
            Some(p)
        }
        Err(e) => {
            report.add(Level::Error, "profile", format!("profile `{name}`: {e:#}"));
            None
        }
    };
    match settings.get("region").filter(|r| !r.trim().is_empty()) {
        Some(r) => report.add(Level::Ok, "region", format!("{r} (profile `{name}`)")),
        None => report.add(
            Level::Error,
            "region",
            format!(
                "profile `{name}` has no region: set `region` in its section of {} or AWS_REGION",
                svc.locations().config().display()
            ),
        ),
    }
    identity_provider(&mut report, &name, &settings);
    if let Some(p) = &planned
        && let Base::Sso { profile, .. } = &p.chain.base
    {
        report.add(
            Level::Info,
            "sso",
            format!(
                "profile `{profile}` gets its credentials from IAM Identity Center; `aws-runas sso login {profile}` logs in (the token is shared with the AWS CLI)"
            ),
        );
    }
    cache_directory(&mut report, &cache_dir(svc.locations().config()));
    proxy(&mut report, penv);
    if let Some(p) = &planned {
        endpoints(&mut report, penv, p);
        clock(&mut report, p);
    }
    let mut out = report.text();
    out.push_str(&summary(&name, &settings));
    print_stdout(&out)?;
    Ok(if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn environment(report: &mut Report, penv: &ProcessEnv) {
    let key = penv.get("AWS_ACCESS_KEY_ID");
    let token = penv.secret("AWS_SESSION_TOKEN").is_some();
    match key {
        Some(k) if token && k.starts_with("AKIA") => report.add(
            Level::Error,
            "environment",
            "AWS_ACCESS_KEY_ID holds a long-term key (AKIA…) but AWS_SESSION_TOKEN is set too: unset AWS_SESSION_TOKEN",
        ),
        Some(_) => report.add(
            Level::Warn,
            "environment",
            "AWS_ACCESS_KEY_ID is set: it is used only for a role ARN given in place of a profile, and other AWS tools prefer it to any profile",
        ),
        None => report.add(Level::Ok, "environment", "no AWS keys in the environment"),
    }
}

fn files(report: &mut Report, svc: &Service) {
    let config = svc.locations().config();
    let credentials = svc.locations().credentials();
    for (path, what) in [(config, "config"), (credentials, "credentials")] {
        if !path.exists() {
            report.add(
                Level::Info,
                "files",
                format!("{what} file {} does not exist", path.display()),
            );
        }
    }
    match mode_of(credentials) {
        Some(mode) if mode & 0o077 != 0 => report.add(
            Level::Error,
            "files",
            format!(
                "credentials file {} can be read by other users (mode {mode:04o}): run chmod 600 {}",
                credentials.display(),
                credentials.display()
            ),
        ),
        Some(_) => report.add(
            Level::Ok,
            "files",
            format!(
                "{} and {} read; the credentials file is private",
                config.display(),
                credentials.display()
            ),
        ),
        None => {}
    }
}

/// One line describing a plan: where its credentials start and which roles follow.
fn describe(name: &str, planned: &Planned) -> String {
    let chain = &planned.chain;
    let base = match &chain.base {
        Base::AccessKey { profile, .. } => format!("keys of profile `{profile}`"),
        Base::Environment { .. } => "keys from the environment".to_string(),
        Base::Process { profile, .. } => format!("credential_process of profile `{profile}`"),
        Base::WebIdentityToken(_) => "web_identity_token_file".to_string(),
        Base::Sso { profile, .. } => format!("IAM Identity Center of profile `{profile}`"),
        Base::Saml(l) => format!(
            "SAML login at {}",
            aws_runas_idp_support::display_url(&l.url)
        ),
        Base::WebIdentity(l) => {
            format!(
                "OIDC login at {}",
                aws_runas_idp_support::display_url(&l.url)
            )
        }
        Base::NamedSource { source, .. } => format!("credential_source {source}"),
    };
    let mut text = format!("profile `{name}`: {base}");
    if let Some(step) = &chain.session_token {
        let _ = write!(text, ", then a session token");
        let _ = step;
    }
    for hop in &chain.hops {
        let _ = write!(text, ", then role {}", hop.role_arn.as_str());
    }
    text
}

fn identity_provider(report: &mut Report, name: &str, settings: &Settings) {
    let saml = settings.get("saml_auth_url");
    let oidc = settings.get("web_identity_auth_url");
    let (url, provider_key) = match (saml, oidc) {
        (None, None) => return,
        (Some(_), Some(_)) => {
            report.add(
                Level::Error,
                "identity provider",
                format!(
                    "profile `{name}` sets both saml_auth_url and web_identity_auth_url: keep one"
                ),
            );
            return;
        }
        (Some(u), None) => (u, "saml_provider"),
        (None, Some(u)) => {
            for key in ["web_identity_client_id", "web_identity_redirect_uri"] {
                if settings.get(key).is_none_or(|v| v.trim().is_empty()) {
                    report.add(
                        Level::Error,
                        "identity provider",
                        format!("profile `{name}` has an OIDC login but no {key}"),
                    );
                }
            }
            (u, "web_identity_provider")
        }
    };
    let shown = aws_runas_idp_support::display_url(url);
    let registry = match registry() {
        Ok(r) => r,
        Err(e) => {
            report.add(Level::Error, "identity provider", e.to_string());
            return;
        }
    };
    match settings
        .get(provider_key)
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(named) => match registry.get(named) {
            Ok(reg) => report.add(
                Level::Ok,
                "identity provider",
                format!(
                    "adapter `{}` for {shown}: named by {provider_key}",
                    reg.name()
                ),
            ),
            Err(e) => report.add(
                Level::Error,
                "identity provider",
                format!("profile `{name}`: {provider_key} = {named}: {e}"),
            ),
        },
        None => {
            let by_url = AuthUrl::parse(url)
                .ok()
                .and_then(|u| registry.iter().find(|r| r.matches_url(&u)));
            match by_url {
                Some(reg) => report.add(
                    Level::Ok,
                    "identity provider",
                    format!("adapter `{}` for {shown}: its address matches", reg.name()),
                ),
                None => report.add(
                    Level::Info,
                    "identity provider",
                    format!(
                        "no adapter recognises {shown} by its address: one is picked at login by probing it (set {provider_key} to choose)"
                    ),
                ),
            }
        }
    }
    match settings.get("password_store").map(str::trim) {
        None | Some("file") => report.add(
            Level::Info,
            "password store",
            "stored passwords are kept obfuscated in the credentials file",
        ),
        Some(s) if s.eq_ignore_ascii_case("keyring") => {
            report.add(
                Level::Info,
                "password store",
                "stored passwords are kept in the OS keyring",
            );
        }
        Some(other) => report.add(
            Level::Error,
            "password store",
            format!(
                "profile `{name}`: password_store = {other} is not known (use file or keyring)"
            ),
        ),
    }
}

fn cache_directory(report: &mut Report, dir: &Path) {
    match mode_of(dir) {
        None => report.add(
            Level::Info,
            "cache",
            format!("cache directory {} does not exist yet", dir.display()),
        ),
        Some(mode) if mode & 0o022 != 0 => report.add(
            Level::Error,
            "cache",
            format!(
                "cache directory {} can be written by other users (mode {mode:04o}): run chmod go-w {}",
                dir.display(),
                dir.display()
            ),
        ),
        Some(_) => report.add(
            Level::Ok,
            "cache",
            format!("cache directory {}", dir.display()),
        ),
    }
}

fn proxy(report: &mut Report, penv: &ProcessEnv) {
    let proxy = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]
        .iter()
        .find_map(|n| penv.get(n).map(|v| (*n, v)));
    match proxy {
        Some((var, value)) => {
            let mut text = format!("{var} = {}", aws_runas_idp_support::display_url(value));
            if let Some(no) = penv.get("NO_PROXY").or_else(|| penv.get("no_proxy")) {
                let _ = write!(text, "; NO_PROXY = {no}");
            }
            report.add(Level::Info, "proxy", text);
        }
        None => report.add(Level::Info, "proxy", "no proxy is set"),
    }
}

fn endpoints(report: &mut Report, penv: &ProcessEnv, planned: &Planned) {
    let aws = &planned.aws;
    let region = aws.region.as_deref().unwrap_or("us-east-1");
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let sts = aws
        .sts_endpoint
        .clone()
        .unwrap_or_else(|| format!("https://sts.{region}.{suffix}"));
    let iam = aws
        .iam_endpoint
        .clone()
        .unwrap_or_else(|| "https://iam.amazonaws.com".to_string());
    let ecr = penv
        .get("AWS_ENDPOINT_URL_ECR")
        .map(str::to_string)
        .unwrap_or_else(|| format!("https://api.ecr.{region}.{suffix}"));
    let signin = penv.get("AWS_ENDPOINT_URL_SIGNIN").map_or_else(
        || {
            let partition = crate::console::partition_of_region(region);
            crate::console::partition_hosts(partition).map_or_else(
                |_| format!("(none known for partition {partition})"),
                |h| format!("https://{}/federation", h.signin),
            )
        },
        str::to_string,
    );
    report.add(
        Level::Info,
        "endpoints",
        format!("sts {sts}; iam {iam}; ecr {ecr}; sign-in {signin}"),
    );
}

fn clock(report: &mut Report, planned: &Planned) {
    let aws = &planned.aws;
    let url = aws.sts_endpoint.clone().unwrap_or_else(|| {
        let region = aws.region.as_deref().unwrap_or("us-east-1");
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://sts.{region}.{suffix}")
    });
    let client = aws_runas_signin_http::HttpSignin::new(aws_runas_signin_http::SigninSettings {
        timeout: Duration::from_secs(10),
        proxy: aws.https_proxy.clone(),
        no_proxy: aws.no_proxy.clone(),
        ca_bundle: aws.ca_bundle.clone(),
    });
    let server = match new_runtime() {
        Ok(rt) => rt.block_on(client.server_time(&url)),
        Err(e) => {
            report.add(Level::Warn, "clock", format!("not checked: {e}"));
            return;
        }
    };
    match server {
        Ok(server) => {
            let skew = crate::wire::SystemClock.now().secs_since(server);
            let level = skew_level(skew);
            let direction = if skew >= 0 { "ahead of" } else { "behind" };
            let text = format!(
                "the local clock is {} {direction} {url}{}",
                format_go_duration(skew.abs()),
                match level {
                    Level::Error =>
                        ": AWS refuses requests signed more than 5 minutes off; fix the system time",
                    Level::Warn => ": check the system time",
                    _ => "",
                }
            );
            report.add(level, "clock", text);
        }
        Err(e) => report.add(Level::Warn, "clock", format!("not checked: {e}")),
    }
}

fn summary(name: &str, s: &Settings) -> String {
    let get = |k: &str| s.get(k).unwrap_or("").to_string();
    let mut out = format!("PROFILE: {name}\n");
    for (label, key) in [
        ("REGION", "region"),
        ("SOURCE PROFILE", "source_profile"),
        ("SESSION TOKEN DURATION", "session_token_duration"),
        ("MFA SERIAL", "mfa_serial"),
        ("ROLE ARN", "role_arn"),
        ("EXTERNAL ID", "external_id"),
        ("ASSUME ROLE CREDENTIAL DURATION", "credentials_duration"),
    ] {
        let _ = writeln!(out, "{label}: {}", get(key));
    }
    if s.get("saml_auth_url").is_some() {
        for (label, key) in [
            ("SAML ENDPOINT URL", "saml_auth_url"),
            ("SAML USERNAME", "saml_username"),
            ("JUMP ROLE ARN", "jump_role_arn"),
        ] {
            let _ = writeln!(out, "{label}: {}", get(key));
        }
    }
    if s.get("web_identity_auth_url").is_some() {
        for (label, key) in [
            ("WEB IDENTITY ENDPOINT URL", "web_identity_auth_url"),
            ("WEB IDENTITY CLIENT ID", "web_identity_client_id"),
            ("WEB IDENTITY REDIRECT URI", "web_identity_redirect_uri"),
            ("WEB IDENTITY USERNAME", "web_identity_username"),
            ("JUMP ROLE ARN", "jump_role_arn"),
        ] {
            let _ = writeln!(out, "{label}: {}", get(key));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_thresholds() {
        assert_eq!(skew_level(0), Level::Ok);
        assert_eq!(skew_level(-60), Level::Ok);
        assert_eq!(skew_level(61), Level::Warn);
        assert_eq!(skew_level(-300), Level::Warn);
        assert_eq!(skew_level(301), Level::Error);
        assert_eq!(skew_level(-3600), Level::Error);
    }

    #[test]
    fn finding_lines() {
        let f = Finding {
            level: Level::Error,
            check: "region",
            message: "profile `p` has no region".into(),
        };
        assert_eq!(f.line(), "ERROR region: profile `p` has no region");
        let ok = Finding {
            level: Level::Ok,
            check: "cache",
            message: "x".into(),
        };
        assert_eq!(ok.line(), "OK    cache: x");
    }
}

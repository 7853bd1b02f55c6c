//! `aws-runas console`: the AWS Management Console signed in as a profile.
//!
//! The credentials come the CLI's way (any chain, any identity provider, the same cache). The
//! sign-in federation endpoint takes only temporary credentials, so long-term keys first become a
//! federated-user session through GetFederationToken. The endpoint trades the credentials for a
//! sign-in token (`Action=getSigninToken`), and the login URL (`Action=login`) carries that token
//! to the console page asked for. The protocol is AWS's "Enable custom identity broker access to
//! the AWS console" (IAM User Guide).

use crate::cli::Cli;
use crate::env::ProcessEnv;
use crate::service::{Planned, Service};
use crate::wire::{new_runtime, print_stdout, subcommand_profile};
use anyhow::{Context as _, Result, anyhow, bail};
use aws_runas_domain::chain::Base;
use aws_runas_domain::duration::{format_go_duration, parse_go_duration};
use aws_runas_domain::ports::browser::BrowserOpener;
use aws_runas_domain::ports::signin::{ConsoleSignin, SigninTokenRequest};
use aws_runas_domain::ports::sts::{FederationTokenRequest, Sts};
use aws_runas_domain::{Credentials, Secret, resolve};
use std::process::ExitCode;
use std::time::Duration;

/// `SessionDuration` bounds of the sign-in endpoint (15 minutes to 12 hours).
const SESSION_DURATION: (i64, i64) = (900, 43_200);
/// GetFederationToken's `DurationSeconds` bounds (15 minutes to 36 hours) and default.
const FEDERATION_DURATION: (i64, i64) = (900, 129_600);
const FEDERATION_DEFAULT_SECS: i64 = 43_200;
/// The federated session's inline policy: everything the IAM user may do, no more (the session's
/// permissions are the intersection of this and the user's own policies).
const FEDERATION_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
/// The `Issuer` of the login URL.
const ISSUER: &str = "aws-runas";

/// The `console` subcommand's arguments.
#[derive(Debug, Clone, Default)]
pub struct ConsoleArgs {
    /// Write the URL to stdout instead of opening a browser.
    pub print: bool,
    /// The console page: a URL, or a path such as `/s3/home`.
    pub destination: Option<String>,
    /// The console's region.
    pub region: Option<String>,
    /// The console session's length, Go syntax.
    pub duration: Option<String>,
    /// The profile (else `AWS_PROFILE`).
    pub profile: Option<String>,
}

/// Sign-in and console hosts of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hosts {
    /// The sign-in host (the federation endpoint is `https://<signin>/federation`).
    pub signin: &'static str,
    /// The console host.
    pub console: &'static str,
}

/// The partition of a region name (`cn-north-1` → `aws-cn`, …; anything else → `aws`).
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, p)| p)
}

/// The sign-in and console hosts of a partition, from AWS's public documentation (AWS Sign-In
/// and AWS Management Console endpoints; the China and GovCloud user guides; the European
/// Sovereign Cloud's console domain).
///
/// # Errors
/// An isolated partition (`aws-iso*`, whose endpoints are not public) or an unknown one.
pub fn partition_hosts(partition: &str) -> Result<Hosts> {
    Ok(match partition {
        "aws" => Hosts {
            signin: "signin.aws.amazon.com",
            console: "console.aws.amazon.com",
        },
        "aws-cn" => Hosts {
            signin: "signin.amazonaws.cn",
            console: "console.amazonaws.cn",
        },
        "aws-us-gov" => Hosts {
            signin: "signin.amazonaws-us-gov.com",
            console: "console.amazonaws-us-gov.com",
        },
        "aws-eusc" => Hosts {
            signin: "signin.amazonaws-eusc.eu",
            console: "console.amazonaws-eusc.eu",
        },
        p if p.starts_with("aws-iso") => bail!(
            "partition {p} has no publicly documented console sign-in endpoint: set AWS_ENDPOINT_URL_SIGNIN to its federation endpoint and pass --destination as a full URL"
        ),
        p => bail!(
            "unknown partition {p:?}: the console knows aws, aws-cn, aws-us-gov and aws-eusc (set AWS_ENDPOINT_URL_SIGNIN and pass --destination as a full URL for another)"
        ),
    })
}

/// The console page to land on: `destination` as a URL, or as a path on the console host, or the
/// console home; the region is added when given and not already in the page's query.
///
/// # Errors
/// A destination that is neither an `http(s)://` URL nor a path starting with `/`.
pub fn destination_url(
    destination: Option<&str>,
    console: Option<&str>,
    region: Option<&str>,
) -> Result<String> {
    let with_region = |url: String| match region {
        Some(r) if !url.contains("region=") => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}region={r}")
        }
        _ => url,
    };
    let host = || {
        console.ok_or_else(|| {
            anyhow!("no console host is known for this partition: pass --destination as a full URL")
        })
    };
    match destination.map(str::trim) {
        Some(d) if d.starts_with("https://") || d.starts_with("http://") => Ok(d.to_string()),
        Some(d) if d.starts_with('/') => Ok(with_region(format!("https://{}{d}", host()?))),
        Some(d) => {
            bail!("--destination {d:?} is neither an https:// URL nor a path starting with /")
        }
        None => Ok(with_region(format!("https://{}/console/home", host()?))),
    }
}

/// The login URL: the federation endpoint with `Action=login`, the issuer, the destination and
/// the sign-in token.
pub fn login_url(endpoint: &str, destination: &str, token: &Secret) -> Secret {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "login")
        .append_pair("Issuer", ISSUER)
        .append_pair("Destination", destination)
        .append_pair("SigninToken", token.expose())
        .finish();
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    Secret::new(format!("{endpoint}{sep}{query}"))
}

/// The federation endpoint: `AWS_ENDPOINT_URL_SIGNIN` (with `/federation` added unless it ends
/// with it), else the partition's.
fn federation_endpoint(penv: &ProcessEnv, hosts: Option<Hosts>) -> Result<String> {
    if let Some(base) = penv.get("AWS_ENDPOINT_URL_SIGNIN").map(str::trim) {
        let base = base.trim_end_matches('/');
        return Ok(if base.ends_with("/federation") {
            base.to_string()
        } else {
            format!("{base}/federation")
        });
    }
    let hosts = hosts.ok_or_else(|| anyhow!("no sign-in endpoint is known"))?;
    Ok(format!("https://{}/federation", hosts.signin))
}

/// A federated user's name for GetFederationToken: the profile's name in the allowed characters
/// (`[A-Za-z0-9_=,.@-]`), 2 to 32 of them.
pub fn federated_name(profile: &str) -> String {
    let mut name: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    if name.len() < 2 {
        name = "aws-runas".to_string();
    }
    name
}

/// How the chain's credentials reach the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A role's credentials; `chained` when the role was assumed with temporary credentials
    /// (AWS then refuses `SessionDuration`).
    Role { chained: bool },
    /// Keys that are temporary already but come from no role (a session token in the profile or
    /// the environment, a `credential_process`): used as they are.
    AsIs,
    /// Long-term keys: GetFederationToken first.
    Federation,
}

fn base_is_login(base: &Base) -> bool {
    matches!(
        base,
        Base::Saml(_) | Base::WebIdentity(_) | Base::WebIdentityToken(_)
    )
}

/// Whether the first hop is signed with temporary credentials (so the last role is chained).
fn first_hop_chained(planned: &Planned) -> bool {
    let chain = &planned.chain;
    if chain.session_token.is_some() || base_is_login(&chain.base) {
        return true;
    }
    match &chain.base {
        Base::AccessKey { credentials, .. } | Base::Environment { credentials } => {
            credentials.session_token().is_some()
        }
        // A credential_process, IAM Identity Center, a named source: temporary as far as we know.
        _ => true,
    }
}

fn role_source(planned: &Planned) -> Option<Source> {
    let chain = &planned.chain;
    match chain.hops.len() {
        0 if base_is_login(&chain.base) => Some(Source::Role { chained: false }),
        0 => None,
        1 => Some(Source::Role {
            chained: first_hop_chained(planned),
        }),
        _ => Some(Source::Role { chained: true }),
    }
}

/// The partition of the plan: its last role's ARN, else the login's role, else the region's.
fn partition(planned: &Planned, region: Option<&str>) -> String {
    let chain = &planned.chain;
    let role = chain
        .hops
        .last()
        .map(|h| &h.role_arn)
        .or(match &chain.base {
            Base::Saml(login) => login.role.as_ref(),
            _ => None,
        });
    match role {
        Some(arn) => arn.partition().to_string(),
        None => partition_of_region(region.unwrap_or("us-east-1")).to_string(),
    }
}

/// Runs `aws-runas console`.
///
/// # Errors
/// A bad flag, an unknown partition, a credential or sign-in failure, no browser.
pub fn run(cli: &Cli, penv: &ProcessEnv, args: &ConsoleArgs) -> Result<ExitCode> {
    let name = subcommand_profile(args.profile.as_deref(), penv)?;
    let duration = args
        .duration
        .as_deref()
        .map(|d| parse_go_duration(d).with_context(|| format!("console --duration {d:?}")))
        .transpose()?;
    let svc = Service::load(cli, penv)?;
    let planned = svc.plan(&name)?;
    let region = args
        .region
        .clone()
        .or_else(|| planned.aws.region.clone())
        .filter(|r| !r.trim().is_empty());
    let partition = partition(&planned, region.as_deref());
    let hosts = match partition_hosts(&partition) {
        Ok(h) => Some(h),
        Err(e) if penv.get("AWS_ENDPOINT_URL_SIGNIN").is_some() => {
            log::debug!("{e}; using AWS_ENDPOINT_URL_SIGNIN");
            None
        }
        Err(e) => return Err(e.context(format!("profile `{name}`"))),
    };
    let destination = destination_url(
        args.destination.as_deref(),
        hosts.map(|h| h.console),
        region.as_deref(),
    )?;
    let endpoint = federation_endpoint(penv, hosts)?;

    if cli.refresh {
        svc.forget(&planned);
    }
    let rt = new_runtime()?;
    let (creds, source) = credentials(&svc, &planned, &name, duration, &rt)?;
    let session_duration = match (source, duration) {
        (Source::Role { chained: false }, Some(secs)) => {
            let (lo, hi) = SESSION_DURATION;
            if !(lo..=hi).contains(&secs) {
                bail!(
                    "console --duration {} is out of range: the console session lasts 15m to 12h",
                    format_go_duration(secs)
                );
            }
            Some(secs)
        }
        (Source::Role { chained: true }, Some(_)) => {
            log::warn!(
                "--duration is not used for profile `{name}`: AWS accepts a console session length only for a role assumed with long-term keys or an identity-provider login, not for a chained role"
            );
            None
        }
        (Source::AsIs, Some(_)) => {
            log::warn!(
                "--duration is not used for profile `{name}`: its credentials are temporary already and come from no role"
            );
            None
        }
        // GetFederationToken's own duration is the console session's.
        (Source::Federation, _) | (_, None) => None,
    };
    let settings = aws_runas_signin_http::SigninSettings {
        timeout: Duration::from_secs(30),
        proxy: planned.aws.https_proxy.clone(),
        no_proxy: planned.aws.no_proxy.clone(),
        ca_bundle: planned.aws.ca_bundle.clone(),
    };
    let signin = aws_runas_signin_http::HttpSignin::new(settings);
    let request = SigninTokenRequest {
        endpoint: endpoint.clone(),
        session_duration_secs: session_duration,
    };
    let token = rt
        .block_on(signin.signin_token(&creds, &request))
        .with_context(|| format!("console sign-in for profile `{name}`"))?;
    drop(rt);
    let url = login_url(&endpoint, &destination, &token);
    if args.print {
        print_stdout(&format!("{}\n", url.expose()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let browser = aws_runas_browser_system::SystemBrowser::new(
        penv.get("PATH").map(std::ffi::OsString::from),
    )
    .with_browser(penv.get("BROWSER").map(str::to_string));
    browser.open(url.expose()).map_err(|e| {
        anyhow!("cannot open a browser ({e}): set BROWSER, or run `aws-runas console --print {name}` and open the URL yourself")
    })?;
    log::info!("opened the AWS console for profile `{name}` in the browser");
    Ok(ExitCode::SUCCESS)
}

/// The credentials to sign in with, and where they came from.
fn credentials(
    svc: &Service,
    planned: &Planned,
    name: &str,
    duration: Option<i64>,
    rt: &tokio::runtime::Runtime,
) -> Result<(Credentials, Source)> {
    if let Some(source) = role_source(planned) {
        let creds = match svc.cached(planned) {
            Some(c) => c,
            None => rt.block_on(svc.fetch(planned))?,
        };
        return Ok((creds, source));
    }
    let chain = &planned.chain;
    if matches!(chain.base, Base::Sso { .. } | Base::NamedSource { .. }) {
        let creds = rt.block_on(svc.credentials(planned))?;
        return Ok((creds, Source::AsIs));
    }
    // No role: the base keys themselves (a GetSessionToken session would be refused by the
    // sign-in endpoint, so an MFA session step is skipped).
    if chain.session_token.is_some() {
        log::debug!(
            "profile `{name}` has no role: signing in as a federated user made from its long-term keys (GetFederationToken takes no MFA code)"
        );
    }
    let base = resolve::base_credentials_of(chain, &svc.process_runner(chain))?;
    if base.session_token().is_some() {
        return Ok((base, Source::AsIs));
    }
    let secs = duration.unwrap_or(FEDERATION_DEFAULT_SECS);
    let (lo, hi) = FEDERATION_DURATION;
    if !(lo..=hi).contains(&secs) {
        bail!(
            "console --duration {} is out of range: a federated console session lasts 15m to 36h",
            format_go_duration(secs)
        );
    }
    let sts = aws_runas_sts_sdk::SdkSts::new(planned.aws.clone());
    let req = FederationTokenRequest {
        name: federated_name(name),
        policy: FEDERATION_POLICY.to_string(),
        duration_secs: secs,
    };
    let creds = rt
        .block_on(sts.get_federation_token(&base, &req))
        .with_context(|| {
            format!(
                "profile `{name}` has long-term keys, which the console accepts only as a federated session (sts:GetFederationToken)"
            )
        })?;
    Ok((creds, Source::Federation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_pick_partitions() {
        for (region, want) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition_of_region(region), want, "{region}");
        }
    }

    #[test]
    fn partitions_have_hosts_or_a_clear_error() {
        assert_eq!(
            partition_hosts("aws").unwrap().signin,
            "signin.aws.amazon.com"
        );
        assert_eq!(
            partition_hosts("aws-cn").unwrap().console,
            "console.amazonaws.cn"
        );
        assert_eq!(
            partition_hosts("aws-us-gov").unwrap().signin,
            "signin.amazonaws-us-gov.com"
        );
        assert_eq!(
            partition_hosts("aws-eusc").unwrap().console,
            "console.amazonaws-eusc.eu"
        );
        let iso = partition_hosts("aws-iso-b").unwrap_err().to_string();
        assert!(
            iso.contains("aws-iso-b") && iso.contains("AWS_ENDPOINT_URL_SIGNIN"),
            "{iso}"
        );
        let odd = partition_hosts("aws-mars").unwrap_err().to_string();
        assert!(odd.contains("unknown partition \"aws-mars\""), "{odd}");
    }

    #[test]
    fn destinations() {
        let c = Some("console.aws.amazon.com");
        assert_eq!(
            destination_url(None, c, None).unwrap(),
            "https://console.aws.amazon.com/console/home"
        );
        assert_eq!(
            destination_url(None, c, Some("eu-west-1")).unwrap(),
            "https://console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert_eq!(
            destination_url(Some("/s3/home?x=1"), c, Some("eu-west-1")).unwrap(),
            "https://console.aws.amazon.com/s3/home?x=1&region=eu-west-1"
        );
        assert_eq!(
            destination_url(Some("https://example.org/a?region=x"), None, Some("y")).unwrap(),
            "https://example.org/a?region=x"
        );
        assert!(destination_url(Some("s3"), c, None).is_err());
        assert!(destination_url(None, None, None).is_err());
    }

    #[test]
    fn the_login_url_encodes_every_part() {
        let url = login_url(
            "https://signin.aws.amazon.com/federation",
            "https://console.aws.amazon.com/console/home?region=eu-west-1",
            &Secret::new("tok/en+=="),
        );
        assert_eq!(
            url.expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=aws-runas&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1&SigninToken=tok%2Fen%2B%3D%3D"
        );
    }

    #[test]
    fn federated_names_fit_the_rules() {
        assert_eq!(federated_name("dev"), "dev");
        assert_eq!(federated_name("my profile/x"), "my-profile-x");
        assert_eq!(federated_name("x"), "aws-runas");
        assert_eq!(federated_name(&"a".repeat(40)).len(), 32);
    }

    #[test]
    fn signin_override_gets_the_federation_path() {
        let penv = ProcessEnv::from_pairs([("AWS_ENDPOINT_URL_SIGNIN", "http://127.0.0.1:9/")]);
        assert_eq!(
            federation_endpoint(&penv, None).unwrap(),
            "http://127.0.0.1:9/federation"
        );
        let none = ProcessEnv::from_pairs([]);
        assert_eq!(
            federation_endpoint(&none, partition_hosts("aws-cn").ok()).unwrap(),
            "https://signin.amazonaws.cn/federation"
        );
    }
}

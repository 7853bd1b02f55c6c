//! Prints the caller identity of a profile's credentials: the aws-runas library resolves them
//! (cache, role chain, MFA, identity-provider login, as the command line would) and hands them
//! to the AWS SDK as its credentials provider.
//!
//! ```text
//! cargo run -p aws-runas --example whoami -- <profile> [endpoint-url]
//! ```
//!
//! The region is `AWS_REGION` (else `us-east-1`); the endpoint, when given, is where STS calls
//! go (a local emulator such as moto).

use aws_runas::CredentialProvider;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use std::process::ExitCode;

/// The caller identity (`account`, `arn`, `user id`, tab-separated) of `provider`'s
/// credentials, asked of STS in `region` (at `endpoint` when given).
///
/// # Errors
/// Whatever the provider or STS fails with.
pub async fn whoami(
    provider: CredentialProvider,
    region: &str,
    endpoint: Option<&str>,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(provider);
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    let sts = aws_sdk_sts::Client::from_conf(config.build());
    let id = sts.get_caller_identity().send().await?;
    Ok(format!(
        "{}\t{}\t{}",
        id.account().unwrap_or_default(),
        id.arn().unwrap_or_default(),
        id.user_id().unwrap_or_default()
    ))
}

#[allow(clippy::disallowed_methods)] // a program's entry point reads its environment
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(profile) = args.first() else {
        eprintln!("usage: whoami <profile> [endpoint-url]");
        return ExitCode::FAILURE;
    };
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_string());
    let mut builder = CredentialProvider::builder(profile.as_str()).region(region.as_str());
    if let Some(url) = args.get(1) {
        builder = builder.endpoint_url(url.as_str());
    }
    let result = builder
        .build()
        .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        .and_then(|provider| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(whoami(provider, &region, args.get(1).map(String::as_str)))
        });
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("whoami: {e}");
            ExitCode::FAILURE
        }
    }
}

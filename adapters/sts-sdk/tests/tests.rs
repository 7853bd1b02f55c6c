//! Integration tests of the STS and IAM adapters against a fake AWS endpoint on 127.0.0.1.
//!
//! Every adapter is built from explicit settings, so no test reads `~/.aws` or `AWS_*` variables.

mod fake;
mod iam;
mod sts;

use aws_runas_domain::{Credentials, Secret};
use aws_runas_sts_sdk::AwsSettings;
use std::time::Duration;

/// Settings aimed at `endpoint` for both STS and IAM, with no region, proxy or retries.
fn settings(endpoint: &str) -> AwsSettings {
    AwsSettings {
        region: None,
        sts_endpoint: Some(endpoint.to_string()),
        iam_endpoint: Some(endpoint.to_string()),
        https_proxy: None,
        no_proxy: None,
        ca_bundle: None,
        operation_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        max_attempts: 1,
    }
}

/// Fake long-term keys.
fn long_term() -> Credentials {
    Credentials::new(
        "AKIDFAKELONGTERM",
        Secret::new("fake-long-term-secret"),
        None,
        None,
    )
}

/// Fake temporary credentials.
fn temporary() -> Credentials {
    Credentials::new(
        "ASIAFAKESESSION",
        Secret::new("fake-session-secret"),
        Some(Secret::new("fake-session-token")),
        None,
    )
}

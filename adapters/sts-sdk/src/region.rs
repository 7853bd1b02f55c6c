//! Which region a call is signed for, and which endpoint URL an error should name.

use crate::settings::AwsSettings;

/// The region used when nothing else decides.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// The region of an STS call: the configured one, else the default region of the role ARN's
/// partition, else `us-east-1`.
pub(crate) fn sts_region(settings: &AwsSettings, partition: Option<&str>) -> String {
    if let Some(region) = configured(settings) {
        return region.to_string();
    }
    match partition {
        Some("aws-cn") => "cn-north-1",
        Some("aws-us-gov") => "us-gov-west-1",
        Some("aws-iso") => "us-iso-east-1",
        Some("aws-iso-b") => "us-isob-east-1",
        _ => DEFAULT_REGION,
    }
    .to_string()
}

/// The region of an IAM call: the configured one, else `us-east-1` (whose endpoint is IAM's
/// global endpoint).
pub(crate) fn iam_region(settings: &AwsSettings) -> String {
    configured(settings).unwrap_or(DEFAULT_REGION).to_string()
}

fn configured(settings: &AwsSettings) -> Option<&str> {
    settings
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
}

/// The explicit endpoint, trimmed, when there is one.
pub(crate) fn explicit(endpoint: Option<&str>) -> Option<&str> {
    endpoint.map(str::trim).filter(|e| !e.is_empty())
}

/// The URL the SDK sends STS calls for `region` to, for error messages.
pub(crate) async fn sts_endpoint_url(explicit_endpoint: Option<&str>, region: &str) -> String {
    use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    if let Some(endpoint) = explicit(explicit_endpoint) {
        return endpoint.to_string();
    }
    let resolved = match Params::builder().region(region).build() {
        Ok(params) => DefaultResolver::new().resolve_endpoint(&params).await.ok(),
        Err(_) => None,
    };
    resolved.map_or_else(
        || format!("https://sts.{region}.amazonaws.com"),
        |e| e.url().to_string(),
    )
}

/// The URL the SDK sends IAM calls for `region` to, for error messages.
pub(crate) async fn iam_endpoint_url(explicit_endpoint: Option<&str>, region: &str) -> String {
    use aws_sdk_iam::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    if let Some(endpoint) = explicit(explicit_endpoint) {
        return endpoint.to_string();
    }
    let resolved = match Params::builder().region(region).build() {
        Ok(params) => DefaultResolver::new().resolve_endpoint(&params).await.ok(),
        Err(_) => None,
    };
    resolved.map_or_else(
        || "https://iam.amazonaws.com".to_string(),
        |e| e.url().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings(region: Option<&str>) -> AwsSettings {
        AwsSettings {
            region: region.map(String::from),
            sts_endpoint: None,
            iam_endpoint: None,
            https_proxy: None,
            no_proxy: None,
            ca_bundle: None,
            operation_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            max_attempts: 1,
        }
    }

    #[test]
    fn partition_decides_without_a_region() {
        let none = settings(None);
        assert_eq!(sts_region(&none, Some("aws")), "us-east-1");
        assert_eq!(sts_region(&none, Some("aws-cn")), "cn-north-1");
        assert_eq!(sts_region(&none, Some("aws-us-gov")), "us-gov-west-1");
        assert_eq!(sts_region(&none, None), "us-east-1");
        assert_eq!(
            sts_region(&settings(Some(" ")), Some("aws-cn")),
            "cn-north-1"
        );
        assert_eq!(
            sts_region(&settings(Some("eu-west-1")), Some("aws-cn")),
            "eu-west-1"
        );
        assert_eq!(iam_region(&none), "us-east-1");
        assert_eq!(iam_region(&settings(Some("cn-north-1"))), "cn-north-1");
    }

    #[tokio::test]
    async fn endpoints_follow_the_sdk_rules() {
        assert_eq!(
            sts_endpoint_url(None, "us-east-1").await,
            "https://sts.us-east-1.amazonaws.com"
        );
        assert_eq!(
            sts_endpoint_url(None, "cn-north-1").await,
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            sts_endpoint_url(Some(" http://127.0.0.1:1 "), "us-east-1").await,
            "http://127.0.0.1:1"
        );
        assert_eq!(
            iam_endpoint_url(None, "eu-west-1").await,
            "https://iam.amazonaws.com"
        );
        assert_eq!(
            iam_endpoint_url(None, "cn-north-1").await,
            "https://iam.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            iam_endpoint_url(Some("http://x"), "us-east-1").await,
            "http://x"
        );
    }
}

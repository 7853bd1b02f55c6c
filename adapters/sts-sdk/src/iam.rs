//! [`SdkIam`]: the `Iam` port over `aws-sdk-iam`.
//!
//! Like STS, each port call builds its own SDK configuration signed with exactly the credentials
//! passed in. The policy walk covers the user's inline and attached policies and those of each
//! of the user's groups, follows every page of every listing, fetches each managed policy once,
//! and URL-decodes the documents (IAM returns them percent-encoded).

use crate::errors::Failure;
use crate::http::LazyHttpClient;
use crate::region::{explicit, iam_endpoint_url, iam_region};
use crate::sdk::{SdkOptions, static_credentials};
use crate::settings::AwsSettings;
use aws_runas_domain::Credentials;
use aws_runas_domain::ports::iam::{Iam, IamError, MfaDevice};
use aws_sdk_iam::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::HashSet;
use std::error::Error;

/// IAM through the AWS SDK for Rust.
///
/// Construction only stores the settings; the HTTP client is built on the first call.
#[derive(Debug)]
pub struct SdkIam {
    settings: AwsSettings,
    http: LazyHttpClient,
}

impl SdkIam {
    /// An IAM adapter for these settings. Cheap: no I/O, no client is built yet.
    pub fn new(settings: AwsSettings) -> Self {
        SdkIam {
            settings,
            http: LazyHttpClient::default(),
        }
    }

    /// A client signed with `creds`; `operation` names the first call, for a setup failure.
    fn session(&self, creds: &Credentials, operation: &str) -> Result<Session<'_>, IamError> {
        let region = iam_region(&self.settings);
        let endpoint = explicit(self.settings.iam_endpoint.as_deref());
        let http = self.http.get(&self.settings).map_err(|message| IamError {
            operation: operation.to_string(),
            message,
        })?;
        let options = SdkOptions::new(&self.settings, http);
        let mut config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new(region.clone()))
            .http_client(options.http_client)
            .timeout_config(options.timeouts)
            .retry_config(options.retries)
            .identity_cache(aws_sdk_iam::config::IdentityCache::no_cache())
            .credentials_provider(static_credentials(creds));
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Ok(Session {
            client: Client::from_conf(config.build()),
            region,
            endpoint,
        })
    }
}

/// One port call's client and what its errors should name.
struct Session<'a> {
    client: Client,
    region: String,
    endpoint: Option<&'a str>,
}

impl Session<'_> {
    /// The port error for a failed SDK call.
    async fn fail<E>(&self, operation: &str, err: &SdkError<E, HttpResponse>) -> IamError
    where
        E: ProvideErrorMetadata + Error + 'static,
    {
        let url = iam_endpoint_url(self.endpoint, &self.region).await;
        Failure::from_sdk(err).into_iam(operation, &url)
    }

    /// The documents of the policies embedded in a user (`group` false) or a group (`group` true).
    async fn inline_documents(&self, group: bool, name: &str) -> Result<Vec<String>, IamError> {
        let mut docs = Vec::new();
        if group {
            const LIST: &str = "iam:ListGroupPolicies";
            const GET: &str = "iam:GetGroupPolicy";
            let pages = self
                .client
                .list_group_policies()
                .group_name(name)
                .into_paginator()
                .send();
            let pages = match pages.collect::<Result<Vec<_>, _>>().await {
                Ok(pages) => pages,
                Err(err) => return Err(self.fail(LIST, &err).await),
            };
            for policy in pages.iter().flat_map(|p| p.policy_names()) {
                let call = self
                    .client
                    .get_group_policy()
                    .group_name(name)
                    .policy_name(policy);
                match call.send().await {
                    Ok(out) => docs.push(decode_document(GET, out.policy_document())?),
                    Err(err) => return Err(self.fail(GET, &err).await),
                }
            }
        } else {
            const LIST: &str = "iam:ListUserPolicies";
            const GET: &str = "iam:GetUserPolicy";
            let pages = self
                .client
                .list_user_policies()
                .user_name(name)
                .into_paginator()
                .send();
            let pages = match pages.collect::<Result<Vec<_>, _>>().await {
                Ok(pages) => pages,
                Err(err) => return Err(self.fail(LIST, &err).await),
            };
            for policy in pages.iter().flat_map(|p| p.policy_names()) {
                let call = self
                    .client
                    .get_user_policy()
                    .user_name(name)
                    .policy_name(policy);
                match call.send().await {
                    Ok(out) => docs.push(decode_document(GET, out.policy_document())?),
                    Err(err) => return Err(self.fail(GET, &err).await),
                }
            }
        }
        Ok(docs)
    }

    /// The ARNs of the managed policies attached to a user (`group` false) or a group.
    async fn attached_arns(&self, group: bool, name: &str) -> Result<Vec<String>, IamError> {
        let arns = if group {
            const LIST: &str = "iam:ListAttachedGroupPolicies";
            let items = self
                .client
                .list_attached_group_policies()
                .group_name(name)
                .into_paginator()
                .items()
                .send();
            match items.collect::<Result<Vec<_>, _>>().await {
                Ok(items) => items,
                Err(err) => return Err(self.fail(LIST, &err).await),
            }
        } else {
            const LIST: &str = "iam:ListAttachedUserPolicies";
            let items = self
                .client
                .list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send();
            match items.collect::<Result<Vec<_>, _>>().await {
                Ok(items) => items,
                Err(err) => return Err(self.fail(LIST, &err).await),
            }
        };
        Ok(arns
            .iter()
            .filter_map(|p| p.policy_arn())
            .map(str::to_string)
            .collect())
    }

    /// The default version's document of the managed policy `arn`.
    async fn managed_document(&self, arn: &str) -> Result<String, IamError> {
        const GET_POLICY: &str = "iam:GetPolicy";
        const GET_VERSION: &str = "iam:GetPolicyVersion";
        let policy = match self.client.get_policy().policy_arn(arn).send().await {
            Ok(out) => out,
            Err(err) => return Err(self.fail(GET_POLICY, &err).await),
        };
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .ok_or_else(|| IamError {
                operation: GET_POLICY.to_string(),
                message: format!("policy {arn} has no default version"),
            })?;
        let out = match self
            .client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
        {
            Ok(out) => out,
            Err(err) => return Err(self.fail(GET_VERSION, &err).await),
        };
        let document = out
            .policy_version()
            .and_then(|v| v.document())
            .ok_or_else(|| IamError {
                operation: GET_VERSION.to_string(),
                message: format!("policy {arn} version {version} has no document"),
            })?;
        decode_document(GET_VERSION, document)
    }
}

/// IAM's percent-encoded policy document as JSON text.
fn decode_document(operation: &str, encoded: &str) -> Result<String, IamError> {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map(|doc| doc.into_owned())
        .map_err(|_| IamError {
            operation: operation.to_string(),
            message: "the policy document is not UTF-8 once URL-decoded".to_string(),
        })
}

#[async_trait::async_trait]
impl Iam for SdkIam {
    async fn list_mfa_devices(
        &self,
        creds: &Credentials,
        user_name: &str,
    ) -> Result<Vec<MfaDevice>, IamError> {
        const OP: &str = "iam:ListMFADevices";
        let iam = self.session(creds, OP)?;
        let items = iam
            .client
            .list_mfa_devices()
            .user_name(user_name)
            .into_paginator()
            .items()
            .send();
        match items.collect::<Result<Vec<_>, _>>().await {
            Ok(devices) => Ok(devices
                .iter()
                .map(|d| MfaDevice {
                    serial: d.serial_number().to_string(),
                })
                .collect()),
            Err(err) => Err(iam.fail(OP, &err).await),
        }
    }

    async fn user_policy_documents(
        &self,
        creds: &Credentials,
        user_name: &str,
    ) -> Result<Vec<String>, IamError> {
        let iam = self.session(creds, "iam:ListUserPolicies")?;
        let mut docs = iam.inline_documents(false, user_name).await?;
        let mut seen = HashSet::new();
        for arn in iam.attached_arns(false, user_name).await? {
            if seen.insert(arn.clone()) {
                docs.push(iam.managed_document(&arn).await?);
            }
        }
        const GROUPS: &str = "iam:ListGroupsForUser";
        let groups = iam
            .client
            .list_groups_for_user()
            .user_name(user_name)
            .into_paginator()
            .items()
            .send();
        let groups = match groups.collect::<Result<Vec<_>, _>>().await {
            Ok(groups) => groups,
            Err(err) => return Err(iam.fail(GROUPS, &err).await),
        };
        for group in &groups {
            docs.extend(iam.inline_documents(true, group.group_name()).await?);
            for arn in iam.attached_arns(true, group.group_name()).await? {
                if seen.insert(arn.clone()) {
                    docs.push(iam.managed_document(&arn).await?);
                }
            }
        }
        Ok(docs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_url_decoded() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            decode_document("iam:GetUserPolicy", encoded).unwrap(),
            r#"{"Version":"2012-10-17","Statement":[]}"#
        );
        assert_eq!(
            decode_document("x", "plain {\"a\": 1}").unwrap(),
            "plain {\"a\": 1}"
        );
        let err = decode_document("iam:GetPolicyVersion", "%FF").unwrap_err();
        assert_eq!(err.operation, "iam:GetPolicyVersion");
    }
}

//! Role-chain planning: profiles in, a flat plan out (a base credential source, an optional
//! GetSessionToken step, then role hops). Pure: no port is called here.
//!
//! [`aws_chain`] follows the AWS SDKs' shared-config rules exactly (it passes AWS's
//! `assume-role-tests.json`); [`plan`] adds aws-runas's rules on top: per-hop settings, the
//! session-token path, durations, cache keys and fingerprints.

use crate::credentials::Credentials;
use crate::duration::{CHAINED_ROLE_MAX_SECS, Clamp, ROLE_LIMITS, SESSION_TOKEN_LIMITS};
use crate::fingerprint::Fingerprint;
use crate::names::{RoleArn, SessionName};
use crate::ports::cache::{CacheKey, CacheKind};
use crate::profile::{ProfileSet, Section};
use crate::secret::Secret;
use crate::settings::{Env, FlagValues, Settings, SettingsError, resolve_settings};
use std::collections::BTreeMap;

/// Where the first credentials of a chain come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// Keys written in a profile.
    AccessKey {
        /// The profile holding them.
        profile: String,
        /// The keys (with a session token when the profile has `aws_session_token`).
        credentials: Credentials,
        /// `aws_account_id`, when written.
        account_id: Option<String>,
    },
    /// Keys from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (role-ARN mode only).
    Environment {
        /// The keys.
        credentials: Credentials,
    },
    /// A `credential_process` command.
    Process {
        /// The profile naming it.
        profile: String,
        /// The command line.
        command: String,
    },
    /// `web_identity_token_file` with `role_arn` in the same profile.
    WebIdentityToken {
        /// The profile.
        profile: String,
        /// The role (unvalidated text, as written).
        role_arn: String,
        /// The token file.
        token_file: String,
        /// `role_session_name`, when written.
        session_name: Option<String>,
    },
    /// IAM Identity Center settings.
    Sso {
        /// The profile.
        profile: String,
        /// The `sso_*` keys that define it (session keys merged in).
        fields: BTreeMap<String, String>,
    },
    /// A SAML login at an identity provider, then AssumeRoleWithSAML (aws-runas's own source).
    Saml {
        /// The profile (`None` for a role ARN given on the command line).
        profile: Option<String>,
        /// `saml_auth_url`.
        url: String,
        /// The role to ask STS for (the jump role when there is one); `None`: pick from the
        /// roles the assertion grants.
        role: Option<RoleArn>,
        /// Requested lifetime in seconds (the assertion's `SessionDuration` may lower it).
        duration_secs: i64,
        /// What clamping did.
        clamp: Clamp,
    },
    /// An OIDC login at an identity provider, then AssumeRoleWithWebIdentity (aws-runas's own).
    WebIdentity {
        /// The profile (`None` for a role ARN given on the command line).
        profile: Option<String>,
        /// `web_identity_auth_url`.
        url: String,
        /// `web_identity_client_id`.
        client_id: String,
        /// `web_identity_redirect_uri`.
        redirect_uri: String,
        /// The role to ask STS for (the jump role when there is one).
        role: RoleArn,
        /// `role_session_name`; else the token's user name is used.
        session_name: Option<SessionName>,
        /// Requested lifetime in seconds.
        duration_secs: i64,
        /// What clamping did.
        clamp: Clamp,
    },
    /// `credential_source` (Environment, Ec2InstanceMetadata, EcsContainer).
    NamedSource {
        /// The profile.
        profile: String,
        /// The named source.
        source: String,
    },
}

impl Base {
    /// The profile the base comes from, if any.
    pub fn profile(&self) -> Option<&str> {
        match self {
            Base::Environment { .. } => None,
            Base::Saml { profile, .. } | Base::WebIdentity { profile, .. } => profile.as_deref(),
            Base::AccessKey { profile, .. }
            | Base::Process { profile, .. }
            | Base::WebIdentityToken { profile, .. }
            | Base::Sso { profile, .. }
            | Base::NamedSource { profile, .. } => Some(profile),
        }
    }
}

/// One `role_arn` link found by [`aws_chain`], before aws-runas's rules apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLink {
    /// The profile that sets `role_arn`.
    pub profile: String,
    /// `role_arn` as written.
    pub role_arn: String,
    /// `external_id` as written.
    pub external_id: Option<String>,
    /// `role_session_name` as written.
    pub session_name: Option<String>,
}

/// The chain as the AWS SDKs see it: a base, then roles to assume in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsChain {
    /// The base source.
    pub base: Base,
    /// Roles, first assumed first.
    pub roles: Vec<RoleLink>,
}

/// Why a chain cannot be planned. Each message names the profile and key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The files define no profile at all.
    #[error("No profiles were defined in the config or credentials file")]
    NoProfiles,
    /// The selected profile does not exist.
    #[error("profile `{0}` not found in the config or credentials file")]
    ProfileNotFound(String),
    /// `source_profile` names a profile that does not exist.
    #[error("could not find source profile `{source_profile}` referenced from profile `{profile}`")]
    MissingSourceProfile {
        /// The referring profile.
        profile: String,
        /// The missing one.
        source_profile: String,
    },
    /// The `source_profile` references form a loop.
    #[error("profile formed an infinite loop: {}", .0.join(" -> "))]
    Loop(Vec<String>),
    /// `role_arn` without a source.
    #[error(
        "profile `{0}` sets role_arn, so the profile must contain `source_profile` (or `credential_source`)"
    )]
    NoSource(String),
    /// Both `source_profile` and `credential_source`.
    #[error("profile `{0}`: profile contained both source_profile and credential_source; keep one")]
    BothSources(String),
    /// Half a key pair.
    #[error("profile `{profile}` is missing {missing}")]
    PartialKeys {
        /// The profile.
        profile: String,
        /// The missing key.
        missing: &'static str,
    },
    /// Nothing to get credentials from.
    #[error(
        "profile `{0}` did not contain credential information (no keys, role_arn, credential_process or sso settings)"
    )]
    NoCredentials(String),
    /// `web_identity_token_file` without `role_arn`.
    #[error("profile `{0}` sets web_identity_token_file but `role_arn` was missing")]
    WebIdentityWithoutRole(String),
    /// Inconsistent `sso_*` keys.
    #[error("profile `{profile}`: {message}")]
    Sso {
        /// The profile.
        profile: String,
        /// What is inconsistent.
        message: String,
    },
    /// A value that does not fit its key.
    #[error(transparent)]
    Setting(Box<SettingsError>),
    /// `role_arn` that is not an IAM role ARN.
    #[error(
        "invalid role_arn {value:?} in profile `{profile}`: expected arn:<partition>:iam::<account>:role/<name>"
    )]
    InvalidRoleArn {
        /// The profile.
        profile: String,
        /// The value as written.
        value: String,
    },
    /// A role given on the command line, but no credentials to assume it with.
    #[error(
        "no credentials to assume {0} with: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or add a [default] profile"
    )]
    NoBaseForArn(String),
    /// Both a SAML and an OIDC identity provider.
    #[error("profile `{0}` sets both saml_auth_url and web_identity_auth_url; keep one")]
    BothIdpUrls(String),
    /// A key a source needs is missing.
    #[error("profile `{profile}` needs {key} for {why}")]
    MissingKey {
        /// The profile.
        profile: String,
        /// The missing key.
        key: &'static str,
        /// What needs it.
        why: &'static str,
    },
    /// `jump_role_arn` without a role to jump to.
    #[error("profile `{0}` sets jump_role_arn but no role_arn to assume from it")]
    JumpWithoutRole(String),
    /// A source aws-runas does not support yet.
    #[error("profile `{profile}` uses {what}, which aws-runas does not support yet")]
    Unsupported {
        /// The profile.
        profile: String,
        /// The key and what it means.
        what: String,
    },
    /// A `credential_process` that calls aws-runas for a profile already being resolved.
    #[error(
        "profile `{0}` is already being resolved by an aws-runas further up (a credential_process calls aws-runas for it); refusing to wait on ourselves"
    )]
    Reentrant(String),
}

impl From<SettingsError> for ChainError {
    fn from(e: SettingsError) -> Self {
        ChainError::Setting(Box::new(e))
    }
}

/// Follows `source_profile` links from `selected` the way the AWS SDKs do.
///
/// # Errors
/// [`ChainError`] for loops, missing profiles, conflicting or missing sources and partial keys.
pub fn aws_chain(set: &ProfileSet, selected: &str) -> Result<AwsChain, ChainError> {
    if set.is_empty() {
        return Err(ChainError::NoProfiles);
    }
    let mut visited: Vec<String> = Vec::new();
    let mut roles: Vec<RoleLink> = Vec::new();
    let mut name = selected.to_string();
    let base = loop {
        let profile = match set.profile(&name) {
            Some(p) => p,
            None if visited.is_empty() => return Err(ChainError::ProfileNotFound(name)),
            None => {
                return Err(ChainError::MissingSourceProfile {
                    profile: visited.last().cloned().unwrap_or_default(),
                    source_profile: name,
                });
            }
        };
        if visited.contains(&name) {
            visited.push(name);
            return Err(ChainError::Loop(visited));
        }
        visited.push(name.clone());
        // Past the selected profile, static keys end the walk (the SDKs' rule).
        if !roles.is_empty()
            && let Ok(Some(base)) = static_keys(profile)
        {
            break base;
        }
        let Some(role_arn) = profile.get("role_arn") else {
            break base_source(set, profile)?;
        };
        if let Some(token_file) = profile.get("web_identity_token_file") {
            break Base::WebIdentityToken {
                profile: name.clone(),
                role_arn: role_arn.to_string(),
                token_file: token_file.to_string(),
                session_name: profile.get("role_session_name").map(str::to_string),
            };
        }
        roles.push(RoleLink {
            profile: name.clone(),
            role_arn: role_arn.to_string(),
            external_id: profile.get("external_id").map(str::to_string),
            session_name: profile.get("role_session_name").map(str::to_string),
        });
        match (
            profile.get("source_profile"),
            profile.get("credential_source"),
        ) {
            (Some(_), Some(_)) => return Err(ChainError::BothSources(name)),
            (None, Some(source)) => {
                break Base::NamedSource {
                    profile: name.clone(),
                    source: source.to_string(),
                };
            }
            (Some(source), None) if source == name => {
                break static_keys(profile)?
                    .ok_or_else(|| ChainError::NoCredentials(name.clone()))?;
            }
            (Some(source), None) => name = source.to_string(),
            (None, None) => return Err(ChainError::NoSource(name)),
        }
    };
    roles.reverse();
    Ok(AwsChain { base, roles })
}

fn static_keys(profile: &Section) -> Result<Option<Base>, ChainError> {
    let name = profile.name().to_string();
    match (
        profile.get("aws_access_key_id"),
        profile.get("aws_secret_access_key"),
    ) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ChainError::PartialKeys {
            profile: name,
            missing: "aws_secret_access_key",
        }),
        (None, Some(_)) => Err(ChainError::PartialKeys {
            profile: name,
            missing: "aws_access_key_id",
        }),
        (Some(id), Some(secret)) => Ok(Some(Base::AccessKey {
            profile: name,
            credentials: Credentials::new(
                id,
                Secret::new(secret),
                profile.get("aws_session_token").map(Secret::new),
                None,
            ),
            account_id: profile.get("aws_account_id").map(str::to_string),
        })),
    }
}

fn base_source(set: &ProfileSet, profile: &Section) -> Result<Base, ChainError> {
    let name = profile.name().to_string();
    if let Some(source) = profile.get("credential_source") {
        return Ok(Base::NamedSource {
            profile: name,
            source: source.to_string(),
        });
    }
    if profile.get("web_identity_token_file").is_some() {
        return Err(ChainError::WebIdentityWithoutRole(name));
    }
    if let Some(sso) = sso_source(set, profile)? {
        return Ok(sso);
    }
    if let Some(command) = profile.get("credential_process") {
        return Ok(Base::Process {
            profile: name,
            command: command.to_string(),
        });
    }
    static_keys(profile)?.ok_or(ChainError::NoCredentials(name))
}

fn sso_source(set: &ProfileSet, profile: &Section) -> Result<Option<Base>, ChainError> {
    let name = profile.name().to_string();
    let err = |message: &str| ChainError::Sso {
        profile: name.clone(),
        message: message.to_string(),
    };
    let mut fields = BTreeMap::new();
    if let Some(session) = profile.get("sso_session") {
        let Some(sec) = set.sso_session(session) else {
            return Err(err(&format!(
                "sso-session named `{session}` (referenced by profile `{name}`) was not found"
            )));
        };
        if profile
            .get("sso_region")
            .is_some_and(|r| Some(r) != sec.get("sso_region"))
        {
            return Err(err(
                "`sso_region` can only be specified in the [sso-session] config when a session name is given",
            ));
        }
        fields.insert("sso_session".to_string(), session.to_string());
        for (k, p) in sec.properties() {
            fields.insert(k.to_string(), p.value().to_string());
        }
    }
    let (account, role) = (profile.get("sso_account_id"), profile.get("sso_role_name"));
    match (account, role) {
        (None, Some(_)) => {
            return Err(err(
                "if `sso_role_name` is set, then `sso_account_id` must also be set",
            ));
        }
        (Some(_), None) => {
            return Err(err(
                "if `sso_account_id` is set, then `sso_role_name` must also be set",
            ));
        }
        _ => {}
    }
    if fields.is_empty() && account.is_none() {
        return Ok(None);
    }
    for k in [
        "sso_account_id",
        "sso_role_name",
        "sso_region",
        "sso_start_url",
    ] {
        if let Some(v) = profile.get(k) {
            fields.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    Ok(Some(Base::Sso {
        profile: name,
        fields,
    }))
}

/// What to resolve: a profile, or a role ARN given in place of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A named profile.
    Profile(String),
    /// A role ARN; base credentials come from the environment, else `[default]`.
    Arn(RoleArn),
}

/// Everything [`plan`] reads.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// All profiles.
    pub profiles: &'a ProfileSet,
    /// Environment values (for per-hop settings of the selected profile).
    pub env: &'a Env,
    /// Command-line flag values.
    pub flags: &'a FlagValues,
    /// Keys from `AWS_ACCESS_KEY_ID` & co., used only in role-ARN mode.
    pub env_credentials: Option<&'a Credentials>,
    /// Profiles an aws-runas further up is resolving (from its environment).
    pub resolving: &'a [String],
    /// Identifies where STS calls go (endpoint and region), so a change is a cache miss.
    pub endpoint: &'a str,
}

/// A GetSessionToken step, taken when the base credentials turn out to be long-term keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTokenStep {
    /// Where its result is cached.
    pub cache: CacheKey,
    /// Fingerprint of its inputs.
    pub fingerprint: String,
    /// MFA device, when MFA is on.
    pub mfa_serial: Option<String>,
    /// Lifetime in seconds.
    pub duration_secs: i64,
    /// What clamping did.
    pub clamp: Clamp,
}

/// One role to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The profile that names the role (`None` for a role ARN given on the command line).
    pub profile: Option<String>,
    /// The role.
    pub role_arn: RoleArn,
    /// External id.
    pub external_id: Option<String>,
    /// This hop's MFA device.
    pub mfa_serial: Option<String>,
    /// Configured session name; derived at run time when `None`.
    pub session_name: Option<SessionName>,
    /// Lifetime in seconds.
    pub duration_secs: i64,
    /// What clamping did.
    pub clamp: Clamp,
}

/// The flat plan [`crate::resolve`] executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChain {
    /// The profile asked for (`None` in role-ARN mode).
    pub profile: Option<String>,
    /// The base source.
    pub base: Base,
    /// GetSessionToken, when the base is long-term keys and the first hop is not on the direct path.
    pub session_token: Option<SessionTokenStep>,
    /// Roles to assume, in order.
    pub hops: Vec<Hop>,
    /// Where the final role credentials are cached (when there are hops).
    pub role_cache: Option<(CacheKey, String)>,
    /// Where the base's own STS result is cached, for bases that make one (SAML).
    pub base_cache: Option<(CacheKey, String)>,
    /// The selected profile's resolved settings.
    pub settings: Settings,
}

impl RoleChain {
    /// The chain cut after its GetSessionToken step (`-s`): the MFA session credentials of the
    /// keys behind the profile, sharing the role path's cache entry. `None` when the chain has no
    /// session-token step (no role, a direct first hop, or temporary base credentials).
    pub fn session_only(&self) -> Option<RoleChain> {
        if matches!(self.base, Base::Saml { .. } | Base::WebIdentity { .. }) {
            // A jump role: the plain SAML credentials of the jump role.
            return (!self.hops.is_empty()).then(|| RoleChain {
                hops: vec![],
                role_cache: None,
                ..self.clone()
            });
        }
        let step = self.session_token.as_ref()?;
        if self.hops.is_empty() {
            return Some(self.clone());
        }
        Some(RoleChain {
            hops: vec![],
            role_cache: None,
            session_token: Some(step.clone()),
            ..self.clone()
        })
    }

    /// Where the final result is cached, with its fingerprint: the role cache, else the
    /// session-token cache, else nothing (the base credentials are returned as they are).
    pub fn final_cache(&self) -> Option<(&CacheKey, &str)> {
        let base = self
            .base_cache
            .as_ref()
            .filter(|_| self.hops.is_empty())
            .map(|(k, f)| (k, f.as_str()));
        self.role_cache
            .as_ref()
            .map(|(k, f)| (k, f.as_str()))
            .or(base)
            .or_else(|| {
                self.hops
                    .is_empty()
                    .then_some(())
                    .and(self.session_token.as_ref())
                    .map(|s| (&s.cache, s.fingerprint.as_str()))
            })
    }
}

/// Plans the chain for `target` with aws-runas's rules.
///
/// # Errors
/// [`ChainError`] naming the profile and key at fault.
pub fn plan(input: &PlanInput<'_>, target: &Target) -> Result<RoleChain, ChainError> {
    if let Some(chain) = plan_idp(input, target)? {
        return Ok(chain);
    }
    let (profile, settings, aws, arn_hop) = match target {
        Target::Profile(p) => {
            let settings = resolve_settings(input.profiles, Some(p), input.env, input.flags);
            (
                Some(p.clone()),
                settings,
                aws_chain(input.profiles, p)?,
                None,
            )
        }
        Target::Arn(arn) => {
            let settings = resolve_settings(input.profiles, None, input.env, input.flags);
            let token_file = input.env.get("AWS_WEB_IDENTITY_TOKEN_FILE");
            let (aws, hop) = match (input.env_credentials, token_file) {
                // AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, as Kubernetes and CI systems set them.
                (None, Some(file)) => (
                    AwsChain {
                        base: Base::WebIdentityToken {
                            profile: String::new(),
                            role_arn: arn.to_string(),
                            token_file: file.to_string(),
                            session_name: input
                                .env
                                .get("AWS_ROLE_SESSION_NAME")
                                .map(str::to_string),
                        },
                        roles: vec![],
                    },
                    None,
                ),
                (Some(c), _) => (
                    AwsChain {
                        base: Base::Environment {
                            credentials: c.clone(),
                        },
                        roles: vec![],
                    },
                    Some(arn.clone()),
                ),
                (None, None) if input.profiles.profile("default").is_some() => {
                    (aws_chain(input.profiles, "default")?, Some(arn.clone()))
                }
                (None, None) => return Err(ChainError::NoBaseForArn(arn.to_string())),
            };
            (None, settings, aws, hop)
        }
    };
    let mut names: Vec<&str> = aws.roles.iter().map(|r| r.profile.as_str()).collect();
    names.extend(aws.base.profile());
    names.extend(profile.as_deref());
    if let Some(n) = names
        .iter()
        .find(|n| input.resolving.iter().any(|r| r == *n))
    {
        return Err(ChainError::Reentrant((*n).to_string()));
    }

    let mut hops = Vec::new();
    for (i, link) in aws.roles.iter().enumerate() {
        let selected = profile.as_deref() == Some(link.profile.as_str());
        let hop_settings = if selected {
            settings.clone()
        } else {
            resolve_settings(
                input.profiles,
                Some(&link.profile),
                &Env::default(),
                &FlagValues::new(),
            )
        };
        let role_arn =
            RoleArn::parse(link.role_arn.trim()).map_err(|_| ChainError::InvalidRoleArn {
                profile: link.profile.clone(),
                value: link.role_arn.clone(),
            })?;
        hops.push(hop(Some(link.profile.clone()), role_arn, &hop_settings, i)?);
    }
    if let Some(arn) = arn_hop {
        hops.push(hop(None, arn, &settings, hops.len())?);
    }

    let long_term_possible = match &aws.base {
        Base::AccessKey { credentials, .. } | Base::Environment { credentials } => {
            credentials.is_long_term()
        }
        Base::Process { .. } => true,
        _ => false,
    };
    let direct_first_hop = hops
        .first()
        .is_some_and(|h| h.duration_secs > CHAINED_ROLE_MAX_SECS);
    let base_id = base_identity(&aws.base);
    let session_token = if long_term_possible && !direct_first_hop {
        let (duration_secs, clamp) =
            SESSION_TOKEN_LIMITS.clamp(settings.duration_secs("session_token_duration")?);
        let mfa_serial = match hops.first() {
            Some(h) => h.mfa_serial.clone(),
            None => settings.get("mfa_serial").map(str::to_string),
        };
        let cache_name = match &aws.base {
            Base::Environment { credentials } => format!(
                "env-{}",
                Fingerprint::of(&[credentials.access_key_id()]).short()
            ),
            other => other.profile().unwrap_or("default").to_string(),
        };
        let fingerprint = Fingerprint::of(&[
            "session-token",
            &base_id,
            mfa_serial.as_deref().unwrap_or(""),
            &duration_secs.to_string(),
            input.endpoint,
        ])
        .hex();
        Some(SessionTokenStep {
            cache: CacheKey::new(CacheKind::SessionToken, cache_name),
            fingerprint,
            mfa_serial,
            duration_secs,
            clamp,
        })
    } else {
        None
    };

    let role_cache = hops.last().map(|last| {
        let name = match &profile {
            Some(p) => p.clone(),
            None => format!("{}-{}", last.role_arn.account(), last.role_arn.role_name()),
        };
        let mut parts = vec![
            "assume-role".to_string(),
            base_id.clone(),
            input.endpoint.to_string(),
        ];
        if let Some(s) = &session_token {
            parts.push(s.fingerprint.clone());
        }
        for h in &hops {
            parts.extend([
                h.role_arn.to_string(),
                h.external_id.clone().unwrap_or_default(),
                h.session_name
                    .as_ref()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                h.mfa_serial.clone().unwrap_or_default(),
                h.duration_secs.to_string(),
            ]);
        }
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        (
            CacheKey::new(CacheKind::AssumeRole, name),
            Fingerprint::of(&refs).hex(),
        )
    });

    let base_cache = match &aws.base {
        Base::WebIdentityToken {
            profile: p,
            role_arn,
            token_file,
            session_name,
        } => {
            let name = match (p.is_empty(), RoleArn::parse(role_arn)) {
                (false, _) => p.clone(),
                (true, Ok(r)) => format!("{}-{}", r.account(), r.role_name()),
                (true, Err(_)) => role_arn.clone(),
            };
            let (duration_secs, _) = ROLE_LIMITS.clamp(role_duration_request(&settings)?);
            let fp = Fingerprint::of(&[
                "web-token-file",
                role_arn,
                token_file,
                session_name.as_deref().unwrap_or(""),
                &duration_secs.to_string(),
                input.endpoint,
            ])
            .hex();
            Some((CacheKey::new(CacheKind::WebRole, name), fp))
        }
        _ => None,
    };
    Ok(RoleChain {
        profile,
        base: aws.base,
        session_token,
        hops,
        role_cache,
        base_cache,
        settings,
    })
}

/// The plan of a profile whose settings name an identity provider (`saml_auth_url`), or `None`.
/// Its `source_profile`, if any, only lends settings: the login is the source of credentials.
fn plan_idp(input: &PlanInput<'_>, target: &Target) -> Result<Option<RoleChain>, ChainError> {
    let (profile, arn) = match target {
        Target::Profile(p) => (Some(p.clone()), None),
        Target::Arn(a) => (None, Some(a.clone())),
    };
    let settings = resolve_settings(input.profiles, profile.as_deref(), input.env, input.flags);
    let name = profile
        .clone()
        .unwrap_or_else(|| arn.as_ref().map(ToString::to_string).unwrap_or_default());
    let (saml, oidc) = (
        settings.get("saml_auth_url"),
        settings.get("web_identity_auth_url"),
    );
    let (url, oidc_login) = match (saml, oidc) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => return Err(ChainError::BothIdpUrls(name)),
        (None, Some(url)) => (url.to_string(), true),
        (Some(url), None) => (url.to_string(), false),
    };
    let oidc_client = if oidc_login {
        let need = |key: &'static str| {
            settings
                .get(key)
                .map(str::to_string)
                .ok_or_else(|| ChainError::MissingKey {
                    profile: name.clone(),
                    key,
                    why: "a Web Identity login",
                })
        };
        Some((
            need("web_identity_client_id")?,
            need("web_identity_redirect_uri")?,
        ))
    } else {
        None
    };
    if let Some(p) = &profile
        && input.profiles.profile(p).is_none()
        && input.flags.get_any().is_none()
    {
        return Err(if input.profiles.is_empty() {
            ChainError::NoProfiles
        } else {
            ChainError::ProfileNotFound(p.clone())
        });
    }
    if let Some(n) = profile.as_ref().filter(|p| input.resolving.contains(p)) {
        return Err(ChainError::Reentrant(n.clone()));
    }
    let role = match arn {
        Some(a) => Some(a),
        None => settings.role_arn("role_arn")?,
    };
    let jump = settings.role_arn("jump_role_arn")?;
    if jump.is_some() && role.is_none() {
        return Err(ChainError::JumpWithoutRole(name));
    }
    let requested = match settings.duration_secs("credentials_duration")? {
        Some(d) if d > 0 => Some(d),
        _ => settings.seconds("duration_seconds")?,
    };
    let (duration_secs, clamp) = ROLE_LIMITS.clamp(requested);
    let saml_role = jump.clone().or_else(|| role.clone());
    if oidc_login && saml_role.is_none() {
        return Err(ChainError::MissingKey {
            profile: name,
            key: "role_arn",
            why: "a Web Identity login",
        });
    }
    let kind = if oidc_login {
        CacheKind::WebRole
    } else {
        CacheKind::SamlRole
    };
    let cache_name = match (&jump, &profile, &saml_role) {
        (Some(j), _, _) => format!("{}-{}", j.account(), j.role_name()),
        (None, Some(p), _) => p.clone(),
        (None, None, Some(r)) => format!("{}-{}", r.account(), r.role_name()),
        (None, None, None) => unreachable!("role-ARN mode always has a role"),
    };
    let (client_id, redirect_uri) = oidc_client.clone().unwrap_or_default();
    let base_fp = Fingerprint::of(&[
        if oidc_login { "oidc" } else { "saml" },
        &client_id,
        &redirect_uri,
        settings.get("web_identity_provider").unwrap_or(""),
        settings.get("web_identity_username").unwrap_or(""),
        settings.get("role_session_name").unwrap_or(""),
        &url,
        saml_role.as_ref().map(RoleArn::as_str).unwrap_or(""),
        &duration_secs.to_string(),
        settings.get("saml_provider").unwrap_or(""),
        settings.get("saml_username").unwrap_or(""),
        input.endpoint,
    ])
    .hex();
    let base_cache = Some((CacheKey::new(kind, cache_name), base_fp.clone()));
    let mut hops = vec![];
    let mut role_cache = None;
    if let (Some(_), Some(target_role)) = (&jump, &role) {
        let session_name = settings
            .get("role_session_name")
            .and_then(SessionName::sanitize);
        hops.push(Hop {
            profile: profile.clone(),
            role_arn: target_role.clone(),
            external_id: settings.get("external_id").map(str::to_string),
            mfa_serial: None,
            session_name: session_name.clone(),
            duration_secs: CHAINED_ROLE_MAX_SECS,
            clamp: Clamp::Kept,
        });
        let fp = Fingerprint::of(&[
            "jump",
            &base_fp,
            target_role.as_str(),
            settings.get("external_id").unwrap_or(""),
            session_name.as_ref().map(SessionName::as_str).unwrap_or(""),
        ])
        .hex();
        let role_name = profile
            .clone()
            .unwrap_or_else(|| format!("{}-{}", target_role.account(), target_role.role_name()));
        role_cache = Some((CacheKey::new(CacheKind::AssumeRole, role_name), fp));
    }
    let base = match (oidc_client, saml_role) {
        (Some((client_id, redirect_uri)), Some(role)) => Base::WebIdentity {
            profile: profile.clone(),
            url,
            client_id,
            redirect_uri,
            role,
            session_name: settings
                .get("role_session_name")
                .and_then(SessionName::sanitize),
            duration_secs,
            clamp,
        },
        (_, saml_role) => Base::Saml {
            profile: profile.clone(),
            url,
            role: saml_role,
            duration_secs,
            clamp,
        },
    };
    Ok(Some(RoleChain {
        profile,
        base,
        session_token: None,
        hops,
        role_cache,
        base_cache,
        settings,
    }))
}

fn hop(
    profile: Option<String>,
    role_arn: RoleArn,
    s: &Settings,
    index: usize,
) -> Result<Hop, ChainError> {
    let requested = match s.duration_secs("credentials_duration")? {
        Some(d) if d > 0 => Some(d),
        _ => s.seconds("duration_seconds")?,
    };
    let (mut duration_secs, mut clamp) = ROLE_LIMITS.clamp(requested);
    if index > 0 && duration_secs > CHAINED_ROLE_MAX_SECS {
        duration_secs = CHAINED_ROLE_MAX_SECS;
        clamp = Clamp::LoweredToMax;
    }
    Ok(Hop {
        profile,
        role_arn,
        external_id: s.get("external_id").map(str::to_string),
        mfa_serial: s.get("mfa_serial").map(str::to_string),
        session_name: s.get("role_session_name").and_then(SessionName::sanitize),
        duration_secs,
        clamp,
    })
}

/// The requested role duration: `credentials_duration`, else `duration_seconds`.
///
/// # Errors
/// A value that does not parse, naming the key.
pub fn role_duration_request(s: &Settings) -> Result<Option<i64>, ChainError> {
    Ok(match s.duration_secs("credentials_duration")? {
        Some(d) if d > 0 => Some(d),
        _ => s.seconds("duration_seconds")?,
    })
}

fn base_identity(base: &Base) -> String {
    match base {
        Base::AccessKey {
            profile,
            credentials,
            ..
        } => format!("keys:{profile}:{}", credentials.access_key_id()),
        Base::Environment { credentials } => format!("env:{}", credentials.access_key_id()),
        Base::Process { profile, command } => format!("process:{profile}:{command}"),
        Base::WebIdentityToken {
            profile,
            role_arn,
            token_file,
            ..
        } => format!("web:{profile}:{role_arn}:{token_file}"),
        Base::Sso { profile, .. } => format!("sso:{profile}"),
        Base::NamedSource { profile, source } => format!("named:{profile}:{source}"),
        Base::Saml { url, role, .. } => format!(
            "saml:{url}:{}",
            role.as_ref().map(RoleArn::as_str).unwrap_or("")
        ),
        Base::WebIdentity {
            url,
            role,
            client_id,
            ..
        } => format!("oidc:{url}:{client_id}:{role}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STS_ENDPOINT: &str = "eu-west-1|https://sts.eu-west-1.amazonaws.com";
    /// Recorded from the planner before the STS endpoint became a struct: caches written by
    /// earlier versions must still be found.
    const GOLDEN: &[&str] = &[
        ".aws_session_token_user 1c650af158f269f93993d226e88b2580",
        ".aws_assume_role_a b97917a5f0bcb3c89c8c093d0dcfbf48",
        ".aws_session_token_user 1c650af158f269f93993d226e88b2580",
        ".aws_saml_role_666666666666-jump 8a7281b83fbcc3f02e233868971c064b",
        ".aws_assume_role_saml 05d9a028664d7a70ff6008a47c9724a3",
        ".aws_web_role_oidc 0220a1bc6b92f5fe099aa21008cce867",
        ".aws_web_role_tok f72df6eb5aca70b879378f10194cffce",
        ".aws_session_token_env-d6e6884a 5148ca511ad23c4be0d4904fd68bc6c2",
        ".aws_assume_role_123456789012-admin bf669574f970d52aa978355ed2d485b5",
        ".aws_web_role_123456789012-admin bd27e0157df8f1a6117086482627111b",
    ];

    fn input<'a>(set: &'a ProfileSet, env: &'a Env, flags: &'a FlagValues) -> PlanInput<'a> {
        PlanInput {
            profiles: set,
            env,
            flags,
            env_credentials: None,
            resolving: &[],
            endpoint: "https://sts.amazonaws.com",
        }
    }

    fn plan_for(set: &ProfileSet, name: &str) -> Result<RoleChain, ChainError> {
        let (env, flags) = (Env::default(), FlagValues::new());
        plan(&input(set, &env, &flags), &Target::Profile(name.into()))
    }

    fn depth3() -> ProfileSet {
        ProfileSet::from_triples([
            ("default", "region", "eu-west-1"),
            ("user", "aws_access_key_id", "AKIDUSER"),
            ("user", "aws_secret_access_key", "user-secret"),
            ("user", "mfa_serial", "arn:aws:iam::111111111111:mfa/alice"),
            ("b", "source_profile", "user"),
            ("b", "role_arn", "arn:aws:iam::222222222222:role/jump"),
            ("b", "external_id", "xb"),
            ("c", "source_profile", "b"),
            ("c", "role_arn", "arn:aws-us-gov:iam::333333333333:role/mid"),
            ("c", "credentials_duration", "8h"),
            ("a", "source_profile", "c"),
            ("a", "role_arn", "arn:aws:iam::444444444444:role/target"),
            ("a", "role_session_name", "alice at work"),
            ("a", "mfa_serial", "arn:aws:iam::444444444444:mfa/other"),
        ])
    }

    #[test]
    fn chain_of_depth_three_with_per_hop_rules() {
        let chain = plan_for(&depth3(), "a").unwrap();
        assert!(matches!(&chain.base, Base::AccessKey { profile, .. } if profile == "user"));
        let arns: Vec<&str> = chain.hops.iter().map(|h| h.role_arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::222222222222:role/jump",
                "arn:aws-us-gov:iam::333333333333:role/mid",
                "arn:aws:iam::444444444444:role/target"
            ]
        );
        let (b, c, a) = (&chain.hops[0], &chain.hops[1], &chain.hops[2]);
        assert_eq!(b.external_id.as_deref(), Some("xb"));
        assert_eq!(
            c.external_id, None,
            "external_id is per hop, never inherited"
        );
        assert_eq!(
            b.mfa_serial.as_deref(),
            Some("arn:aws:iam::111111111111:mfa/alice"),
            "inherited from its source"
        );
        assert_eq!(
            a.mfa_serial.as_deref(),
            Some("arn:aws:iam::444444444444:mfa/other")
        );
        assert_eq!(a.session_name.as_ref().unwrap().as_str(), "alice-at-work");
        assert_eq!(b.session_name, None);
        assert_eq!(
            (b.duration_secs, c.duration_secs, a.duration_secs),
            (3600, 3600, 3600),
            "hops after the first are capped at 1h"
        );
        assert_eq!(c.clamp, Clamp::LoweredToMax);
        let st = chain.session_token.as_ref().unwrap();
        assert_eq!(st.cache, CacheKey::new(CacheKind::SessionToken, "user"));
        assert_eq!(
            st.mfa_serial.as_deref(),
            Some("arn:aws:iam::111111111111:mfa/alice")
        );
        assert_eq!(st.duration_secs, 12 * 3600);
        assert_eq!(
            chain.role_cache.as_ref().unwrap().0,
            CacheKey::new(CacheKind::AssumeRole, "a")
        );
        assert_eq!(chain.settings.get("region"), Some("eu-west-1"));
    }

    #[test]
    fn first_hop_over_an_hour_goes_direct_without_session_token() {
        let mut set = depth3();
        set.profile_mut("b").set(
            "credentials_duration",
            crate::profile::Property::new("1h1m", None),
        );
        let chain = plan_for(&set, "b").unwrap();
        assert_eq!(chain.session_token, None);
        assert_eq!(chain.hops[0].duration_secs, 3660);
        let chain = plan_for(&depth3(), "b").unwrap();
        assert!(
            chain.session_token.is_some(),
            "1h or less takes the session-token path"
        );
    }

    #[test]
    fn session_token_only_for_long_term_keys() {
        let mut set = depth3();
        set.profile_mut("user").set(
            "aws_session_token",
            crate::profile::Property::new("already-temporary", None),
        );
        assert_eq!(plan_for(&set, "b").unwrap().session_token, None);
        let user = plan_for(&depth3(), "user").unwrap();
        assert!(user.hops.is_empty());
        let (key, _) = user.final_cache().unwrap();
        assert_eq!(key, &CacheKey::new(CacheKind::SessionToken, "user"));
    }

    #[test]
    fn loops_and_missing_profiles_are_errors() {
        let set = ProfileSet::from_triples([
            ("a", "role_arn", "arn:aws:iam::1:role/a"),
            ("a", "source_profile", "b"),
            ("b", "role_arn", "arn:aws:iam::1:role/b"),
            ("b", "source_profile", "c"),
            ("c", "role_arn", "arn:aws:iam::1:role/c"),
            ("c", "source_profile", "a"),
            ("d", "role_arn", "arn:aws:iam::1:role/d"),
            ("d", "source_profile", "nowhere"),
        ]);
        let e = plan_for(&set, "a").unwrap_err();
        assert_eq!(
            e,
            ChainError::Loop(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
        assert_eq!(
            e.to_string(),
            "profile formed an infinite loop: a -> b -> c -> a"
        );
        let e = plan_for(&set, "d").unwrap_err().to_string();
        assert_eq!(
            e,
            "could not find source profile `nowhere` referenced from profile `d`"
        );
        let e = plan_for(&set, "zzz").unwrap_err().to_string();
        assert!(e.contains("profile `zzz` not found"), "{e}");
    }

    #[test]
    fn bad_durations_and_arns_name_the_key() {
        let set = ProfileSet::from_triples([
            ("u", "aws_access_key_id", "AKID"),
            ("u", "aws_secret_access_key", "s"),
            ("r", "source_profile", "u"),
            ("r", "role_arn", "arn:aws:iam::123456789012:role/x"),
            ("r", "credentials_duration", "7d"),
            ("bad", "source_profile", "u"),
            ("bad", "role_arn", "arn:aws:iam::123:user/x"),
        ]);
        let e = plan_for(&set, "r").unwrap_err().to_string();
        assert!(
            e.contains("credentials_duration") && e.contains("7d"),
            "{e}"
        );
        let e = plan_for(&set, "bad").unwrap_err().to_string();
        assert!(e.contains("role_arn") && e.contains("`bad`"), "{e}");
    }

    #[test]
    fn fingerprints_change_with_the_profile() {
        let a = plan_for(&depth3(), "a").unwrap();
        let mut set = depth3();
        set.profile_mut("b").set(
            "external_id",
            crate::profile::Property::new("changed", None),
        );
        let b = plan_for(&set, "a").unwrap();
        assert_eq!(
            a.role_cache.as_ref().unwrap().0,
            b.role_cache.as_ref().unwrap().0
        );
        assert_ne!(
            a.role_cache.as_ref().unwrap().1,
            b.role_cache.as_ref().unwrap().1
        );
        assert_eq!(
            a.session_token.as_ref().unwrap().fingerprint,
            b.session_token.as_ref().unwrap().fingerprint,
            "the MFA session is unaffected"
        );
        let again = plan_for(&depth3(), "a").unwrap();
        assert_eq!(a.role_cache, again.role_cache, "fingerprints are stable");
    }

    #[test]
    fn role_arn_mode_uses_env_keys_then_default() {
        let set = ProfileSet::from_triples([
            ("default", "aws_access_key_id", "AKIDDEF"),
            ("default", "aws_secret_access_key", "s"),
        ]);
        let arn = RoleArn::parse("arn:aws:iam::123456789012:role/path/admin").unwrap();
        let (env, mut flags) = (Env::default(), FlagValues::new());
        flags.set("external_id", Some("x1".into()));
        let chain = plan(&input(&set, &env, &flags), &Target::Arn(arn.clone())).unwrap();
        assert!(matches!(&chain.base, Base::AccessKey { profile, .. } if profile == "default"));
        assert_eq!(chain.hops[0].external_id.as_deref(), Some("x1"));
        assert_eq!(
            chain.role_cache.as_ref().unwrap().0,
            CacheKey::new(CacheKind::AssumeRole, "123456789012-admin")
        );
        let creds = Credentials::new("AKIDENV", Secret::new("s"), None, None);
        let mut i = input(&set, &env, &flags);
        i.env_credentials = Some(&creds);
        let chain = plan(&i, &Target::Arn(arn.clone())).unwrap();
        assert!(matches!(&chain.base, Base::Environment { .. }));
        assert!(
            chain
                .session_token
                .as_ref()
                .unwrap()
                .cache
                .name()
                .starts_with("env-")
        );
        let empty = ProfileSet::new();
        let e = plan(&input(&empty, &env, &flags), &Target::Arn(arn)).unwrap_err();
        assert!(matches!(e, ChainError::NoBaseForArn(_)));
    }

    #[test]
    fn session_only_keeps_the_mfa_session_step() {
        let chain = plan_for(&depth3(), "a").unwrap();
        let s = chain.session_only().unwrap();
        assert!(s.hops.is_empty() && s.role_cache.is_none());
        let (key, fp) = s.final_cache().unwrap();
        let step = chain.session_token.as_ref().unwrap();
        assert_eq!(
            (key, fp),
            (&step.cache, step.fingerprint.as_str()),
            "shares the role path's MFA session entry"
        );
        let mut direct = depth3();
        direct.profile_mut("b").set(
            "credentials_duration",
            crate::profile::Property::new("2h", None),
        );
        assert!(plan_for(&direct, "b").unwrap().session_only().is_none());
    }

    /// Every cache entry of a chain: file prefix, name and fingerprint.
    fn cache_entries(chain: &RoleChain) -> Vec<String> {
        let line =
            |key: &CacheKey, fp: &str| format!("{}{} {fp}", key.kind().file_prefix(), key.name());
        let mut out = vec![];
        if let Some(s) = &chain.session_token {
            out.push(line(&s.cache, &s.fingerprint));
        }
        for (key, fp) in chain.base_cache.iter().chain(chain.role_cache.iter()) {
            out.push(line(key, fp));
        }
        out
    }

    #[test]
    fn cache_keys_and_fingerprints_are_those_of_existing_caches() {
        let mut set = depth3();
        for (p, k, v) in [
            ("saml", "saml_auth_url", "https://idp.example/saml"),
            ("saml", "role_arn", "arn:aws:iam::555555555555:role/target"),
            (
                "saml",
                "jump_role_arn",
                "arn:aws:iam::666666666666:role/jump",
            ),
            ("saml", "saml_username", "alice"),
            ("oidc", "web_identity_auth_url", "https://idp.example/oidc"),
            ("oidc", "web_identity_client_id", "client-1"),
            (
                "oidc",
                "web_identity_redirect_uri",
                "http://localhost:9999/cb",
            ),
            ("oidc", "role_arn", "arn:aws:iam::777777777777:role/web"),
            ("tok", "web_identity_token_file", "/var/run/token"),
            ("tok", "role_arn", "arn:aws:iam::888888888888:role/ci"),
            ("tok", "credentials_duration", "2h"),
        ] {
            set.profile_mut(p)
                .set(k, crate::profile::Property::new(v, None));
        }
        let endpoint = STS_ENDPOINT;
        let (env, flags) = (Env::default(), FlagValues::new());
        let mut input = input(&set, &env, &flags);
        input.endpoint = endpoint;
        let mut got = vec![];
        for name in ["a", "user", "saml", "oidc", "tok"] {
            got.extend(cache_entries(
                &plan(&input, &Target::Profile(name.into())).unwrap(),
            ));
        }
        let arn = RoleArn::parse("arn:aws:iam::123456789012:role/admin").unwrap();
        let creds = Credentials::new("AKIDENV", Secret::new("s"), None, None);
        input.env_credentials = Some(&creds);
        got.extend(cache_entries(
            &plan(&input, &Target::Arn(arn.clone())).unwrap(),
        ));
        let token_env = Env::from_pairs([("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")]);
        input.env = &token_env;
        input.env_credentials = None;
        got.extend(cache_entries(&plan(&input, &Target::Arn(arn)).unwrap()));
        let want: Vec<String> = GOLDEN.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            got, want,
            "a changed cache key or fingerprint orphans existing caches"
        );
    }

    #[test]
    fn reentrant_credential_process_is_refused() {
        let set = ProfileSet::from_triples([("p", "credential_process", "aws-runas -O json p")]);
        let (env, flags) = (Env::default(), FlagValues::new());
        let resolving = vec!["p".to_string()];
        let mut i = input(&set, &env, &flags);
        i.resolving = &resolving;
        let e = plan(&i, &Target::Profile("p".into())).unwrap_err();
        assert_eq!(e, ChainError::Reentrant("p".into()));
    }
}

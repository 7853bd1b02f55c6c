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
use std::fmt;
use std::ops::ControlFlow;

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
    WebIdentityToken(TokenFileSource),
    /// IAM Identity Center settings.
    Sso {
        /// The profile.
        profile: String,
        /// The `sso_*` keys that define it (session keys merged in).
        fields: BTreeMap<String, String>,
    },
    /// A SAML login at an identity provider, then AssumeRoleWithSAML (aws-runas's own source).
    Saml(SamlLogin),
    /// An OIDC login at an identity provider, then AssumeRoleWithWebIdentity (aws-runas's own).
    WebIdentity(WebIdentityLogin),
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
            Base::Saml(SamlLogin { profile, .. })
            | Base::WebIdentity(WebIdentityLogin { profile, .. }) => profile.as_deref(),
            Base::WebIdentityToken(TokenFileSource { profile, .. })
            | Base::AccessKey { profile, .. }
            | Base::Process { profile, .. }
            | Base::Sso { profile, .. }
            | Base::NamedSource { profile, .. } => Some(profile),
        }
    }

    /// Whether the base is a login whose STS call makes the first credentials (SAML, OIDC or a
    /// token file), rather than credentials read as they are.
    pub fn is_login(&self) -> bool {
        matches!(
            self,
            Base::Saml(_) | Base::WebIdentity(_) | Base::WebIdentityToken(_)
        )
    }
}

/// `web_identity_token_file` with `role_arn`: AssumeRoleWithWebIdentity with a token read from a
/// file on every refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFileSource {
    /// The profile (empty for `AWS_ROLE_ARN` with `AWS_WEB_IDENTITY_TOKEN_FILE`).
    pub profile: String,
    /// The role (unvalidated text, as written).
    pub role_arn: String,
    /// The token file.
    pub token_file: String,
    /// `role_session_name`, when written.
    pub session_name: Option<String>,
}

/// A SAML login at an identity provider, then AssumeRoleWithSAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlLogin {
    /// The profile (`None` for a role ARN given on the command line).
    pub profile: Option<String>,
    /// `saml_auth_url`.
    pub url: String,
    /// The role to ask STS for (the jump role when there is one); `None`: pick from the
    /// roles the assertion grants.
    pub role: Option<RoleArn>,
    /// Requested lifetime in seconds (the assertion's `SessionDuration` may lower it).
    pub duration_secs: i64,
    /// What clamping did.
    pub clamp: Clamp,
}

/// An OIDC login at an identity provider, then AssumeRoleWithWebIdentity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentityLogin {
    /// The profile (`None` for a role ARN given on the command line).
    pub profile: Option<String>,
    /// `web_identity_auth_url`.
    pub url: String,
    /// `web_identity_client_id`.
    pub client_id: String,
    /// `web_identity_redirect_uri`.
    pub redirect_uri: String,
    /// The role to ask STS for (the jump role when there is one).
    pub role: RoleArn,
    /// `role_session_name`; else the token's user name is used.
    pub session_name: Option<SessionName>,
    /// Requested lifetime in seconds.
    pub duration_secs: i64,
    /// What clamping did.
    pub clamp: Clamp,
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
    /// An `[sso-session NAME]` section that is missing or incomplete.
    #[error("sso-session `{session}`: {message}")]
    SsoSession {
        /// The session name.
        session: String,
        /// What is wrong.
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
            break Base::WebIdentityToken(TokenFileSource {
                profile: name.clone(),
                role_arn: role_arn.to_string(),
                token_file: token_file.to_string(),
                session_name: profile.get("role_session_name").map(str::to_string),
            });
        }
        roles.push(RoleLink {
            profile: name.clone(),
            role_arn: role_arn.to_string(),
            external_id: profile.get("external_id").map(str::to_string),
            session_name: profile.get("role_session_name").map(str::to_string),
        });
        match role_source(profile, &name)? {
            ControlFlow::Break(base) => break base,
            ControlFlow::Continue(source) => name = source,
        }
    };
    roles.reverse();
    Ok(AwsChain { base, roles })
}

/// What a profile's role is assumed with: a base (`Break`), or the next profile (`Continue`).
fn role_source(profile: &Section, name: &str) -> Result<ControlFlow<Base, String>, ChainError> {
    match (
        profile.get("source_profile"),
        profile.get("credential_source"),
    ) {
        (Some(_), Some(_)) => Err(ChainError::BothSources(name.to_string())),
        (None, Some(source)) => Ok(ControlFlow::Break(Base::NamedSource {
            profile: name.to_string(),
            source: source.to_string(),
        })),
        (Some(source), None) if source == name => static_keys(profile)?
            .map(ControlFlow::Break)
            .ok_or_else(|| ChainError::NoCredentials(name.to_string())),
        (Some(source), None) => Ok(ControlFlow::Continue(source.to_string())),
        (None, None) => Err(ChainError::NoSource(name.to_string())),
    }
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
        // The AWS CLI's rule: a start URL on the profile must agree with the session's.
        if profile
            .get("sso_start_url")
            .is_some_and(|u| Some(u) != sec.get("sso_start_url"))
        {
            return Err(err(&format!(
                "the value of `sso_start_url` differs from the one of sso-session `{session}`; set it only in the [sso-session] section"
            )));
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
    if fields.is_empty() && account.is_none() && profile.get("sso_start_url").is_none() {
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

/// Where STS calls go. Part of every cache fingerprint, so a change of region or endpoint is a
/// cache miss.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsEndpoint {
    /// The region, when one is configured.
    pub region: Option<String>,
    /// The endpoint URL, when one is configured.
    pub url: Option<String>,
}

impl StsEndpoint {
    /// The endpoint as it enters fingerprints: `<region>|<url>`, as earlier versions wrote it,
    /// so their caches stay valid.
    fn fingerprint_part(&self) -> String {
        format!(
            "{}|{}",
            self.region.as_deref().unwrap_or(""),
            self.url.as_deref().unwrap_or("")
        )
    }
}

/// Everything [`plan`] reads.
#[derive(Clone, Copy)]
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
    /// Where STS calls go.
    pub endpoint: &'a StsEndpoint,
}

impl fmt::Debug for PlanInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Profiles, environment and credentials each redact their secrets.
        f.debug_struct("PlanInput")
            .field("profiles", self.profiles)
            .field("env", self.env)
            .field("flags", self.flags)
            .field("env_credentials", &self.env_credentials)
            .field("resolving", &self.resolving)
            .field("endpoint", self.endpoint)
            .finish()
    }
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
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for RoleChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The base's credentials and the settings redact their secrets.
        f.debug_struct("RoleChain")
            .field("profile", &self.profile)
            .field("base", &self.base)
            .field("session_token", &self.session_token)
            .field("hops", &self.hops)
            .field("role_cache", &self.role_cache)
            .field("base_cache", &self.base_cache)
            .field("settings", &self.settings)
            .finish()
    }
}

impl RoleChain {
    /// The chain cut after its GetSessionToken step (`-s`): the MFA session credentials of the
    /// keys behind the profile, sharing the role path's cache entry. `None` when the chain has no
    /// session-token step (no role, a direct first hop, or temporary base credentials).
    pub fn session_only(&self) -> Option<RoleChain> {
        if matches!(self.base, Base::Saml(_) | Base::WebIdentity(_)) {
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
    let start = start(input, target)?;
    refuse_reentry(input, &start)?;
    let hops = plan_hops(input, &start)?;
    let base_id = base_identity(&start.aws.base);
    let session_token = session_token_step(input, &start, &base_id, &hops)?;
    let role_cache = role_cache(
        input,
        start.profile.as_deref(),
        &base_id,
        session_token.as_ref(),
        &hops,
    );
    let base_cache = match &start.aws.base {
        Base::WebIdentityToken(source) => Some(token_file_cache(input, source, &start.settings)?),
        Base::Sso { profile, fields } => Some(sso_cache(&crate::sso::sso_role(profile, fields)?)),
        _ => None,
    };
    Ok(RoleChain {
        profile: start.profile,
        base: start.aws.base,
        session_token,
        hops,
        role_cache,
        base_cache,
        settings: start.settings,
    })
}

/// Where a chain without an identity-provider login starts: the selected profile, its
/// settings, the SDKs' chain, and the role given on the command line.
struct Start {
    profile: Option<String>,
    settings: Settings,
    aws: AwsChain,
    arn_hop: Option<RoleArn>,
}

fn start(input: &PlanInput<'_>, target: &Target) -> Result<Start, ChainError> {
    match target {
        Target::Profile(p) => Ok(Start {
            profile: Some(p.clone()),
            settings: resolve_settings(input.profiles, Some(p), input.env, input.flags),
            aws: aws_chain(input.profiles, p)?,
            arn_hop: None,
        }),
        Target::Arn(arn) => {
            let settings = resolve_settings(input.profiles, None, input.env, input.flags);
            let (aws, arn_hop) = arn_chain(input, arn)?;
            Ok(Start {
                profile: None,
                settings,
                aws,
                arn_hop,
            })
        }
    }
}

/// The base of a role ARN given in place of a profile, and the role to assume from it (none when
/// the base's own STS call assumes it).
fn arn_chain(
    input: &PlanInput<'_>,
    arn: &RoleArn,
) -> Result<(AwsChain, Option<RoleArn>), ChainError> {
    let only = |base| AwsChain {
        base,
        roles: vec![],
    };
    match (
        input.env_credentials,
        input.env.get("AWS_WEB_IDENTITY_TOKEN_FILE"),
    ) {
        // AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, as Kubernetes and CI systems set them.
        (None, Some(file)) => {
            let source = TokenFileSource {
                profile: String::new(),
                role_arn: arn.to_string(),
                token_file: file.to_string(),
                session_name: input.env.get("AWS_ROLE_SESSION_NAME").map(str::to_string),
            };
            Ok((only(Base::WebIdentityToken(source)), None))
        }
        (Some(c), _) => {
            let base = Base::Environment {
                credentials: c.clone(),
            };
            Ok((only(base), Some(arn.clone())))
        }
        (None, None) if input.profiles.profile("default").is_some() => {
            Ok((aws_chain(input.profiles, "default")?, Some(arn.clone())))
        }
        (None, None) => Err(ChainError::NoBaseForArn(arn.to_string())),
    }
}

/// Refuses a chain that passes through a profile an aws-runas further up is resolving.
fn refuse_reentry(input: &PlanInput<'_>, start: &Start) -> Result<(), ChainError> {
    let aws = &start.aws;
    let mut names: Vec<&str> = aws.roles.iter().map(|r| r.profile.as_str()).collect();
    names.extend(aws.base.profile());
    names.extend(start.profile.as_deref());
    match names
        .iter()
        .find(|n| input.resolving.iter().any(|r| r == *n))
    {
        Some(n) => Err(ChainError::Reentrant((*n).to_string())),
        None => Ok(()),
    }
}

/// The role hops: each `role_arn` link with its own profile's settings (the selected profile's
/// with the environment and flags), then the role given on the command line.
fn plan_hops(input: &PlanInput<'_>, start: &Start) -> Result<Vec<Hop>, ChainError> {
    let mut hops = Vec::new();
    for (i, link) in start.aws.roles.iter().enumerate() {
        let own;
        let settings = if start.profile.as_deref() == Some(link.profile.as_str()) {
            &start.settings
        } else {
            own = resolve_settings(
                input.profiles,
                Some(&link.profile),
                &Env::default(),
                &FlagValues::new(),
            );
            &own
        };
        let role_arn =
            RoleArn::parse(link.role_arn.trim()).map_err(|_| ChainError::InvalidRoleArn {
                profile: link.profile.clone(),
                value: link.role_arn.clone(),
            })?;
        hops.push(hop(Some(link.profile.clone()), role_arn, settings, i)?);
    }
    if let Some(arn) = &start.arn_hop {
        hops.push(hop(None, arn.clone(), &start.settings, hops.len())?);
    }
    Ok(hops)
}

/// The GetSessionToken step: for bases that may be long-term keys, unless the first hop asks for
/// more than a chained role may have (it is then assumed directly with the keys).
fn session_token_step(
    input: &PlanInput<'_>,
    start: &Start,
    base_id: &str,
    hops: &[Hop],
) -> Result<Option<SessionTokenStep>, ChainError> {
    let base = &start.aws.base;
    let long_term_possible = match base {
        Base::AccessKey { credentials, .. } | Base::Environment { credentials } => {
            credentials.is_long_term()
        }
        Base::Process { .. } => true,
        _ => false,
    };
    let direct_first_hop = hops
        .first()
        .is_some_and(|h| h.duration_secs > CHAINED_ROLE_MAX_SECS);
    if !long_term_possible || direct_first_hop {
        return Ok(None);
    }
    let (duration_secs, clamp) =
        SESSION_TOKEN_LIMITS.clamp(start.settings.duration_secs("session_token_duration")?);
    let mfa_serial = match hops.first() {
        Some(h) => h.mfa_serial.clone(),
        None => start.settings.get("mfa_serial").map(str::to_string),
    };
    let cache_name = match base {
        Base::Environment { credentials } => format!(
            "env-{}",
            Fingerprint::of(&[credentials.access_key_id()]).short()
        ),
        other => other.profile().unwrap_or("default").to_string(),
    };
    let fingerprint = Fingerprint::of(&[
        "session-token",
        base_id,
        mfa_serial.as_deref().unwrap_or(""),
        &duration_secs.to_string(),
        &input.endpoint.fingerprint_part(),
    ])
    .hex();
    Ok(Some(SessionTokenStep {
        cache: CacheKey::new(CacheKind::SessionToken, cache_name),
        fingerprint,
        mfa_serial,
        duration_secs,
        clamp,
    }))
}

/// Where the last hop's credentials are cached: under the profile's name (or the role's, for a
/// role ARN), with a fingerprint of the whole chain.
fn role_cache(
    input: &PlanInput<'_>,
    profile: Option<&str>,
    base_id: &str,
    session_token: Option<&SessionTokenStep>,
    hops: &[Hop],
) -> Option<(CacheKey, String)> {
    let last = hops.last()?;
    let name = profile.map_or_else(|| arn_name(&last.role_arn), str::to_string);
    let mut parts = vec![
        "assume-role".to_string(),
        base_id.to_string(),
        input.endpoint.fingerprint_part(),
    ];
    parts.extend(session_token.map(|s| s.fingerprint.clone()));
    for h in hops {
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
    Some((
        CacheKey::new(CacheKind::AssumeRole, name),
        Fingerprint::of(&refs).hex(),
    ))
}

/// Where the AssumeRoleWithWebIdentity result of a token file is cached.
fn token_file_cache(
    input: &PlanInput<'_>,
    source: &TokenFileSource,
    settings: &Settings,
) -> Result<(CacheKey, String), ChainError> {
    let name = match (source.profile.is_empty(), RoleArn::parse(&source.role_arn)) {
        (false, _) => source.profile.clone(),
        (true, Ok(r)) => arn_name(&r),
        (true, Err(_)) => source.role_arn.clone(),
    };
    let (duration_secs, _) = ROLE_LIMITS.clamp(role_duration_request(settings)?);
    let fp = Fingerprint::of(&[
        "web-token-file",
        &source.role_arn,
        &source.token_file,
        source.session_name.as_deref().unwrap_or(""),
        &duration_secs.to_string(),
        &input.endpoint.fingerprint_part(),
    ])
    .hex();
    Ok((CacheKey::new(CacheKind::WebRole, name), fp))
}

/// Where the GetRoleCredentials result of an SSO profile is cached: under the profile's name,
/// with a fingerprint of its start URL, region, session, account and role.
fn sso_cache(role: &crate::sso::SsoRole) -> (CacheKey, String) {
    let s = &role.session;
    let fp = Fingerprint::of(&[
        "sso",
        s.name.as_deref().unwrap_or(""),
        &s.start_url,
        &s.region,
        &role.account_id,
        &role.role_name,
    ])
    .hex();
    (CacheKey::new(CacheKind::SsoRole, role.profile.clone()), fp)
}

/// `<account>-<role name>`: the cache name of a role given without a profile.
fn arn_name(role: &RoleArn) -> String {
    format!("{}-{}", role.account(), role.role_name())
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
    let Some(idp) = idp_of(&settings, &name)? else {
        return Ok(None);
    };
    check_login_profile(input, profile.as_deref())?;
    let roles = LoginRoles::of(&settings, arn, &name)?;
    let login = login(idp, profile.clone(), roles.login.clone(), &settings, &name)?;
    let base_cache = login_cache(input, &settings, &login, &roles, profile.as_deref());
    let (hops, role_cache) = match roles.jump_target {
        Some(target) => {
            let (hop, cache) = jump_hop(profile.clone(), target, &base_cache.1, &settings);
            (vec![hop], Some(cache))
        }
        None => (vec![], None),
    };
    Ok(Some(RoleChain {
        profile,
        base: login.into_base(),
        session_token: None,
        hops,
        role_cache,
        base_cache: Some(base_cache),
        settings,
    }))
}

/// The identity provider the settings name: a SAML URL, or an OIDC URL with its client.
enum Idp {
    Saml(String),
    Oidc {
        url: String,
        client_id: String,
        redirect_uri: String,
    },
}

fn idp_of(settings: &Settings, name: &str) -> Result<Option<Idp>, ChainError> {
    let need = |key: &'static str| {
        settings
            .get(key)
            .map(str::to_string)
            .ok_or_else(|| ChainError::MissingKey {
                profile: name.to_string(),
                key,
                why: "a Web Identity login",
            })
    };
    match (
        settings.get("saml_auth_url"),
        settings.get("web_identity_auth_url"),
    ) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(ChainError::BothIdpUrls(name.to_string())),
        (Some(url), None) => Ok(Some(Idp::Saml(url.to_string()))),
        (None, Some(url)) => Ok(Some(Idp::Oidc {
            url: url.to_string(),
            client_id: need("web_identity_client_id")?,
            redirect_uri: need("web_identity_redirect_uri")?,
        })),
    }
}

/// A login needs its profile to exist, unless flags configure it, and must not be one an
/// aws-runas further up is resolving.
fn check_login_profile(input: &PlanInput<'_>, profile: Option<&str>) -> Result<(), ChainError> {
    let Some(p) = profile else { return Ok(()) };
    if input.profiles.profile(p).is_none() && input.flags.get_any().is_none() {
        return Err(if input.profiles.is_empty() {
            ChainError::NoProfiles
        } else {
            ChainError::ProfileNotFound(p.to_string())
        });
    }
    if input.resolving.iter().any(|r| r == p) {
        return Err(ChainError::Reentrant(p.to_string()));
    }
    Ok(())
}

/// The roles of a login: the one its STS call asks for, and the one assumed from a jump role.
struct LoginRoles {
    /// The jump role, else the target role (`None`: pick from the assertion's roles).
    login: Option<RoleArn>,
    /// The target role, when the login assumes a jump role first.
    jump_target: Option<RoleArn>,
}

impl LoginRoles {
    fn of(settings: &Settings, arn: Option<RoleArn>, name: &str) -> Result<Self, ChainError> {
        let role = match arn {
            Some(a) => Some(a),
            None => settings.role_arn("role_arn")?,
        };
        match (settings.role_arn("jump_role_arn")?, role) {
            (Some(_), None) => Err(ChainError::JumpWithoutRole(name.to_string())),
            (Some(jump), target) => Ok(LoginRoles {
                login: Some(jump),
                jump_target: target,
            }),
            (None, role) => Ok(LoginRoles {
                login: role,
                jump_target: None,
            }),
        }
    }
}

/// A login before it becomes the chain's base.
enum Login {
    Saml(SamlLogin),
    Oidc(WebIdentityLogin),
}

impl Login {
    fn into_base(self) -> Base {
        match self {
            Login::Saml(l) => Base::Saml(l),
            Login::Oidc(l) => Base::WebIdentity(l),
        }
    }
}

fn login(
    idp: Idp,
    profile: Option<String>,
    role: Option<RoleArn>,
    settings: &Settings,
    name: &str,
) -> Result<Login, ChainError> {
    let (duration_secs, clamp) = ROLE_LIMITS.clamp(role_duration_request(settings)?);
    match idp {
        Idp::Saml(url) => Ok(Login::Saml(SamlLogin {
            profile,
            url,
            role,
            duration_secs,
            clamp,
        })),
        Idp::Oidc {
            url,
            client_id,
            redirect_uri,
        } => Ok(Login::Oidc(WebIdentityLogin {
            profile,
            url,
            client_id,
            redirect_uri,
            role: role.ok_or_else(|| ChainError::MissingKey {
                profile: name.to_string(),
                key: "role_arn",
                why: "a Web Identity login",
            })?,
            session_name: settings
                .get("role_session_name")
                .and_then(SessionName::sanitize),
            duration_secs,
            clamp,
        })),
    }
}

/// Where a login's STS result is cached: under the jump role's name when there is one, else the
/// profile's (or the role's, for a role ARN).
fn login_cache(
    input: &PlanInput<'_>,
    settings: &Settings,
    login: &Login,
    roles: &LoginRoles,
    profile: Option<&str>,
) -> (CacheKey, String) {
    let (kind, tag, client_id, redirect_uri, url, duration_secs) = match login {
        Login::Saml(l) => (CacheKind::SamlRole, "saml", "", "", &l.url, l.duration_secs),
        Login::Oidc(l) => (
            CacheKind::WebRole,
            "oidc",
            l.client_id.as_str(),
            l.redirect_uri.as_str(),
            &l.url,
            l.duration_secs,
        ),
    };
    let name = match (&roles.jump_target, profile) {
        (None, Some(p)) => p.to_string(),
        _ => roles.login.as_ref().map(arn_name).unwrap_or_default(),
    };
    let get = |key| settings.get(key).unwrap_or("");
    let fp = Fingerprint::of(&[
        tag,
        client_id,
        redirect_uri,
        get("web_identity_provider"),
        get("web_identity_username"),
        get("role_session_name"),
        url,
        roles.login.as_ref().map(RoleArn::as_str).unwrap_or(""),
        &duration_secs.to_string(),
        get("saml_provider"),
        get("saml_username"),
        &input.endpoint.fingerprint_part(),
    ])
    .hex();
    (CacheKey::new(kind, name), fp)
}

/// The hop from a jump role to the target role (one hour, the chained-role limit), and where
/// its result is cached.
fn jump_hop(
    profile: Option<String>,
    target: RoleArn,
    login_fingerprint: &str,
    settings: &Settings,
) -> (Hop, (CacheKey, String)) {
    let session_name = settings
        .get("role_session_name")
        .and_then(SessionName::sanitize);
    let external_id = settings.get("external_id");
    let fp = Fingerprint::of(&[
        "jump",
        login_fingerprint,
        target.as_str(),
        external_id.unwrap_or(""),
        session_name.as_ref().map(SessionName::as_str).unwrap_or(""),
    ])
    .hex();
    let name = profile.clone().unwrap_or_else(|| arn_name(&target));
    let hop = Hop {
        profile,
        role_arn: target,
        external_id: external_id.map(str::to_string),
        mfa_serial: None,
        session_name,
        duration_secs: CHAINED_ROLE_MAX_SECS,
        clamp: Clamp::Kept,
    };
    (hop, (CacheKey::new(CacheKind::AssumeRole, name), fp))
}

fn hop(
    profile: Option<String>,
    role_arn: RoleArn,
    s: &Settings,
    index: usize,
) -> Result<Hop, ChainError> {
    let (mut duration_secs, mut clamp) = ROLE_LIMITS.clamp(role_duration_request(s)?);
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
        Base::WebIdentityToken(TokenFileSource {
            profile,
            role_arn,
            token_file,
            ..
        }) => format!("web:{profile}:{role_arn}:{token_file}"),
        Base::Sso { profile, fields } => {
            let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
            format!(
                "sso:{profile}:{}:{}:{}:{}",
                get("sso_start_url"),
                get("sso_session"),
                get("sso_account_id"),
                get("sso_role_name")
            )
        }
        Base::NamedSource { profile, source } => format!("named:{profile}:{source}"),
        Base::Saml(SamlLogin { url, role, .. }) => format!(
            "saml:{url}:{}",
            role.as_ref().map(RoleArn::as_str).unwrap_or("")
        ),
        Base::WebIdentity(WebIdentityLogin {
            url,
            role,
            client_id,
            ..
        }) => format!("oidc:{url}:{client_id}:{role}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts_endpoint() -> StsEndpoint {
        StsEndpoint {
            region: Some("eu-west-1".into()),
            url: Some("https://sts.eu-west-1.amazonaws.com".into()),
        }
    }

    static GLOBAL_STS: StsEndpoint = StsEndpoint {
        region: None,
        url: None,
    };
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
            endpoint: &GLOBAL_STS,
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
        let endpoint = sts_endpoint();
        assert_eq!(
            endpoint.fingerprint_part(),
            "eu-west-1|https://sts.eu-west-1.amazonaws.com",
            "the form earlier versions fingerprinted"
        );
        let (env, flags) = (Env::default(), FlagValues::new());
        let mut input = input(&set, &env, &flags);
        input.endpoint = &endpoint;
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

//! SAML responses as identity providers hand them over: what they grant and how long they last.
//!
//! The IdP sends a base64 `SAMLResponse`. AWS needs it verbatim for AssumeRoleWithSAML, and
//! aws-runas reads it too: which roles it grants (with the SAML provider each role trusts), the
//! session name and maximum session duration AWS will apply, and how long it may be reused.
//! Parsing is pure; the XML is read with `quick-xml`, with any namespace prefix (`saml:`,
//! `saml2:`, a default namespace).

use crate::names::RoleArn;
use crate::secret::Secret;
use crate::time::Timestamp;
use base64::Engine as _;
use quick_xml::events::{BytesStart, Event};
use std::fmt;

/// The attribute that lists `role ARN,SAML provider ARN` pairs.
pub const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
/// The attribute AWS takes the role session name from.
pub const SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
/// The attribute holding the longest session, in seconds, the IdP allows.
pub const SESSION_DURATION_ATTRIBUTE: &str =
    "https://aws.amazon.com/SAML/Attributes/SessionDuration";

/// How long after its `IssueInstant` an assertion is reused in memory, at most (4 minutes, as
/// the original tool does; AWS accepts an assertion for 5 minutes).
pub const REUSE_WINDOW_SECS: i64 = 4 * 60;

/// Longest excerpt of a bad attribute value quoted in an error.
const QUOTE_LIMIT: usize = 200;

/// One role the assertion grants, with the SAML provider that role trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    role: RoleArn,
    provider: String,
}

impl RoleGrant {
    /// The role.
    pub fn role(&self) -> &RoleArn {
        &self.role
    }

    /// The SAML provider ARN (`arn:<partition>:iam::<account>:saml-provider/<name>`), which is
    /// the `PrincipalArn` of AssumeRoleWithSAML.
    pub fn provider_arn(&self) -> &str {
        &self.provider
    }
}

/// What [`SamlResponse::pick_role`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolePick<'a> {
    /// Assume this role: the configured one, or the only one granted.
    Role(&'a RoleGrant),
    /// No role is configured and several are granted: the user must choose one of these
    /// (in the order the assertion lists them).
    Choose(&'a [RoleGrant]),
}

/// A parsed SAML response, holding the base64 text exactly as the IdP sent it.
///
/// `Debug` shows the roles, session name and times, never the assertion itself.
#[derive(Clone, PartialEq, Eq)]
pub struct SamlResponse {
    assertion: Secret,
    roles: Vec<RoleGrant>,
    session_name: Option<String>,
    session_duration: Option<i64>,
    issue_instant: Option<Timestamp>,
    not_on_or_after: Option<Timestamp>,
}

impl SamlResponse {
    /// Decodes and reads a base64 `SAMLResponse`.
    ///
    /// Whitespace and line breaks inside the base64 text are ignored, and so is missing `=`
    /// padding. Role values may list the role and the provider in either order, in any
    /// partition; a role granted twice is kept once, with its first provider.
    /// `NotOnOrAfter` is the earliest one found on `Conditions` or `SubjectConfirmationData`.
    ///
    /// # Errors
    /// * [`SamlError::MalformedBase64`], [`SamlError::MalformedXml`] when the text cannot be read;
    /// * [`SamlError::Status`] when the response reports a failure instead of an assertion;
    /// * [`SamlError::NoRoleAttribute`] when no value of [`ROLE_ATTRIBUTE`] is present;
    /// * [`SamlError::InvalidRoleValue`] for a role value that is not a role/provider pair;
    /// * [`SamlError::InvalidTimestamp`], [`SamlError::InvalidSessionDuration`] for unreadable
    ///   times and durations.
    pub fn parse(base64: &str) -> Result<SamlResponse, SamlError> {
        let compact: String = base64
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let bytes = BASE64
            .decode(compact.as_bytes())
            .map_err(|e| SamlError::MalformedBase64 {
                reason: e.to_string(),
            })?;
        let xml = String::from_utf8(bytes).map_err(|_| SamlError::MalformedXml {
            reason: "the text is not UTF-8".to_string(),
        })?;
        let found = scan(&xml)?;

        if let Some(status) = found.status
            && !status.ends_with(":Success")
        {
            return Err(SamlError::Status { status });
        }
        if found.role_values.is_empty() {
            return Err(SamlError::NoRoleAttribute);
        }
        let mut roles: Vec<RoleGrant> = Vec::new();
        for value in &found.role_values {
            let grant = role_grant(value)?;
            if !roles.iter().any(|r| r.role == grant.role) {
                roles.push(grant);
            }
        }
        let session_duration = match found.session_durations.first() {
            None => None,
            Some(text) => Some(
                text.parse::<i64>()
                    .ok()
                    .filter(|secs| *secs > 0)
                    .ok_or_else(|| SamlError::InvalidSessionDuration { value: quote(text) })?,
            ),
        };
        let issue_instant = found
            .issue_instant
            .as_deref()
            .map(|text| timestamp("IssueInstant", text))
            .transpose()?;
        let mut not_on_or_after: Option<Timestamp> = None;
        for text in &found.not_on_or_after {
            let t = timestamp("NotOnOrAfter", text)?;
            not_on_or_after = Some(not_on_or_after.map_or(t, |earlier| earlier.min(t)));
        }
        Ok(SamlResponse {
            assertion: Secret::new(base64),
            roles,
            session_name: found.session_names.into_iter().next(),
            session_duration,
            issue_instant,
            not_on_or_after,
        })
    }

    /// The base64 response exactly as the IdP sent it, for AssumeRoleWithSAML.
    pub fn assertion(&self) -> &Secret {
        &self.assertion
    }

    /// The roles granted, in the order the assertion lists them (never empty).
    pub fn roles(&self) -> &[RoleGrant] {
        &self.roles
    }

    /// The `RoleSessionName` attribute's value, which AWS uses as the session name.
    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    /// The assertion's `IssueInstant`.
    pub fn issue_instant(&self) -> Option<Timestamp> {
        self.issue_instant
    }

    /// The earliest `NotOnOrAfter` of the assertion's conditions and subject confirmations.
    pub fn not_on_or_after(&self) -> Option<Timestamp> {
        self.not_on_or_after
    }

    /// The longest session the IdP allows (`SessionDuration`, seconds): the upper bound of the
    /// requested duration. The original tool ignored it; aws-runas honours it.
    pub fn duration_cap(&self) -> Option<i64> {
        self.session_duration
    }

    /// Until when the response may be reused in memory instead of asking the IdP again: the
    /// earlier of `NotOnOrAfter` and `IssueInstant` + [`REUSE_WINDOW_SECS`].
    /// With neither time present it is the Unix epoch, so the response is never reused.
    pub fn usable_until(&self) -> Timestamp {
        let by_issue = self.issue_instant.map(|t| t.plus_secs(REUSE_WINDOW_SECS));
        match (by_issue, self.not_on_or_after) {
            (Some(a), Some(b)) => a.min(b),
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => Timestamp::from_unix(0),
        }
    }

    /// Whether the response may still be reused at `now`.
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        now < self.usable_until()
    }

    /// The grant for `role`, when the assertion has it.
    pub fn grant(&self, role: &RoleArn) -> Option<&RoleGrant> {
        self.roles.iter().find(|g| &g.role == role)
    }

    /// Picks the role to assume.
    ///
    /// * `wanted` given: that role with its provider, when granted;
    /// * nothing wanted and one role granted: that role;
    /// * nothing wanted and several granted: [`RolePick::Choose`] with all of them, for the
    ///   caller to ask the user.
    ///
    /// # Errors
    /// [`SamlError::RoleNotGranted`], listing the granted roles, when `wanted` is not granted.
    pub fn pick_role(&self, wanted: Option<&RoleArn>) -> Result<RolePick<'_>, SamlError> {
        match (wanted, self.roles.as_slice()) {
            (Some(role), _) => {
                self.grant(role)
                    .map(RolePick::Role)
                    .ok_or_else(|| SamlError::RoleNotGranted {
                        wanted: role.clone(),
                        granted: self.roles.iter().map(|g| g.role.clone()).collect(),
                    })
            }
            (None, [only]) => Ok(RolePick::Role(only)),
            (None, all) => Ok(RolePick::Choose(all)),
        }
    }
}

impl fmt::Debug for SamlResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamlResponse")
            .field("roles", &self.roles)
            .field("session_name", &self.session_name)
            .field("session_duration", &self.session_duration)
            .field("issue_instant", &self.issue_instant)
            .field("not_on_or_after", &self.not_on_or_after)
            .field("assertion", &"** redacted **")
            .finish()
    }
}

/// A SAML response that cannot be used, or a role it does not grant.
///
/// Messages name what is wrong and never contain the assertion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SamlError {
    /// The response is not base64.
    #[error("the SAML response is not valid base64: {reason}")]
    MalformedBase64 {
        /// What the decoder objected to.
        reason: String,
    },
    /// The decoded response is not well-formed XML.
    #[error("the SAML response is not well-formed XML: {reason}")]
    MalformedXml {
        /// What the parser objected to, and where.
        reason: String,
    },
    /// The response reports a failure status instead of carrying an assertion.
    #[error("the identity provider returned a SAML response with status {status}")]
    Status {
        /// The top-level status code, e.g. `urn:oasis:names:tc:SAML:2.0:status:Responder`.
        status: String,
    },
    /// No value of the AWS role attribute.
    #[error(
        "the SAML assertion grants no AWS role: it has no {ROLE_ATTRIBUTE} attribute value (check the AWS application in the identity provider)"
    )]
    NoRoleAttribute,
    /// A role attribute value is not a role ARN and a SAML provider ARN.
    #[error("invalid value {value:?} of the SAML role attribute: {reason}")]
    InvalidRoleValue {
        /// The value (cut short when long).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A time attribute is not RFC 3339.
    #[error("the SAML assertion's {attribute} {value:?} is not an RFC 3339 time")]
    InvalidTimestamp {
        /// `IssueInstant` or `NotOnOrAfter`.
        attribute: &'static str,
        /// The text.
        value: String,
    },
    /// The `SessionDuration` attribute is not a positive number of seconds.
    #[error(
        "the SAML SessionDuration attribute {value:?} is not a positive whole number of seconds"
    )]
    InvalidSessionDuration {
        /// The text (cut short when long).
        value: String,
    },
    /// The configured role is not among those the assertion grants.
    #[error(
        "role {wanted} is not granted by the SAML assertion; granted roles: {}",
        list(granted)
    )]
    RoleNotGranted {
        /// The configured role.
        wanted: RoleArn,
        /// The roles the assertion grants.
        granted: Vec<RoleArn>,
    },
}

fn list(roles: &[RoleArn]) -> String {
    roles
        .iter()
        .map(RoleArn::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Standard alphabet; padding optional, as some IdPs and proxies drop it.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// What the XML walk collected, before validation.
#[derive(Debug, Default)]
struct Found {
    status: Option<String>,
    issue_instant: Option<String>,
    not_on_or_after: Vec<String>,
    role_values: Vec<String>,
    session_names: Vec<String>,
    session_durations: Vec<String>,
}

/// Which attribute's values are being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Role,
    SessionName,
    SessionDuration,
    Other,
}

/// Walks the document once, by local element names, collecting what [`Found`] holds.
fn scan(xml: &str) -> Result<Found, SamlError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut walk = Walk::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(&e, reader.error_position()))?;
        let at = reader.buffer_position();
        match event {
            Event::Start(e) => walk.open(&e, false, at)?,
            Event::Empty(e) => walk.open(&e, true, at)?,
            Event::End(e) => walk.close(e.local_name().as_ref()),
            Event::Text(t) => walk.text(&t.xml10_content())?,
            Event::CData(t) => walk.text(&t.xml10_content())?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.into_inner();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| SamlError::MalformedXml {
                                reason: format!("unknown entity &{name}; (at byte {at})"),
                            })?
                            .to_string()
                    }
                    Err(e) => return Err(malformed(&e, at)),
                };
                walk.text(&resolved)?;
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !walk.seen_root {
        return Err(SamlError::MalformedXml {
            reason: "no root element".to_string(),
        });
    }
    if walk.depth != 0 {
        return Err(SamlError::MalformedXml {
            reason: "the document ends inside an element".to_string(),
        });
    }
    Ok(walk.found)
}

fn malformed(e: &dyn fmt::Display, at: u64) -> SamlError {
    SamlError::MalformedXml {
        reason: format!("{e} (at byte {at})"),
    }
}

/// The state of [`scan`].
#[derive(Debug)]
struct Walk {
    found: Found,
    depth: usize,
    seen_root: bool,
    /// The attribute whose values are being read.
    attribute: Wanted,
    /// The text of the attribute value being read.
    value: Option<String>,
}

impl Default for Walk {
    fn default() -> Self {
        Walk {
            found: Found::default(),
            depth: 0,
            seen_root: false,
            attribute: Wanted::Other,
            value: None,
        }
    }
}

impl Walk {
    fn open(&mut self, e: &BytesStart<'_>, empty: bool, at: u64) -> Result<(), SamlError> {
        if self.depth == 0 && self.seen_root {
            return Err(SamlError::MalformedXml {
                reason: format!("a second root element (at byte {at})"),
            });
        }
        self.seen_root = true;
        let attr = |key: &str| attribute_value(e, key).map_err(|err| malformed(&err, at));
        let found = &mut self.found;
        match e.local_name().as_ref() {
            "Assertion" if found.issue_instant.is_none() => {
                found.issue_instant = attr("IssueInstant")?;
            }
            "Conditions" | "SubjectConfirmationData" => {
                if let Some(t) = attr("NotOnOrAfter")? {
                    found.not_on_or_after.push(t);
                }
            }
            "StatusCode" if found.status.is_none() => found.status = attr("Value")?,
            "Attribute" if !empty => {
                self.attribute = match attr("Name")?.as_deref() {
                    Some(ROLE_ATTRIBUTE) => Wanted::Role,
                    Some(SESSION_NAME_ATTRIBUTE) => Wanted::SessionName,
                    Some(SESSION_DURATION_ATTRIBUTE) => Wanted::SessionDuration,
                    _ => Wanted::Other,
                };
            }
            "AttributeValue" if self.attribute != Wanted::Other => {
                if empty {
                    push_value(found, self.attribute, String::new());
                } else {
                    self.value = Some(String::new());
                }
            }
            _ => {}
        }
        if !empty {
            self.depth += 1;
        }
        Ok(())
    }

    fn close(&mut self, local_name: &str) {
        self.depth = self.depth.saturating_sub(1);
        match local_name {
            "Attribute" => self.attribute = Wanted::Other,
            "AttributeValue" => {
                if let Some(text) = self.value.take() {
                    push_value(&mut self.found, self.attribute, text);
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) -> Result<(), SamlError> {
        if let Some(v) = self.value.as_mut() {
            v.push_str(text);
        } else if self.depth == 0 && !text.trim().is_empty() {
            return Err(SamlError::MalformedXml {
                reason: "text outside the root element".to_string(),
            });
        }
        Ok(())
    }
}

fn push_value(found: &mut Found, attribute: Wanted, text: String) {
    let text = text.trim().to_string();
    match attribute {
        Wanted::Role => found.role_values.push(text),
        Wanted::SessionName if !text.is_empty() => found.session_names.push(text),
        Wanted::SessionDuration if !text.is_empty() => found.session_durations.push(text),
        _ => {}
    }
}

/// The value of the attribute whose local name is `key`, entities resolved.
fn attribute_value(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, quick_xml::Error> {
    for a in e.attributes() {
        let a = a.map_err(quick_xml::Error::InvalidAttr)?;
        if a.key.local_name().as_ref() == key {
            let v = a.normalized_value(quick_xml::XmlVersion::Implicit1_0)?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

/// Reads `role,provider` or `provider,role`.
fn role_grant(value: &str) -> Result<RoleGrant, SamlError> {
    let bad = |reason| SamlError::InvalidRoleValue {
        value: quote(value),
        reason,
    };
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    let [a, b] = parts.as_slice() else {
        return Err(bad(
            "expected a role ARN and a SAML provider ARN separated by a comma",
        ));
    };
    let (role, provider) = match (a.contains(":role/"), b.contains(":role/")) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => {
            return Err(bad(
                "expected exactly one role ARN and one SAML provider ARN",
            ));
        }
    };
    let role = RoleArn::parse(role).map_err(|_| bad("the role ARN is not valid"))?;
    if !is_saml_provider_arn(provider) {
        return Err(bad("the SAML provider ARN is not valid"));
    }
    Ok(RoleGrant {
        role,
        provider: (*provider).to_string(),
    })
}

/// `arn:<partition>:iam::<digits>:saml-provider/<name>`.
fn is_saml_provider_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if !partition.is_empty()
                && !account.is_empty()
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource
                    .strip_prefix("saml-provider/")
                    .is_some_and(|name| !name.is_empty() && !name.contains(char::is_whitespace))
    )
}

fn timestamp(attribute: &'static str, text: &str) -> Result<Timestamp, SamlError> {
    Timestamp::parse_rfc3339(text).map_err(|_| SamlError::InvalidTimestamp {
        attribute,
        value: quote(text),
    })
}

/// `text`, cut to [`QUOTE_LIMIT`] characters.
fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTE_LIMIT {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(QUOTE_LIMIT).collect();
        cut.push('…');
        cut
    }
}

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
        // A set of the roles seen, so that an assertion granting thousands of roles is read in
        // linear time.
        let mut seen = std::collections::HashSet::with_capacity(found.role_values.len());
        let mut roles: Vec<RoleGrant> = Vec::new();
        for value in &found.role_values {
            let grant = role_grant(value)?;
            if seen.insert(grant.role.clone()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "arn:aws:iam::111111111111:role/FakeAdmin";
    const ADMIN_IDP: &str = "arn:aws:iam::111111111111:saml-provider/FakeIdP";
    const READER: &str = "arn:aws:iam::222222222222:role/path/FakeReader";
    const READER_IDP: &str = "arn:aws:iam::222222222222:saml-provider/OtherIdP";

    fn b64(xml: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(xml)
    }

    /// A minimal response whose elements all carry `prefix` (none when empty).
    fn response(prefix: &str, role_values: &[&str]) -> String {
        let p = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}:")
        };
        let ns = if prefix.is_empty() {
            "xmlns".to_string()
        } else {
            format!("xmlns:{prefix}")
        };
        let values: String = role_values
            .iter()
            .map(|v| format!("<{p}AttributeValue>{v}</{p}AttributeValue>"))
            .collect();
        format!(
            r#"<?xml version="1.0"?>
<{p}Response {ns}="urn:oasis:names:tc:SAML:2.0:protocol" IssueInstant="2024-05-01T11:00:00Z">
  <{p}Status><{p}StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></{p}Status>
  <{p}Assertion IssueInstant="2024-05-01T12:00:00Z">
    <{p}Conditions NotOnOrAfter="2024-05-01T12:10:00Z"/>
    <{p}AttributeStatement>
      <{p}Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">{values}</{p}Attribute>
      <{p}Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
        <{p}AttributeValue>jane.doe</{p}AttributeValue>
      </{p}Attribute>
    </{p}AttributeStatement>
  </{p}Assertion>
</{p}Response>"#
        )
    }

    fn parse_xml(xml: &str) -> Result<SamlResponse, SamlError> {
        SamlResponse::parse(&b64(xml))
    }

    fn pairs(r: &SamlResponse) -> Vec<(&str, &str)> {
        r.roles()
            .iter()
            .map(|g| (g.role().as_str(), g.provider_arn()))
            .collect()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn ten_thousand_roles_are_read_in_order_without_duplicates() {
        let values: Vec<String> = (0..10_000)
            .map(|n| format!("arn:aws:iam::111111111111:role/Role{n:05},{ADMIN_IDP}"))
            .collect();
        let mut refs: Vec<&str> = values.iter().map(String::as_str).collect();
        // Every role listed twice: the second listing is dropped.
        refs.extend(values.iter().map(String::as_str));
        let r = parse_xml(&response("saml2", &refs)).unwrap();
        assert_eq!(r.roles().len(), 10_000);
        assert_eq!(
            r.roles()[9_999].role().as_str(),
            "arn:aws:iam::111111111111:role/Role09999"
        );
        assert!(matches!(r.pick_role(None), Ok(RolePick::Choose(all)) if all.len() == 10_000));
    }

    #[test]
    fn realistic_response_with_saml2_prefixes() {
        let xml = include_str!("../../fixtures/saml/two-roles-saml2-prefix.xml");
        let r = parse_xml(xml).unwrap();
        assert_eq!(
            pairs(&r),
            [
                (
                    "arn:aws:iam::111111111111:role/FakeAdmin",
                    "arn:aws:iam::111111111111:saml-provider/FakeIdP"
                ),
                (
                    "arn:aws:iam::222222222222:role/teams/FakeReadOnly",
                    "arn:aws:iam::222222222222:saml-provider/FakeIdP"
                ),
            ]
        );
        assert_eq!(r.session_name(), Some("jane.doe@example.com"));
        assert_eq!(r.duration_cap(), Some(7200));
        // The assertion's IssueInstant, not the Response's.
        assert_eq!(r.issue_instant(), Some(at("2024-05-01T12:00:01Z")));
        assert_eq!(r.not_on_or_after(), Some(at("2024-05-01T12:05:01Z")));
        assert_eq!(r.usable_until(), at("2024-05-01T12:04:01Z"));
        assert_eq!(r.assertion().expose(), b64(xml));
    }

    #[test]
    fn realistic_response_without_prefixes_in_govcloud() {
        let xml = include_str!("../../fixtures/saml/one-role-default-namespace.xml");
        let r = parse_xml(xml).unwrap();
        assert_eq!(
            pairs(&r),
            [(
                "arn:aws-us-gov:iam::123456789012:role/FakeGovOps",
                "arn:aws-us-gov:iam::123456789012:saml-provider/FakeIdP"
            )]
        );
        assert_eq!(r.roles()[0].role().partition(), "aws-us-gov");
        assert_eq!(r.session_name(), Some("fake-user"));
        assert_eq!(r.duration_cap(), None);
        // The earlier of the two NotOnOrAfter values, which is before IssueInstant + 4 min.
        assert_eq!(r.not_on_or_after(), Some(at("2024-05-01T12:03:00Z")));
        assert_eq!(r.usable_until(), at("2024-05-01T12:03:00Z"));
    }

    #[test]
    fn role_and_provider_in_either_order() {
        let r = parse_xml(&response(
            "saml2",
            &[
                &format!("{ADMIN},{ADMIN_IDP}"),
                &format!("{READER_IDP},{READER}"),
            ],
        ))
        .unwrap();
        assert_eq!(pairs(&r), [(ADMIN, ADMIN_IDP), (READER, READER_IDP)]);
    }

    #[test]
    fn several_roles_in_every_partition_and_duplicates_kept_once() {
        let values = [
            "arn:aws:iam::111111111111:role/A,arn:aws:iam::111111111111:saml-provider/P",
            "arn:aws-cn:iam::222222222222:saml-provider/P,arn:aws-cn:iam::222222222222:role/B",
            " arn:aws-us-gov:iam::333333333333:role/x/y/C , arn:aws-us-gov:iam::333333333333:saml-provider/P ",
            "arn:aws:iam::111111111111:role/A,arn:aws:iam::111111111111:saml-provider/Second",
        ];
        let r = parse_xml(&response("saml", &values)).unwrap();
        let roles: Vec<(&str, &str)> = r
            .roles()
            .iter()
            .map(|g| (g.role().partition(), g.role().role_name()))
            .collect();
        assert_eq!(roles, [("aws", "A"), ("aws-cn", "B"), ("aws-us-gov", "C")]);
        assert_eq!(
            r.roles()[0].provider_arn(),
            "arn:aws:iam::111111111111:saml-provider/P"
        );
    }

    #[test]
    fn any_namespace_prefix() {
        for prefix in ["saml", "saml2", "samlp", ""] {
            let r = parse_xml(&response(prefix, &[&format!("{ADMIN},{ADMIN_IDP}")]))
                .unwrap_or_else(|e| panic!("prefix {prefix:?}: {e}"));
            assert_eq!(pairs(&r), [(ADMIN, ADMIN_IDP)], "prefix {prefix:?}");
            assert_eq!(r.session_name(), Some("jane.doe"), "prefix {prefix:?}");
            assert_eq!(r.issue_instant(), Some(at("2024-05-01T12:00:00Z")));
        }
    }

    #[test]
    fn whitespace_and_missing_padding_in_base64_are_tolerated() {
        let xml = response("saml2", &[&format!("{ADMIN},{ADMIN_IDP}")]);
        let encoded = b64(&xml);
        let wrapped: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n");
        for text in [
            format!("  {wrapped}\n"),
            encoded.replace('A', " A\t"),
            encoded.trim_end_matches('=').to_string(),
        ] {
            let r = SamlResponse::parse(&text).unwrap();
            assert_eq!(pairs(&r), [(ADMIN, ADMIN_IDP)]);
            // Kept exactly as received.
            assert_eq!(r.assertion().expose(), text);
        }
    }

    #[test]
    fn entities_and_cdata_in_values_are_resolved() {
        let value =
            format!("<![CDATA[{ADMIN}]]>,arn:aws:iam::111111111111:saml-provider/Fake&#73;dP");
        let xml = response("", &[&value]).replace(">jane.doe<", ">jane&amp;doe<");
        let r = parse_xml(&xml).unwrap();
        assert_eq!(pairs(&r), [(ADMIN, ADMIN_IDP)]);
        assert_eq!(r.session_name(), Some("jane&doe"));
    }

    #[test]
    fn malformed_base64() {
        for text in ["not base64!", "QUJD$", "A"] {
            let err = SamlResponse::parse(text).unwrap_err();
            assert!(
                matches!(err, SamlError::MalformedBase64 { .. }),
                "{text}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with("the SAML response is not valid base64: "),
                "{err}"
            );
        }
    }

    #[test]
    fn malformed_xml() {
        let good = response("saml2", &[&format!("{ADMIN},{ADMIN_IDP}")]);
        let cases: Vec<(String, &str)> = vec![
            (
                "just some text".to_string(),
                "text outside the root element",
            ),
            (String::new(), "no root element"),
            (
                good[..good.find("</saml2:Assertion>").unwrap()].to_string(),
                "the document ends inside an element",
            ),
            (good[..good.len() - 5].to_string(), "tag not closed"),
            (
                good.replace("</saml2:Status>", "</saml2:Statuz>"),
                "ill-formed document",
            ),
            (format!("{good}<second/>"), "a second root element"),
            (
                good.replace(">jane.doe<", ">jane&nbsp;doe<"),
                "unknown entity &nbsp;",
            ),
            (good.replace("Name=\"https", "Name=https"), "attribute"),
        ];
        for (xml, expected) in cases {
            let encoded = b64(&xml);
            let err = SamlResponse::parse(&encoded).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(err, SamlError::MalformedXml { .. }),
                "{expected}: {err:?}"
            );
            assert!(message.contains(expected), "{expected}: {message}");
            assert!(
                message.starts_with("the SAML response is not well-formed XML: "),
                "{message}"
            );
            assert!(encoded.is_empty() || !message.contains(&encoded));
        }
        let not_utf8 = base64::engine::general_purpose::STANDARD.encode(b"<a>\xff</a>");
        assert_eq!(
            SamlResponse::parse(&not_utf8).unwrap_err().to_string(),
            "the SAML response is not well-formed XML: the text is not UTF-8"
        );
    }

    #[test]
    fn no_aws_role_attribute() {
        let without = response("saml2", &[]).replace(ROLE_ATTRIBUTE, "urn:example:groups");
        let empty = response("saml2", &[]);
        let blank = response("saml2", &["  "]).replace(
            "<saml2:AttributeValue>  </saml2:AttributeValue>",
            "<saml2:AttributeValue/>",
        );
        for xml in [without, empty] {
            let err = parse_xml(&xml).unwrap_err();
            assert_eq!(err, SamlError::NoRoleAttribute);
            assert_eq!(
                err.to_string(),
                "the SAML assertion grants no AWS role: it has no \
                 https://aws.amazon.com/SAML/Attributes/Role attribute value \
                 (check the AWS application in the identity provider)"
            );
        }
        // An empty value is a value, and not a pair.
        assert!(matches!(
            parse_xml(&blank).unwrap_err(),
            SamlError::InvalidRoleValue { .. }
        ));
    }

    #[test]
    fn role_values_that_are_not_pairs() {
        for (value, reason) in [
            (ADMIN.to_string(), "separated by a comma"),
            (
                format!("{ADMIN},{ADMIN_IDP},{READER}"),
                "separated by a comma",
            ),
            (format!("{ADMIN},{READER}"), "exactly one role ARN"),
            (format!("{ADMIN_IDP},{READER_IDP}"), "exactly one role ARN"),
            (
                format!("arn:aws:iam::1x:role/Bad,{ADMIN_IDP}"),
                "the role ARN is not valid",
            ),
            (
                format!("{ADMIN},arn:aws:iam::111111111111:user/bob"),
                "the SAML provider ARN is not valid",
            ),
            (
                format!("{ADMIN},arn:aws:iam::111111111111:saml-provider/"),
                "the SAML provider ARN is not valid",
            ),
        ] {
            let err = parse_xml(&response("saml2", &[&value])).unwrap_err();
            let SamlError::InvalidRoleValue { value: shown, .. } = &err else {
                panic!("{value}: {err:?}");
            };
            assert_eq!(shown, &value);
            let message = err.to_string();
            assert!(message.contains(reason), "{message}");
            assert!(
                message.starts_with(&format!(
                    "invalid value {value:?} of the SAML role attribute: "
                )),
                "{message}"
            );
        }
    }

    #[test]
    fn a_long_bad_value_is_cut_short_in_the_error() {
        let value = "x".repeat(1000);
        let err = parse_xml(&response("", &[&value])).unwrap_err();
        let SamlError::InvalidRoleValue { value: shown, .. } = err else {
            panic!("{err:?}");
        };
        assert_eq!(shown.chars().count(), QUOTE_LIMIT + 1);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn a_failure_status_is_reported() {
        let xml = response("samlp", &[]).replace(
            "<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>",
            "<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\">\
             <samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:AuthnFailed\"/>\
             </samlp:StatusCode>",
        );
        let err = parse_xml(&xml).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the identity provider returned a SAML response with status \
             urn:oasis:names:tc:SAML:2.0:status:Responder"
        );
    }

    #[test]
    fn unreadable_times_and_durations() {
        let good = response("saml2", &[&format!("{ADMIN},{ADMIN_IDP}")]);
        let err = parse_xml(&good.replace("2024-05-01T12:10:00Z", "tomorrow")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the SAML assertion's NotOnOrAfter \"tomorrow\" is not an RFC 3339 time"
        );
        let err = parse_xml(&good.replace("2024-05-01T12:00:00Z", "noon")).unwrap_err();
        assert_eq!(
            err,
            SamlError::InvalidTimestamp {
                attribute: "IssueInstant",
                value: "noon".to_string()
            }
        );
        for bad in ["1h", "-5", "0", "3600.5"] {
            let xml = good.replace(
                "</saml2:AttributeStatement>",
                &format!(
                    "<saml2:Attribute Name=\"{SESSION_DURATION_ATTRIBUTE}\">\
                     <saml2:AttributeValue>{bad}</saml2:AttributeValue></saml2:Attribute>\
                     </saml2:AttributeStatement>"
                ),
            );
            assert_eq!(
                parse_xml(&xml).unwrap_err().to_string(),
                format!(
                    "the SAML SessionDuration attribute {bad:?} is not a positive whole number of seconds"
                )
            );
        }
    }

    #[test]
    fn pick_role_cases() {
        let one = parse_xml(&response("", &[&format!("{ADMIN},{ADMIN_IDP}")])).unwrap();
        let two = parse_xml(&response(
            "",
            &[
                &format!("{ADMIN},{ADMIN_IDP}"),
                &format!("{READER},{READER_IDP}"),
            ],
        ))
        .unwrap();
        let admin = RoleArn::parse(ADMIN).unwrap();
        let reader = RoleArn::parse(READER).unwrap();
        let other = RoleArn::parse("arn:aws:iam::999999999999:role/Nope").unwrap();

        // The configured role, with its own provider.
        let RolePick::Role(g) = two.pick_role(Some(&reader)).unwrap() else {
            panic!("expected a role");
        };
        assert_eq!((g.role(), g.provider_arn()), (&reader, READER_IDP));
        // The only role when none is configured.
        assert_eq!(
            one.pick_role(None).unwrap(),
            RolePick::Role(&one.roles()[0])
        );
        // A choice when several are granted and none is configured.
        assert_eq!(two.pick_role(None).unwrap(), RolePick::Choose(two.roles()));
        // A configured role that is not granted lists the granted ones, even with one granted.
        let err = two.pick_role(Some(&other)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "role arn:aws:iam::999999999999:role/Nope is not granted by the SAML assertion; \
                 granted roles: {ADMIN}, {READER}"
            )
        );
        assert_eq!(
            one.pick_role(Some(&reader)).unwrap_err(),
            SamlError::RoleNotGranted {
                wanted: reader.clone(),
                granted: vec![admin.clone()]
            }
        );
        assert_eq!(one.grant(&admin).unwrap().provider_arn(), ADMIN_IDP);
        assert!(one.grant(&reader).is_none());
    }

    #[test]
    fn usable_until_is_the_earlier_of_not_on_or_after_and_issue_instant_plus_4_minutes() {
        let good = response("saml2", &[&format!("{ADMIN},{ADMIN_IDP}")]);
        // NotOnOrAfter 12:10 is later than IssueInstant + 4 min.
        let r = parse_xml(&good).unwrap();
        assert_eq!(r.usable_until(), at("2024-05-01T12:04:00Z"));
        assert!(r.is_usable_at(at("2024-05-01T12:03:59Z")));
        assert!(!r.is_usable_at(at("2024-05-01T12:04:00Z")));
        // NotOnOrAfter 12:02 is earlier.
        let r = parse_xml(&good.replace("12:10:00Z", "12:02:00Z")).unwrap();
        assert_eq!(r.usable_until(), at("2024-05-01T12:02:00Z"));
        // Only one of the two times.
        let r = parse_xml(&good.replace(" NotOnOrAfter=\"2024-05-01T12:10:00Z\"", "")).unwrap();
        assert_eq!(r.not_on_or_after(), None);
        assert_eq!(r.usable_until(), at("2024-05-01T12:04:00Z"));
        let r = parse_xml(&good.replace(" IssueInstant=\"2024-05-01T12:00:00Z\"", "")).unwrap();
        assert_eq!(r.issue_instant(), None);
        assert_eq!(r.usable_until(), at("2024-05-01T12:10:00Z"));
        // Neither: never reused.
        let r = parse_xml(
            &good
                .replace(" IssueInstant=\"2024-05-01T12:00:00Z\"", "")
                .replace(" NotOnOrAfter=\"2024-05-01T12:10:00Z\"", ""),
        )
        .unwrap();
        assert_eq!(r.usable_until(), Timestamp::from_unix(0));
        assert!(!r.is_usable_at(at("2024-05-01T12:00:00Z")));
    }

    #[test]
    fn debug_shows_roles_but_never_the_assertion() {
        let xml = include_str!("../../fixtures/saml/two-roles-saml2-prefix.xml");
        let encoded = b64(xml);
        let r = SamlResponse::parse(&encoded).unwrap();
        let shown = format!("{r:?} {r:#?}");
        assert!(!shown.contains(&encoded[..40]), "{shown}");
        assert!(!shown.contains("FAKE-SIGNATURE"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
        assert!(shown.contains("arn:aws:iam::111111111111:role/FakeAdmin"));
        assert!(shown.contains("jane.doe@example.com"));
    }
}

//! Builds realistic SAML 2.0 Responses for AWS (what an IdP posts to
//! `https://signin.aws.amazon.com/saml`), and the HTML auto-post page that carries one.
//!
//! The Response is unsigned: nothing in aws-runas verifies signatures (STS does), and the mock STS
//! servers used in tests accept unsigned assertions.

use aws_runas_domain::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::atomic::{AtomicU64, Ordering};

/// The SAML attribute that lists role/provider pairs.
pub const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
/// The SAML attribute with the session name.
pub const ROLE_SESSION_NAME_ATTRIBUTE: &str =
    "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
/// The SAML attribute with the longest session, in seconds.
pub const SESSION_DURATION_ATTRIBUTE: &str =
    "https://aws.amazon.com/SAML/Attributes/SessionDuration";
/// Where the auto-post page sends the Response.
pub const AWS_SAML_ENDPOINT: &str = "https://signin.aws.amazon.com/saml";

/// One role the assertion grants: the role ARN and the SAML provider ARN, in the order the
/// attribute value lists them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SamlRole {
    /// `arn:aws:iam::<account>:role/<name>`.
    pub role_arn: String,
    /// `arn:aws:iam::<account>:saml-provider/<name>`.
    pub provider_arn: String,
    /// Whether the attribute value lists the provider first (`provider,role`).
    pub provider_first: bool,
}

impl SamlRole {
    /// A pair written `role,provider`.
    pub fn new(role_arn: impl Into<String>, provider_arn: impl Into<String>) -> Self {
        SamlRole {
            role_arn: role_arn.into(),
            provider_arn: provider_arn.into(),
            provider_first: false,
        }
    }

    /// The same pair written `provider,role`.
    pub fn provider_first(mut self) -> Self {
        self.provider_first = true;
        self
    }

    /// The attribute value.
    pub fn attribute_value(&self) -> String {
        if self.provider_first {
            format!("{},{}", self.provider_arn, self.role_arn)
        } else {
            format!("{},{}", self.role_arn, self.provider_arn)
        }
    }
}

static ID_COUNTER: AtomicU64 = AtomicU64::new(1);

/// A builder for a complete `samlp:Response` with one `saml:Assertion`.
///
/// Defaults: issuer `https://idp.example.test/saml`, subject and session name
/// `jane.doe@example.test`, session duration 3600 s, valid from 5 minutes before `issued` until
/// 5 minutes after it, and one role `arn:aws:iam::123456789012:role/Developer` with provider
/// `arn:aws:iam::123456789012:saml-provider/ExampleIdP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlResponseBuilder {
    issued: Timestamp,
    issuer: String,
    subject: String,
    session_name: Option<String>,
    session_duration: Option<u32>,
    valid_for_secs: i64,
    roles: Vec<SamlRole>,
    id: u64,
}

impl SamlResponseBuilder {
    /// A builder for a Response issued at `issued`.
    pub fn new(issued: Timestamp) -> Self {
        SamlResponseBuilder {
            issued,
            issuer: "https://idp.example.test/saml".to_string(),
            subject: "jane.doe@example.test".to_string(),
            session_name: Some("jane.doe@example.test".to_string()),
            session_duration: Some(3600),
            valid_for_secs: 300,
            roles: vec![SamlRole::new(
                "arn:aws:iam::123456789012:role/Developer",
                "arn:aws:iam::123456789012:saml-provider/ExampleIdP",
            )],
            id: ID_COUNTER.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Replaces the roles.
    pub fn roles(mut self, roles: impl IntoIterator<Item = SamlRole>) -> Self {
        self.roles = roles.into_iter().collect();
        self
    }

    /// The issuer (entity id of the IdP).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The subject's `NameID`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }

    /// The `RoleSessionName` attribute (`None` leaves it out).
    pub fn session_name(mut self, name: Option<&str>) -> Self {
        self.session_name = name.map(String::from);
        self
    }

    /// The `SessionDuration` attribute in seconds (`None` leaves it out).
    pub fn session_duration(mut self, secs: Option<u32>) -> Self {
        self.session_duration = secs;
        self
    }

    /// How long after `issued` the assertion stays valid (`NotOnOrAfter`).
    pub fn valid_for(mut self, secs: i64) -> Self {
        self.valid_for_secs = secs;
        self
    }

    /// The roles granted.
    pub fn granted(&self) -> &[SamlRole] {
        &self.roles
    }

    /// The Response as XML.
    pub fn xml(&self) -> String {
        let issued = self.issued.to_rfc3339();
        let not_before = self.issued.plus_secs(-300).to_rfc3339();
        let not_after = self.issued.plus_secs(self.valid_for_secs).to_rfc3339();
        let response_id = format!("_r{:012x}{:08x}", self.issued.unix(), self.id);
        let assertion_id = format!("_a{:012x}{:08x}", self.issued.unix(), self.id);
        let issuer = escape(&self.issuer);
        let subject = escape(&self.subject);
        let mut attributes = String::new();
        if !self.roles.is_empty() {
            attributes.push_str(&attribute(
                ROLE_ATTRIBUTE,
                self.roles.iter().map(SamlRole::attribute_value),
            ));
        }
        if let Some(name) = &self.session_name {
            attributes.push_str(&attribute(ROLE_SESSION_NAME_ATTRIBUTE, [name.clone()]));
        }
        if let Some(secs) = self.session_duration {
            attributes.push_str(&attribute(SESSION_DURATION_ATTRIBUTE, [secs.to_string()]));
        }
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{issued}" Destination="{AWS_SAML_ENDPOINT}">
  <saml:Issuer>{issuer}</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{assertion_id}" Version="2.0" IssueInstant="{issued}">
    <saml:Issuer>{issuer}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{not_after}" Recipient="{AWS_SAML_ENDPOINT}"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{not_after}">
      <saml:AudienceRestriction>
        <saml:Audience>urn:amazon:webservices</saml:Audience>
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="{assertion_id}">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
{attributes}    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>
"#
        )
    }

    /// The Response as the IdP sends it: standard base64 of the XML.
    pub fn base64(&self) -> String {
        STANDARD.encode(self.xml())
    }

    /// The HTML auto-post page carrying the Response.
    pub fn auto_post_page(&self) -> String {
        auto_post_page(&self.base64())
    }
}

fn attribute(name: &str, values: impl IntoIterator<Item = String>) -> String {
    let mut out = format!(
        "      <saml:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">\n"
    );
    for v in values {
        out.push_str(&format!(
            "        <saml:AttributeValue xsi:type=\"xs:string\">{}</saml:AttributeValue>\n",
            escape(&v)
        ));
    }
    out.push_str("      </saml:Attribute>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The HTML page an IdP returns after login: a form that posts `SAMLResponse` to AWS by itself.
pub fn auto_post_page(saml_response_base64: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Signing in to AWS</title></head>
<body onload="document.forms[0].submit()">
<noscript><p>JavaScript is turned off. Press Continue to go on.</p></noscript>
<form method="post" action="{AWS_SAML_ENDPOINT}">
<input type="hidden" name="SAMLResponse" value="{}">
<input type="hidden" name="RelayState" value="">
<noscript><input type="submit" value="Continue"></noscript>
</form>
</body>
</html>
"#,
        escape(saml_response_base64)
    )
}

/// The role/provider pairs in a base64 SAML Response, from its Role attribute values, in order.
///
/// # Errors
/// A message when the text is not base64 of UTF-8, or a value is not a role/provider pair.
pub fn saml_roles(saml_response_base64: &str) -> Result<Vec<SamlRole>, String> {
    let xml = STANDARD
        .decode(saml_response_base64.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    let xml = String::from_utf8(xml).map_err(|e| format!("not UTF-8: {e}"))?;
    let Some(start) = xml.find(&format!("Name=\"{ROLE_ATTRIBUTE}\"")) else {
        return Ok(vec![]);
    };
    let rest = &xml[start..];
    let end = rest.find("</saml:Attribute>").unwrap_or(rest.len());
    let mut roles = vec![];
    for chunk in rest[..end].split("<saml:AttributeValue").skip(1) {
        let value = chunk
            .split_once('>')
            .and_then(|(_, v)| v.split_once('<'))
            .map(|(v, _)| v.trim())
            .ok_or_else(|| "unterminated AttributeValue".to_string())?;
        let (a, b) = value
            .split_once(',')
            .ok_or_else(|| format!("not a role/provider pair: {value}"))?;
        let (a, b) = (a.trim().to_string(), b.trim().to_string());
        let role = if a.contains(":role/") {
            SamlRole::new(a, b)
        } else if b.contains(":role/") {
            SamlRole::new(b, a).provider_first()
        } else {
            return Err(format!("no role ARN in {value}"));
        };
        roles.push(role);
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
    }

    #[test]
    fn a_complete_response() {
        let b = SamlResponseBuilder::new(at());
        let xml = b.xml();
        for part in [
            "<samlp:Response ",
            "<saml:Assertion ",
            "IssueInstant=\"2026-01-15T10:00:00Z\"",
            "NotBefore=\"2026-01-15T09:55:00Z\" NotOnOrAfter=\"2026-01-15T10:05:00Z\"",
            "<saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">jane.doe@example.test</saml:NameID>",
            ">arn:aws:iam::123456789012:role/Developer,arn:aws:iam::123456789012:saml-provider/ExampleIdP<",
            "Name=\"https://aws.amazon.com/SAML/Attributes/RoleSessionName\"",
            ">3600<",
            "<saml:Audience>urn:amazon:webservices</saml:Audience>",
        ] {
            assert!(xml.contains(part), "{part} missing from\n{xml}");
        }
        assert_eq!(saml_roles(&b.base64()).unwrap(), b.granted().to_vec());
    }

    #[test]
    fn roles_in_either_order_round_trip() {
        let roles = vec![
            SamlRole::new(
                "arn:aws:iam::111111111111:role/path/Admin",
                "arn:aws:iam::111111111111:saml-provider/Corp",
            ),
            SamlRole::new(
                "arn:aws-us-gov:iam::222222222222:role/Reader",
                "arn:aws-us-gov:iam::222222222222:saml-provider/Corp",
            )
            .provider_first(),
        ];
        let b = SamlResponseBuilder::new(at())
            .roles(roles.clone())
            .session_name(None)
            .session_duration(None);
        let xml = b.xml();
        assert!(xml.contains(
            ">arn:aws-us-gov:iam::222222222222:saml-provider/Corp,arn:aws-us-gov:iam::222222222222:role/Reader<"
        ));
        assert!(!xml.contains("RoleSessionName") && !xml.contains("SessionDuration"));
        assert_eq!(saml_roles(&b.base64()).unwrap(), roles);
        assert!(saml_roles("%%%").unwrap_err().starts_with("not base64"));
    }

    #[test]
    fn the_auto_post_page() {
        let page = auto_post_page("PHNhbWw+");
        assert!(
            page.contains(r#"<form method="post" action="https://signin.aws.amazon.com/saml">"#)
        );
        assert!(page.contains(r#"<input type="hidden" name="SAMLResponse" value="PHNhbWw+">"#));
    }
}

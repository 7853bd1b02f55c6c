//! Writes the SAML 2.0 Response the mock hands out: the shape real identity providers post to
//! `https://signin.aws.amazon.com/saml`, unsigned.

use crate::settings::MockSettings;
use aws_runas_domain::Timestamp;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the Response is addressed, as for a real AWS login.
const AWS_SAML_ENDPOINT: &str = "https://signin.aws.amazon.com/saml";
/// The issuer (entity id) of the mock identity provider.
const ISSUER: &str = "urn:aws-runas:idp:mock";
/// How long the assertion is valid after it is issued (AWS accepts an assertion for 5 minutes).
pub(crate) const VALID_FOR_SECS: i64 = 5 * 60;
/// The `SessionDuration` attribute: the longest session the mock allows, in seconds.
pub(crate) const SESSION_DURATION_SECS: u32 = 3600;

const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";

/// Makes the ids of two Responses issued in the same second differ.
static SERIAL: AtomicU64 = AtomicU64::new(1);

/// The Response as XML, issued at `now`.
pub(crate) fn response_xml(settings: &MockSettings, now: Timestamp) -> String {
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
    let issued = now.to_rfc3339();
    let not_after = now.plus_secs(VALID_FOR_SECS).to_rfc3339();
    let response_id = format!("_mock-response-{:x}-{serial:x}", now.unix());
    let assertion_id = format!("_mock-assertion-{:x}-{serial:x}", now.unix());
    let subject = escape(settings.username());
    let provider = settings.provider_arn();
    let role_values = settings
        .roles()
        .iter()
        .map(|role| format!("{role},{provider}"));
    let mut attributes = String::new();
    attribute(&mut attributes, ROLE_ATTRIBUTE, role_values);
    attribute(
        &mut attributes,
        SESSION_NAME_ATTRIBUTE,
        [settings.username().to_string()],
    );
    attribute(
        &mut attributes,
        SESSION_DURATION_ATTRIBUTE,
        [SESSION_DURATION_SECS.to_string()],
    );
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{issued}" Destination="{AWS_SAML_ENDPOINT}">
  <saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{ISSUER}</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{assertion_id}" Version="2.0" IssueInstant="{issued}">
    <saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{ISSUER}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">{subject}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{not_after}" Recipient="{AWS_SAML_ENDPOINT}"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{issued}" NotOnOrAfter="{not_after}">
      <saml:AudienceRestriction>
        <saml:Audience>urn:amazon:webservices</saml:Audience>
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="{assertion_id}">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
{attributes}    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>
"#
    )
}

/// Appends one `saml:Attribute` with its values.
fn attribute(out: &mut String, name: &str, values: impl IntoIterator<Item = String>) {
    let _ = writeln!(
        out,
        r#"      <saml:Attribute Name="{name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">"#
    );
    for value in values {
        let _ = writeln!(
            out,
            r#"        <saml:AttributeValue xsi:type="xs:string">{}</saml:AttributeValue>"#,
            escape(&value)
        );
    }
    out.push_str("      </saml:Attribute>\n");
}

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpSettings;

    fn at() -> Timestamp {
        Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
    }

    #[test]
    fn the_response_has_every_part_aws_reads() {
        let settings = MockSettings::from_idp_settings(&IdpSettings::default()).unwrap();
        let xml = response_xml(&settings, at());
        for part in [
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol""#,
            r#"Destination="https://signin.aws.amazon.com/saml""#,
            r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>"#,
            r#"IssueInstant="2026-01-15T10:00:00Z""#,
            r#"<saml:Conditions NotBefore="2026-01-15T10:00:00Z" NotOnOrAfter="2026-01-15T10:05:00Z">"#,
            r#"<saml:SubjectConfirmationData NotOnOrAfter="2026-01-15T10:05:00Z""#,
            "<saml:Audience>urn:amazon:webservices</saml:Audience>",
            ">arn:aws:iam::123456789012:role/mock-role,arn:aws:iam::123456789012:saml-provider/mock<",
            ">mock-user</saml:NameID>",
            ">mock-user</saml:AttributeValue>",
            ">3600</saml:AttributeValue>",
        ] {
            assert!(xml.contains(part), "{part} missing from\n{xml}");
        }
    }

    #[test]
    fn ids_differ_between_responses_of_one_second() {
        let settings = MockSettings::from_idp_settings(&IdpSettings::default()).unwrap();
        let id = |xml: &str| {
            let start = xml.find(" ID=\"").unwrap() + 5;
            xml[start..start + xml[start..].find('"').unwrap()].to_string()
        };
        assert_ne!(
            id(&response_xml(&settings, at())),
            id(&response_xml(&settings, at()))
        );
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        let settings = MockSettings::from_idp_settings(&IdpSettings::from_pairs([(
            "username",
            "o'brien&<co>",
        )]))
        .unwrap();
        let xml = response_xml(&settings, at());
        assert!(
            xml.contains(">o&apos;brien&amp;&lt;co&gt;</saml:NameID>"),
            "{xml}"
        );
        assert!(!xml.contains("o'brien"), "{xml}");
    }
}

//! The SAML 2.0 AuthnRequest for the HTTP-Redirect binding (SAML 2.0 Bindings §3.4): the XML,
//! DEFLATE-compressed (raw, RFC 1951), base64-encoded and URL-encoded as the `SAMLRequest`
//! query parameter of the IdP's SSO URL, with no `RelayState` and no signature.

use base64::Engine;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use std::io::Write;

/// The fields of one AuthnRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthnRequest {
    pub(crate) id: String,
    pub(crate) issue_instant: String,
    pub(crate) destination: String,
    pub(crate) issuer: String,
    pub(crate) acs_url: String,
}

/// Escapes text for an XML attribute or element (all five predefined entities).
fn xml_escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

impl AuthnRequest {
    /// The request as XML.
    pub(crate) fn xml(&self) -> String {
        format!(
            concat!(
                r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" "#,
                r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" "#,
                r#"IssueInstant="{instant}" Destination="{dest}" AssertionConsumerServiceURL="{acs}" "#,
                r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>"#,
                r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>"#,
                r#"</samlp:AuthnRequest>"#
            ),
            id = xml_escape(&self.id),
            instant = xml_escape(&self.issue_instant),
            dest = xml_escape(&self.destination),
            acs = xml_escape(&self.acs_url),
            issuer = xml_escape(&self.issuer),
        )
    }

    /// The SSO URL with the encoded request as `SAMLRequest` (appended to any query it has).
    pub(crate) fn redirect_url(&self) -> String {
        let mut deflater = DeflateEncoder::new(Vec::new(), Compression::default());
        // Writing to a Vec cannot fail.
        let _ = deflater.write_all(self.xml().as_bytes());
        let deflated = deflater.finish().unwrap_or_default();
        let encoded = base64::engine::general_purpose::STANDARD.encode(deflated);
        let param = utf8_percent_encode(&encoded, NON_ALPHANUMERIC);
        let base = self.destination.split('#').next().unwrap_or_default();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}SAMLRequest={param}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AuthnRequest {
        AuthnRequest {
            id: "_abc".into(),
            issue_instant: "2026-01-15T10:00:00Z".into(),
            destination: "https://idp.example.test/saml2?tenant=a&b=<c>".into(),
            issuer: "urn:amazon:webservices".into(),
            acs_url: "http://127.0.0.1:1234/saml/acs".into(),
        }
    }

    #[test]
    fn the_xml_escapes_the_destination() {
        let xml = request().xml();
        assert!(
            xml.contains(
                r#"Destination="https://idp.example.test/saml2?tenant=a&amp;b=&lt;c&gt;""#
            )
        );
        assert!(xml.contains("<saml:Issuer>urn:amazon:webservices</saml:Issuer>"));
    }

    #[test]
    fn the_request_goes_after_an_existing_query() {
        let url = request().redirect_url();
        assert!(url.starts_with("https://idp.example.test/saml2?tenant=a&b=<c>&SAMLRequest="));
        assert!(
            !url["https://idp.example.test/saml2?tenant=a&b=<c>&SAMLRequest=".len()..]
                .contains(['+', '/', '='])
        );
    }
}

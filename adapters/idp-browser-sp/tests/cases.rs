//! The login against a fake default browser that plays the IdP: it decodes the AuthnRequest of
//! the URL it is asked to open (HTTP-Redirect binding: URL-decoding, base64, raw DEFLATE), checks
//! its fields, and POSTs a testkit SAML response to the assertion consumer it names, as an IdP's
//! auto-submitting page makes the browser do (SAML 2.0 Bindings §3.4 and §3.5).

use crate::browser_sp;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::browser::BrowserOpener;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{IdpDeps, IdpErrorKind, IdpSettings};
use aws_runas_idp_testkit::{
    SamlResponseBuilder, SamlRole, ScriptedPrompter, idle_http, saml_roles,
};
use base64::Engine;
use flate2::read::DeflateDecoder;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, PoisonError};

const SSO_URL: &str = "https://idp.example.test/tenant-0001/saml2";

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
}

/// What the fake browser does with the AuthnRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    /// Posts the SAML response, answering the request's id.
    Post,
    /// Posts a form without a SAMLResponse.
    PostEmpty,
    /// Asks for a favicon first, then posts.
    FaviconThenPost,
    /// Does nothing (the user never finishes).
    Nothing,
}

#[derive(Debug)]
struct FakeIdpBrowser {
    act: Act,
    saml: String,
    opened: Mutex<Vec<String>>,
    requests: Arc<Mutex<Vec<String>>>,
    answers: Arc<Mutex<Vec<String>>>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl FakeIdpBrowser {
    fn new(act: Act, saml: String) -> Self {
        FakeIdpBrowser {
            act,
            saml,
            opened: Mutex::default(),
            requests: Arc::default(),
            answers: Arc::default(),
            threads: Mutex::default(),
        }
    }

    /// The answers the browser got, once its requests are all done.
    fn answers(&self) -> Vec<String> {
        let threads: Vec<_> = self.threads.lock().unwrap().drain(..).collect();
        for t in threads {
            t.join().unwrap();
        }
        self.answers.lock().unwrap().clone()
    }
}

/// The value of one attribute in the XML.
fn attribute(xml: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = xml.find(&key)? + key.len();
    Some(xml[start..].split('"').next()?.to_string())
}

/// The AuthnRequest XML out of a redirect URL.
fn decode_request(url: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    let encoded = query
        .split('&')
        .find_map(|p| p.strip_prefix("SAMLRequest="))
        .expect("a SAMLRequest parameter");
    let b64 = percent_decode_str(encoded).decode_utf8().unwrap();
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .unwrap();
    let mut xml = String::new();
    DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

/// One HTTP request to the loopback ACS; the whole answer.
fn send(url: &str, method: &str, body: &str) -> String {
    let rest = url.strip_prefix("http://127.0.0.1:").unwrap();
    let (port, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

impl BrowserOpener for FakeIdpBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(url.to_string());
        let xml = decode_request(url);
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(xml.clone());
        if self.act == Act::Nothing {
            return Ok(());
        }
        let acs = attribute(&xml, "AssertionConsumerServiceURL").unwrap();
        let body = match self.act {
            Act::PostEmpty => "RelayState=".to_string(),
            _ => format!(
                "SAMLResponse={}",
                utf8_percent_encode(&self.saml, NON_ALPHANUMERIC)
            ),
        };
        let act = self.act;
        let answers = Arc::clone(&self.answers);
        let thread = std::thread::spawn(move || {
            if act == Act::FaviconThenPost {
                let port_and_rest = acs.replace("/saml/acs", "/favicon.ico");
                let answer = send(&port_and_rest, "GET", "");
                answers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(answer);
            }
            let answer = send(&acs, "POST", &body);
            answers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(answer);
        });
        self.threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(thread);
        Ok(())
    }
}

fn roles() -> Vec<SamlRole> {
    vec![
        SamlRole::new(
            "arn:aws:iam::111111111111:role/admin",
            "arn:aws:iam::111111111111:saml-provider/idp",
        ),
        SamlRole::new(
            "arn:aws:iam::222222222222:role/reader",
            "arn:aws:iam::222222222222:saml-provider/idp",
        ),
    ]
}

fn saml() -> String {
    SamlResponseBuilder::new(now())
        .roles(roles())
        .subject("jane.doe@example.test")
        .base64()
}

fn deps(prompter: &Arc<ScriptedPrompter>, browser: Option<Arc<FakeIdpBrowser>>) -> IdpDeps {
    IdpDeps::new(prompter.clone(), Arc::new(FixedClock(now())), idle_http()).with_browser(
        browser.map(|b| {
            let b: Arc<dyn BrowserOpener> = b;
            b
        }),
    )
}

fn settings(extra: &[(&str, &str)]) -> IdpSettings {
    let mut pairs = vec![(IdpSettings::URL, SSO_URL)];
    pairs.extend_from_slice(extra);
    IdpSettings::from_pairs(pairs)
}

#[tokio::test]
async fn the_idp_gets_a_redirect_binding_request_and_its_response_is_taken_at_the_acs() {
    let prompter = Arc::new(ScriptedPrompter::new());
    let browser = Arc::new(FakeIdpBrowser::new(Act::Post, saml()));
    let idp = browser_sp()
        .build(&settings(&[]), deps(&prompter, Some(browser.clone())))
        .unwrap();
    let assertion = idp.saml_assertion().await.unwrap();
    assert_eq!(assertion.0.expose(), browser.saml);
    assert_eq!(saml_roles(assertion.0.expose()).unwrap(), roles());

    let opened = browser.opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1);
    assert!(
        opened[0].starts_with(&format!("{SSO_URL}?SAMLRequest=")),
        "{}",
        opened[0]
    );
    assert!(!opened[0].contains("RelayState"));
    let xml = browser.requests.lock().unwrap()[0].clone();
    assert!(xml.starts_with("<samlp:AuthnRequest "), "{xml}");
    assert_eq!(attribute(&xml, "Destination").as_deref(), Some(SSO_URL));
    assert_eq!(attribute(&xml, "Version").as_deref(), Some("2.0"));
    assert_eq!(
        attribute(&xml, "IssueInstant").as_deref(),
        Some("2026-01-15T10:00:00Z")
    );
    assert_eq!(
        attribute(&xml, "ProtocolBinding").as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    );
    let acs = attribute(&xml, "AssertionConsumerServiceURL").unwrap();
    assert!(
        acs.starts_with("http://127.0.0.1:") && acs.ends_with("/saml/acs"),
        "{acs}"
    );
    assert!(!acs.ends_with(":0/saml/acs"), "{acs}");
    let id = attribute(&xml, "ID").unwrap();
    assert!(id.starts_with('_') && id.len() == 33, "{id}");
    assert!(
        xml.contains("<saml:Issuer>https://signin.aws.amazon.com/saml</saml:Issuer>"),
        "{xml}"
    );
    assert!(xml.contains(
        r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>"#
    ));
    assert!(!xml.contains("ForceAuthn"));

    let answers = browser.answers();
    assert!(answers[0].starts_with("HTTP/1.1 200"), "{}", answers[0]);
    assert!(answers[0].contains("You can close this tab"));
    let notices = prompter.notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("idp.example.test") && n.contains("waiting up to 2m")),
        "{notices:?}"
    );
    assert!(notices.iter().all(|n| !n.contains(&browser.saml)));
    prompter.assert_finished();
}

#[tokio::test]
async fn the_entity_id_setting_is_the_issuer_and_requests_differ() {
    let prompter = Arc::new(ScriptedPrompter::new());
    let browser = Arc::new(FakeIdpBrowser::new(Act::Post, saml()));
    let settings = settings(&[("browser_sp_entity_id", "urn:amazon:webservices")]);
    for _ in 0..2 {
        let idp = browser_sp()
            .build(&settings, deps(&prompter, Some(browser.clone())))
            .unwrap();
        idp.saml_assertion().await.unwrap();
    }
    let requests = browser.requests.lock().unwrap().clone();
    assert!(requests[0].contains("<saml:Issuer>urn:amazon:webservices</saml:Issuer>"));
    assert_ne!(attribute(&requests[0], "ID"), attribute(&requests[1], "ID"));
}

#[tokio::test]
async fn other_requests_to_the_listener_get_a_404_and_the_wait_goes_on() {
    let prompter = Arc::new(ScriptedPrompter::new());
    let browser = Arc::new(FakeIdpBrowser::new(Act::FaviconThenPost, saml()));
    let idp = browser_sp()
        .build(&settings(&[]), deps(&prompter, Some(browser.clone())))
        .unwrap();
    assert_eq!(idp.saml_assertion().await.unwrap().0.expose(), browser.saml);
    let answers = browser.answers();
    assert!(answers[0].starts_with("HTTP/1.1 404"), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 200"), "{}", answers[1]);
}

#[tokio::test]
async fn a_post_without_a_saml_response_fails_the_login_and_the_tab_says_so() {
    let prompter = Arc::new(ScriptedPrompter::new());
    let browser = Arc::new(FakeIdpBrowser::new(Act::PostEmpty, saml()));
    let idp = browser_sp()
        .build(&settings(&[]), deps(&prompter, Some(browser.clone())))
        .unwrap();
    let err = idp.saml_assertion().await.unwrap_err();
    assert_eq!(err.kind(), IdpErrorKind::UnexpectedPage);
    assert!(err.to_string().contains("no SAMLResponse"), "{err}");
    let answers = browser.answers();
    assert!(answers[0].starts_with("HTTP/1.1 400"), "{answers:?}");
    assert!(answers[0].contains("Login failed"));
}

#[tokio::test]
async fn a_login_never_finished_ends_at_mfa_wait_timeout() {
    let prompter = Arc::new(ScriptedPrompter::new());
    let browser = Arc::new(FakeIdpBrowser::new(Act::Nothing, saml()));
    let idp = browser_sp()
        .build(
            &settings(&[(IdpSettings::MFA_WAIT, "1s")]),
            deps(&prompter, Some(browser.clone())),
        )
        .unwrap();
    let err = idp.saml_assertion().await.unwrap_err();
    assert_eq!(err.kind(), IdpErrorKind::MfaTimeout);
    assert!(
        err.to_string().contains("within 1s (mfa_wait_timeout)"),
        "{err}"
    );
    assert!(
        prompter
            .notices()
            .iter()
            .any(|n| n.contains("waiting up to 1s"))
    );
}

#[tokio::test]
async fn without_a_browser_the_url_is_shown_to_open_by_hand() {
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = browser_sp()
        .build(
            &settings(&[(IdpSettings::MFA_WAIT, "1s")]),
            deps(&prompter, None),
        )
        .unwrap();
    let err = idp.saml_assertion().await.unwrap_err();
    assert_eq!(err.kind(), IdpErrorKind::MfaTimeout);
    let notices = prompter.notices();
    let shown = notices
        .iter()
        .find(|n| n.contains("Open this URL"))
        .unwrap_or_else(|| panic!("{notices:?}"));
    let url = shown.lines().last().unwrap();
    assert!(
        decode_request(url)
            .contains("<saml:Issuer>https://signin.aws.amazon.com/saml</saml:Issuer>")
    );
}

#[test]
fn debug_shows_no_url_query() {
    let idp = browser_sp()
        .build(
            &settings(&[]).with(
                IdpSettings::URL,
                format!("{SSO_URL}?token=fake-secret-0001"),
                "t",
            ),
            deps(&Arc::new(ScriptedPrompter::new()), None),
        )
        .unwrap();
    let debug = format!("{idp:?}");
    assert!(debug.contains("idp.example.test"), "{debug}");
    assert!(!debug.contains("fake-secret-0001"), "{debug}");
}

//! What Azure AD's pages say: the `$Config` object its sign-in pages carry (read as loose JSON,
//! because Microsoft adds and drops fields freely), the JavaScript redirect that carries the
//! `SAMLRequest`, and the `AADSTS` error codes in words.

use aws_runas_domain::ports::idp::IdpErrorKind;
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// The server data of one Azure AD page (`$Config={…};`).
///
/// `Debug` shows the page id and the field names only: the values include flow tokens.
#[derive(Clone, PartialEq)]
pub(crate) struct ServerConfig {
    fields: Map<String, Value>,
}

/// Why a page's `$Config` could not be read (no secret: only the position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigSyntax {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl ServerConfig {
    /// The `$Config` object of `html`: `None` when the page has none.
    pub(crate) fn find(html: &str) -> Option<Result<ServerConfig, ConfigSyntax>> {
        const MARKER: &str = "$Config=";
        let start = html.find(MARKER)? + MARKER.len();
        let rest = html[start..].trim_start();
        // The object ends where the JSON value ends; `;` and the CDATA comment follow.
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        Some(match stream.next() {
            Some(Ok(Value::Object(fields))) => Ok(ServerConfig { fields }),
            Some(Ok(_)) => Err(ConfigSyntax { line: 1, column: 1 }),
            Some(Err(e)) => Err(ConfigSyntax {
                line: e.line(),
                column: e.column(),
            }),
            None => Err(ConfigSyntax { line: 1, column: 1 }),
        })
    }

    /// A configuration from a JSON object (tests).
    #[cfg(test)]
    pub(crate) fn from_value(value: Value) -> ServerConfig {
        match value {
            Value::Object(fields) => ServerConfig { fields },
            _ => ServerConfig { fields: Map::new() },
        }
    }

    /// A non-empty string field.
    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.fields
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// A string or number field, as text.
    fn text_or_number(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) if n.as_i64() != Some(0) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The page id (`ConvergedSignIn`, `ConvergedTFA`, `KmsiInterrupt`, …).
    pub(crate) fn page_id(&self) -> Option<&str> {
        self.text("pgid")
    }

    /// `urlPost`: where the page's form goes.
    pub(crate) fn url_post(&self) -> Option<&str> {
        self.text("urlPost")
    }

    /// `sFT`: the flow token.
    pub(crate) fn flow_token(&self) -> Option<&str> {
        self.text("sFT")
    }

    /// `sFTName`: the form field the flow token goes in (`flowToken`).
    pub(crate) fn flow_token_name(&self) -> &str {
        self.text("sFTName").unwrap_or("flowToken")
    }

    /// `sCtx`: the request context.
    pub(crate) fn context(&self) -> Option<&str> {
        self.text("sCtx")
    }

    /// `canary`: the form's anti-forgery value.
    pub(crate) fn canary(&self) -> Option<&str> {
        self.text("canary")
    }

    /// The headers the page's own scripts send with JSON calls (`canary`, `client-request-id`,
    /// `hpgact`, `hpgid`, `hpgrequestid`), for those the page defines.
    pub(crate) fn api_headers(&self) -> Vec<(String, String)> {
        let mut out = vec![];
        let mut add = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                out.push((name.to_string(), v));
            }
        };
        add("canary", self.text("apiCanary").map(String::from));
        add(
            "client-request-id",
            self.text("correlationId").map(String::from),
        );
        add("hpgact", self.text_or_number("hpgact"));
        add("hpgid", self.text_or_number("hpgid"));
        add("hpgrequestid", self.text("sessionId").map(String::from));
        out
    }

    /// `sessionId`, sent back as `hpgrequestid` with forms.
    pub(crate) fn session_id(&self) -> Option<&str> {
        self.text("sessionId")
    }

    /// `sPOST_Username`: the user name the page was rendered for.
    pub(crate) fn posted_username(&self) -> Option<&str> {
        self.text("sPOST_Username")
    }

    /// The `AADSTS` error the page reports (`sErrorCode`, `iErrorCode`, or the code quoted in
    /// `strServiceExceptionMessage`), except `50058` (not signed in yet), which only says that the
    /// sign-in goes on.
    pub(crate) fn error_code(&self) -> Option<String> {
        let code = self
            .text_or_number("sErrorCode")
            .or_else(|| self.text_or_number("iErrorCode"))
            .or_else(|| {
                self.text("strServiceExceptionMessage")
                    .and_then(aadsts_code_in)
            })?;
        let code = code.trim_start_matches("AADSTS").to_string();
        (code != "50058" && code != "0").then_some(code)
    }

    /// The page's own text for its error (`sErrTxt`, `strServiceExceptionMessage`).
    pub(crate) fn error_text(&self) -> Option<&str> {
        self.text("sErrTxt")
            .or_else(|| self.text("strServiceExceptionMessage"))
    }

    /// `oGetCredTypeResult.Credentials`: what Azure AD knows about the user name posted.
    fn credentials(&self) -> Option<&Map<String, Value>> {
        self.fields
            .get("oGetCredTypeResult")?
            .get("Credentials")?
            .as_object()
    }

    /// The federation server of a federated or guest user
    /// (`oGetCredTypeResult.Credentials.FederationRedirectUrl`).
    pub(crate) fn federation_redirect_url(&self) -> Option<&str> {
        self.credentials()?
            .get("FederationRedirectUrl")?
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// `oGetCredTypeResult.Credentials.HasPassword`, when the page says.
    pub(crate) fn has_password(&self) -> Option<bool> {
        self.credentials()?.get("HasPassword")?.as_bool()
    }

    /// Whether Azure AD says the user name does not exist (`oGetCredTypeResult.IfExistsResult`
    /// is `1`).
    pub(crate) fn user_unknown(&self) -> bool {
        self.fields
            .get("oGetCredTypeResult")
            .and_then(|r| r.get("IfExistsResult"))
            .and_then(Value::as_i64)
            == Some(1)
    }

    /// `arrUserProofs`: the second factors the user has registered.
    pub(crate) fn user_proofs(&self) -> Vec<UserProof> {
        let Some(proofs) = self.fields.get("arrUserProofs").and_then(Value::as_array) else {
            return vec![];
        };
        proofs
            .iter()
            .filter_map(|p| {
                let id = p.get("authMethodId")?.as_str()?.trim();
                (!id.is_empty()).then(|| UserProof {
                    method: id.to_string(),
                    display: p
                        .get("display")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    is_default: p.get("isDefault").and_then(Value::as_bool) == Some(true),
                })
            })
            .collect()
    }

    /// `urlBeginAuth`.
    pub(crate) fn url_begin_auth(&self) -> Option<&str> {
        self.text("urlBeginAuth")
    }

    /// `urlEndAuth`.
    pub(crate) fn url_end_auth(&self) -> Option<&str> {
        self.text("urlEndAuth")
    }

    /// `urlSkipMfaRegistration`: the "ask me later" link of the security-info registration page.
    pub(crate) fn url_skip_mfa_registration(&self) -> Option<&str> {
        self.text("urlSkipMfaRegistration")
    }

    /// `oPerAuthPollingInterval[method]`: how often the page polls for that factor, when it says.
    pub(crate) fn polling_interval(&self, method: &str) -> Option<Duration> {
        let secs = self
            .fields
            .get("oPerAuthPollingInterval")?
            .get(method)?
            .as_f64()?;
        (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs.min(60.0)))
    }

    /// Whether this is the "Stay signed in?" page.
    pub(crate) fn is_kmsi(&self) -> bool {
        self.page_id() == Some("KmsiInterrupt")
            || self.url_post().is_some_and(|u| {
                let path = u.split(['?', '#']).next().unwrap_or_default();
                path.trim_end_matches('/').ends_with("/kmsi")
            })
    }

    /// Whether this is the sign-in page (user name or password).
    pub(crate) fn is_sign_in(&self) -> bool {
        match self.page_id() {
            Some(id) => id == "ConvergedSignIn",
            None => self.url_post().is_some() && self.flow_token().is_some(),
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("pgid", &self.page_id())
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The number of the first `AADSTS<digits>` in `text`.
fn aadsts_code_in(text: &str) -> Option<String> {
    let at = text.find("AADSTS")? + "AADSTS".len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// One registered second factor of `arrUserProofs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserProof {
    /// `authMethodId`: `PhoneAppNotification`, `PhoneAppOTP`, `OneWaySMS`, `TwoWayVoiceMobile`, …
    pub(crate) method: String,
    /// `display`: the masked phone number or the device name.
    pub(crate) display: String,
    /// `isDefault`.
    pub(crate) is_default: bool,
}

/// The `SAMLRequest` URL a page sends the browser to with a script
/// (`window.location = 'https://login.microsoftonline.com/…/saml2?SAMLRequest=…';`), resolved
/// against the page's URL.
pub(crate) fn saml_request_url(html: &str, page_url: &str) -> Option<String> {
    const MARKER: &str = "window.location";
    let base = url::Url::parse(page_url).ok();
    let mut rest = html;
    while let Some(at) = rest.find(MARKER) {
        rest = &rest[at + MARKER.len()..];
        let Some(raw) = assigned_string(rest) else {
            continue;
        };
        let target = unescape_js(&raw);
        if !target.contains("SAMLRequest=") {
            continue;
        }
        let resolved = match &base {
            Some(b) => b.join(target.trim()).ok(),
            None => url::Url::parse(target.trim()).ok(),
        };
        if let Some(u) = resolved.filter(|u| matches!(u.scheme(), "http" | "https")) {
            return Some(u.to_string());
        }
    }
    None
}

/// The string literal assigned after `window.location`: `= '…'`, `.href = "…"`,
/// `.replace('…')` or `.assign('…')`.
fn assigned_string(after: &str) -> Option<String> {
    let mut s = after.trim_start();
    if let Some(r) = s.strip_prefix(".href") {
        s = r.trim_start();
    }
    if let Some(r) = s
        .strip_prefix(".replace(")
        .or_else(|| s.strip_prefix(".assign("))
    {
        s = r.trim_start();
    } else {
        let r = s.strip_prefix('=')?;
        if r.starts_with('=') {
            return None; // a comparison
        }
        s = r.trim_start();
    }
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &s[1..];
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(body[..i].to_string()),
            '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Undoes JavaScript string escapes (`\u0026`, `\x26`, `\/`, `\'`, `\\`) and `&amp;`.
fn unescape_js(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out.replace("&amp;", "&")
}

/// An `AADSTS` code in words: the kind of failure it is and what it means for the user; `None`
/// for codes this adapter has no words for.
///
/// Refusals of the user or the account are [`IdpErrorKind::BadCredentials`], of the second factor
/// [`IdpErrorKind::MfaRejected`]; a tenant, application or reply URL that does not exist or match
/// is [`IdpErrorKind::Configuration`]; a challenge aws-runas cannot answer is
/// [`IdpErrorKind::Unsupported`]; a sign-in flow that expired or looped is
/// [`IdpErrorKind::Unavailable`] (trying again may work).
pub(crate) fn describe_error(code: &str) -> Option<(IdpErrorKind, &'static str)> {
    use IdpErrorKind::{
        BadCredentials as B, Configuration as C, MfaRejected as M, Unavailable as T,
        Unsupported as U,
    };
    Some(match code {
        "50126" => (
            B,
            "Azure AD did not accept the user name or password; the password is not tried again, so that the account does not get locked",
        ),
        "50053" => (
            B,
            "the account is locked after too many failed sign-ins (or sign-ins from a blocked address); wait for the lock to expire or ask an administrator",
        ),
        "50057" => (B, "the account is disabled in Azure AD"),
        "50055" => (
            B,
            "the password has expired; change it in a browser, then try again",
        ),
        "50144" => (
            B,
            "the Active Directory password has expired; change it, then try again",
        ),
        "50034" => (B, "the user name does not exist in this directory"),
        "50056" => (B, "the account has no password in Azure AD"),
        "500121" => (
            M,
            "the second factor failed: the sign-in request was denied, not answered in time, or answered wrongly",
        ),
        "50074" | "50076" => (
            M,
            "Azure AD requires a second factor that this sign-in could not provide",
        ),
        "50072" | "50079" => (
            B,
            "Azure AD wants the account to register security info (a second factor) first; do that in a browser, then try again",
        ),
        "53003" => (B, "a conditional access policy blocks this sign-in"),
        "53000" | "53001" | "50097" => (
            B,
            "a conditional access policy requires a managed or registered device, which aws-runas is not",
        ),
        "50158" => (
            U,
            "Azure AD asks for an external security challenge (a third-party second factor), which aws-runas cannot answer",
        ),
        "50105" => (
            B,
            "the user is not assigned to this application; ask an administrator to assign the user or a group",
        ),
        "50020" | "90072" => (
            B,
            "the account does not exist in this directory (a guest user must be invited first)",
        ),
        "90002" => (
            C,
            "the tenant in saml_auth_url does not exist; check the tenantId of the user access URL",
        ),
        "700016" => (
            C,
            "the application in saml_auth_url does not exist in this tenant; check the user access URL",
        ),
        "50011" => (
            C,
            "the application's reply URL does not match its configuration in Azure AD",
        ),
        "50089" | "50132" | "50133" => {
            (T, "the sign-in flow expired before it finished; try again")
        }
        "50196" => (
            T,
            "Azure AD detected a sign-in loop; wait a moment and try again",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_config_object_is_read_up_to_its_end() {
        let html = r#"<script type="text/javascript">//<![CDATA[
$Config={"pgid":"ConvergedSignIn","urlPost":"/fake-tenant/login?x=1\u0026y=2","sFT":"fake-ft","sFTName":"flowToken","sCtx":"fake-ctx","arrBrandingAccents":[{"a":"};"}],"hpgact":1900,"hpgid":1104};
//]]></script>"#;
        let cfg = ServerConfig::find(html).unwrap().unwrap();
        assert_eq!(cfg.page_id(), Some("ConvergedSignIn"));
        assert_eq!(cfg.url_post(), Some("/fake-tenant/login?x=1&y=2"));
        assert_eq!(cfg.flow_token(), Some("fake-ft"));
        assert_eq!(cfg.flow_token_name(), "flowToken");
        assert!(cfg.is_sign_in() && !cfg.is_kmsi());
        assert_eq!(
            cfg.api_headers(),
            vec![
                ("hpgact".to_string(), "1900".to_string()),
                ("hpgid".to_string(), "1104".to_string())
            ]
        );
        let shown = format!("{cfg:?}");
        assert!(
            !shown.contains("fake-ft") && shown.contains("sFT"),
            "{shown}"
        );

        assert!(ServerConfig::find("<html>no config</html>").is_none());
        let broken = ServerConfig::find("$Config={\"sFT\":\"secret-token\" oops};")
            .unwrap()
            .unwrap_err();
        assert_eq!(broken.line, 1);
    }

    #[test]
    fn error_codes_come_from_any_of_the_error_fields() {
        let c = |v| ServerConfig::from_value(v).error_code();
        assert_eq!(c(json!({"sErrorCode": "50126"})), Some("50126".into()));
        assert_eq!(c(json!({"sErrorCode": 50053})), Some("50053".into()));
        assert_eq!(c(json!({"iErrorCode": 50057})), Some("50057".into()));
        assert_eq!(
            c(json!({"strServiceExceptionMessage": "AADSTS50105: the user is not assigned"})),
            Some("50105".into())
        );
        assert_eq!(c(json!({"sErrorCode": "50058"})), None);
        assert_eq!(c(json!({"sErrorCode": ""})), None);
        assert_eq!(c(json!({"iErrorCode": 0})), None);
    }

    #[test]
    fn credentials_proofs_and_intervals() {
        let cfg = ServerConfig::from_value(json!({
            "oGetCredTypeResult": {"IfExistsResult": 0, "Credentials": {"HasPassword": true, "PrefCredential": 1, "FederationRedirectUrl": "https://adfs.example.test/adfs/ls/?wa=wsignin1.0"}},
            "arrUserProofs": [
                {"authMethodId": "PhoneAppNotification", "data": "PhoneAppNotification", "display": "+X XXXXXXXX12", "isDefault": true},
                {"authMethodId": "", "display": "ignored"},
                {"authMethodId": "OneWaySMS", "display": "+X XXXXXXXX12", "isDefault": false}
            ],
            "oPerAuthPollingInterval": {"PhoneAppNotification": 0.5, "OneWaySMS": 0}
        }));
        assert_eq!(
            cfg.federation_redirect_url(),
            Some("https://adfs.example.test/adfs/ls/?wa=wsignin1.0")
        );
        assert_eq!(cfg.has_password(), Some(true));
        assert!(!cfg.user_unknown());
        let proofs = cfg.user_proofs();
        assert_eq!(proofs.len(), 2);
        assert!(proofs[0].is_default && proofs[1].method == "OneWaySMS");
        assert_eq!(
            cfg.polling_interval("PhoneAppNotification"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(cfg.polling_interval("OneWaySMS"), None);
        assert_eq!(cfg.polling_interval("PhoneAppOTP"), None);
        let unknown =
            ServerConfig::from_value(json!({"oGetCredTypeResult": {"IfExistsResult": 1}}));
        assert!(unknown.user_unknown());
    }

    #[test]
    fn kmsi_is_known_by_page_id_or_url() {
        let by_id = ServerConfig::from_value(json!({"pgid": "KmsiInterrupt", "urlPost": "/x"}));
        let by_url = ServerConfig::from_value(json!({"urlPost": "/kmsi", "sFT": "t"}));
        assert!(by_id.is_kmsi() && by_url.is_kmsi());
        assert!(!ServerConfig::from_value(json!({"urlPost": "/common/login"})).is_kmsi());
    }

    #[test]
    fn the_saml_request_redirect_is_found_and_unescaped() {
        let page = "https://account.activedirectory.windowsazure.com/applications/redirecttofederatedapplication.aspx";
        let html = r#"<script>if (window.location == 'x') {}
            window.location = 'https://login.microsoftonline.com/fake-tenant/saml2?SAMLRequest=fVLLbs\u0026RelayState=abc\x26sigalg=x';</script>"#;
        assert_eq!(
            saml_request_url(html, page).as_deref(),
            Some(
                "https://login.microsoftonline.com/fake-tenant/saml2?SAMLRequest=fVLLbs&RelayState=abc&sigalg=x"
            )
        );
        let href = r#"window.location.href = "/fake-tenant/saml2?SAMLRequest=abc";"#;
        assert_eq!(
            saml_request_url(href, "http://127.0.0.1:8080/launch").as_deref(),
            Some("http://127.0.0.1:8080/fake-tenant/saml2?SAMLRequest=abc")
        );
        let replace = r#"window.location.replace('https://login.microsoftonline.com/t/saml2?SAMLRequest=abc&amp;x=1')"#;
        assert_eq!(
            saml_request_url(replace, page).as_deref(),
            Some("https://login.microsoftonline.com/t/saml2?SAMLRequest=abc&x=1")
        );
        assert_eq!(
            saml_request_url("window.location = 'https://example.test/other';", page),
            None
        );
        assert_eq!(
            saml_request_url("window.location = 'javascript:SAMLRequest=1';", page),
            None
        );
    }

    #[test]
    fn the_codes_named_in_the_issue_have_words() {
        for code in ["50126", "50053", "50057"] {
            let (kind, text) = describe_error(code).unwrap();
            assert_eq!(kind, IdpErrorKind::BadCredentials, "{code}");
            assert!(!text.is_empty());
        }
        assert_eq!(
            describe_error("500121").unwrap().0,
            IdpErrorKind::MfaRejected
        );
        assert_eq!(
            describe_error("50158").unwrap().0,
            IdpErrorKind::Unsupported
        );
        assert_eq!(
            describe_error("50132").unwrap().0,
            IdpErrorKind::Unavailable
        );
        assert!(
            describe_error("50126")
                .unwrap()
                .1
                .contains("not tried again")
        );
        assert!(describe_error("50053").unwrap().1.contains("locked"));
        assert!(describe_error("50057").unwrap().1.contains("disabled"));
        assert_eq!(
            describe_error("90002").unwrap().0,
            IdpErrorKind::Configuration
        );
        assert_eq!(describe_error("12345"), None);
        assert_eq!(aadsts_code_in("x AADSTS700016: y"), Some("700016".into()));
        assert_eq!(aadsts_code_in("AADSTS: y"), None);
    }
}

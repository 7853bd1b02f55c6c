//! Recognising Keycloak's login pages by their markup — form ids, input names, CSS classes and
//! action URLs of Keycloak's `login` templates (`base`, `keycloak`, `keycloak.v2` themes) — and
//! never by their wording, which depends on the user's language.

use aws_runas_idp_support::{Form, HtmlPage};

/// Form ids of required-action pages, and the action each one stands for.
const REQUIRED_ACTION_FORMS: [(&str, &str); 5] = [
    ("kc-passwd-update-form", "UPDATE_PASSWORD"),
    ("kc-totp-settings-form", "CONFIGURE_TOTP"),
    ("kc-update-profile-form", "UPDATE_PROFILE"),
    ("kc-update-email-form", "UPDATE_EMAIL"),
    ("kc-register-form", "UPDATE_PROFILE"),
];

/// The path every required-action form posts to.
const REQUIRED_ACTION_PATH: &str = "/login-actions/required-action";

/// The path the login and one-time-code forms post to.
const LOGIN_ACTIONS_PATH: &str = "/login-actions/";

/// Field-level error messages: `#input-error` (older themes), `#input-error-username`,
/// `#input-error-otp-code`… (the empty `#input-error-container-*` of `keycloak.v2` is skipped).
const FIELD_ERRORS: &str = r#"[id^="input-error"]"#;

/// Page-level error alerts: `alert-error` (base and `keycloak` themes) and the PatternFly alert
/// with `pf-m-danger` (`keycloak` and `keycloak.v2` themes).
const ALERT_ERRORS: &str = r#".alert-error, [class*="-c-alert"].pf-m-danger"#;

/// The error page (`error.ftl`).
const ERROR_PAGE: &str = "#kc-error-message";

/// Its message.
const ERROR_PAGE_MESSAGE: &str = "#kc-error-message .instruction";

/// The consent page's container (`login-oauth-grant.ftl`).
const CONSENT_PAGE: &str = "#kc-oauth";

/// The path the consent form posts to.
const CONSENT_PATH: &str = "/login-actions/consent";

/// The consent form's button that grants the request.
pub(crate) const CONSENT_ACCEPT: &str = "accept";

/// The OTP device choices of both theme generations (`kc-otp-credential-0`, …).
const OTP_CHOICES: &str = r#"[id^="kc-otp-credential-"]"#;

/// The OTP device tiles of Keycloak 12, and the credential ids they hold.
const OTP_TILES: &str = ".otp-tile";
const OTP_TILE_IDS: &str = r#".otp-tile input[type="hidden"]"#;

/// The name of the input that carries the chosen OTP credential.
const OTP_CHOICE_FIELD: &str = "selectedCredentialId";

/// One Keycloak page, as far as a login cares.
#[derive(Debug)]
pub(crate) enum Page {
    /// The account must do something in a browser first (update the password, set up OTP…).
    RequiredAction {
        /// Keycloak's name of the action (`UPDATE_PASSWORD`).
        action: String,
    },
    /// The one-time-code form.
    Otp(OtpPage),
    /// The login form (user name and/or password).
    Login(LoginPage),
    /// The consent page of an OIDC client: the form with its `accept` button.
    Consent(Form),
    /// An error page, or an error alert with no form to fill.
    Error {
        /// Keycloak's message, in the user's language.
        message: Option<String>,
    },
    /// Nothing this adapter knows.
    Unknown,
}

impl Page {
    /// A short name for log lines.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Page::RequiredAction { .. } => "a required-action page",
            Page::Otp(_) => "the one-time-code form",
            Page::Login(_) => "the login form",
            Page::Consent(_) => "the consent page",
            Page::Error { .. } => "an error page",
            Page::Unknown => "an unknown page",
        }
    }
}

/// The login form: `form#kc-form-login`.
#[derive(Debug)]
pub(crate) struct LoginPage {
    /// The form, with its hidden inputs (`credentialId`).
    pub(crate) form: Form,
    /// The user-name input, when the form asks for one.
    pub(crate) username_field: Option<String>,
    /// The password input, when the form asks for one.
    pub(crate) password_field: Option<String>,
    /// The error shown with the form (wrong password, disabled account).
    pub(crate) error: Option<String>,
}

/// The one-time-code form.
#[derive(Debug)]
pub(crate) struct OtpPage {
    /// The form.
    pub(crate) form: Form,
    /// The code input: `otp`, or `totp` in older themes.
    pub(crate) code_field: String,
    /// The OTP credentials offered, when the user has several.
    pub(crate) devices: Vec<OtpDevice>,
    /// The error shown with the form (a refused code).
    pub(crate) error: Option<String>,
}

/// One OTP credential the user can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OtpDevice {
    /// The credential id, the value to submit.
    pub(crate) id: String,
    /// The label the user gave it.
    pub(crate) label: String,
}

impl OtpPage {
    /// Selects `device` in the form, the way the page's own markup does it (a radio button, or
    /// the hidden input the `keycloak.v2` tiles fill in).
    pub(crate) fn choose(&mut self, device: &OtpDevice) {
        if !self.form.choose(OTP_CHOICE_FIELD, &device.id) {
            self.form.fill(OTP_CHOICE_FIELD, device.id.clone());
        }
    }
}

/// What kind of page this is.
pub(crate) fn classify(page: &HtmlPage) -> Page {
    if let Some(action) = required_action(page) {
        return Page::RequiredAction { action };
    }
    if let Some(otp) = otp_page(page) {
        return Page::Otp(otp);
    }
    if let Some(login) = login_page(page) {
        return Page::Login(login);
    }
    if let Some(form) = consent_form(page) {
        return Page::Consent(form);
    }
    if page.has(ERROR_PAGE) || page.has(ALERT_ERRORS) {
        return Page::Error {
            message: error_message(page),
        };
    }
    Page::Unknown
}

/// Keycloak's error message on the page: a field error, an error alert, or the error page's text.
pub(crate) fn error_message(page: &HtmlPage) -> Option<String> {
    [FIELD_ERRORS, ALERT_ERRORS, ERROR_PAGE_MESSAGE, ERROR_PAGE]
        .iter()
        .flat_map(|selector| page.select_texts(selector))
        .find(|text| !text.is_empty())
}

fn required_action(page: &HtmlPage) -> Option<String> {
    page.forms().iter().find_map(|form| {
        let by_action = form
            .action()
            .split(['?', '#'])
            .next()
            .is_some_and(|path| path.ends_with(REQUIRED_ACTION_PATH));
        let by_id = form.id().and_then(|id| {
            REQUIRED_ACTION_FORMS
                .iter()
                .find(|(form_id, _)| *form_id == id)
                .map(|(_, action)| (*action).to_string())
        });
        match (by_action, by_id) {
            (true, by_id) => Some(
                query_param(form.action(), "execution")
                    .or(by_id)
                    .unwrap_or_else(|| "unknown".to_string()),
            ),
            (false, by_id) => by_id,
        }
    })
}

fn consent_form(page: &HtmlPage) -> Option<Form> {
    let in_container = page.has(CONSENT_PAGE);
    page.forms()
        .iter()
        .find(|form| {
            let by_action = form
                .action()
                .split(['?', '#'])
                .next()
                .is_some_and(|path| path.ends_with(CONSENT_PATH));
            let accepts = form.input(CONSENT_ACCEPT).is_some_and(|i| i.is_submit());
            accepts && (by_action || in_container)
        })
        .cloned()
}

fn otp_page(page: &HtmlPage) -> Option<OtpPage> {
    let is_code_input = |form: &Form, name: &str| {
        form.input(name)
            .is_some_and(|i| i.needs_user() && !i.disabled() && !i.is_password())
    };
    let form = page.forms().iter().find(|form| {
        matches!(form.id(), Some("kc-otp-login-form" | "kc-totp-login-form"))
            || (form.action().contains(LOGIN_ACTIONS_PATH)
                && !form.has_password()
                && (is_code_input(form, "otp") || is_code_input(form, "totp")))
    })?;
    let code_field = ["otp", "totp"]
        .into_iter()
        .find(|name| is_code_input(form, name))?
        .to_string();
    Some(OtpPage {
        form: form.clone(),
        code_field,
        devices: otp_devices(page, form),
        error: error_message(page),
    })
}

/// The OTP credentials on offer, in page order.
///
/// Three generations of markup:
/// * `keycloak` theme (Keycloak 13 – 24): `<input type="radio" id="kc-otp-credential-N"
///   name="selectedCredentialId" value="<id>">` and a `<label for="kc-otp-credential-N">` holding
///   the device's label;
/// * `keycloak.v2`: `<div id="kc-otp-credential-N" onclick="toggleOTP(N, '<id>')">` holding the
///   label, which fills the hidden `selectedCredentialId` input;
/// * Keycloak 12: `<div class="otp-tile">` tiles, each with an unnamed hidden input holding the
///   id, to which a script gives the name `selectedCredentialId` when the tile is clicked.
fn otp_devices(page: &HtmlPage, form: &Form) -> Vec<OtpDevice> {
    let radios: Vec<OtpDevice> = form
        .inputs()
        .iter()
        .filter(|i| i.name() == OTP_CHOICE_FIELD && i.kind() == "radio")
        .map(|i| {
            let label = i
                .id()
                .map(|id| first_text(page, &format!(r#"label[for="{}"]"#, css_string(id))))
                .unwrap_or_default();
            device(i.value().to_string(), label)
        })
        .collect();
    if !radios.is_empty() {
        return radios;
    }
    let tiles: Vec<OtpDevice> = page
        .select_attrs(OTP_CHOICES, "id")
        .into_iter()
        .filter_map(|element_id| {
            let selector = format!(r#"[id="{}"]"#, css_string(&element_id));
            let id = page
                .select_attrs(&selector, "onclick")
                .first()
                .and_then(|handler| last_quoted(handler))?;
            Some(device(id, first_text(page, &selector)))
        })
        .collect();
    if !tiles.is_empty() {
        return tiles;
    }
    let ids = page.select_attrs(OTP_TILE_IDS, "value");
    let labels = page.select_texts(OTP_TILES);
    if ids.len() == labels.len() {
        return ids
            .into_iter()
            .zip(labels)
            .map(|(id, label)| device(id, label))
            .collect();
    }
    vec![]
}

fn device(id: String, label: String) -> OtpDevice {
    OtpDevice {
        label: if label.is_empty() { id.clone() } else { label },
        id,
    }
}

fn login_page(page: &HtmlPage) -> Option<LoginPage> {
    let form = page.form_by_id("kc-form-login").or_else(|| {
        page.forms()
            .iter()
            .find(|f| f.has_password() && f.action().contains(LOGIN_ACTIONS_PATH))
    })?;
    let username_field = form
        .input("username")
        .filter(|i| i.needs_user() && !i.disabled() && !i.is_password())
        .map(|i| i.name().to_string());
    let password_field = form
        .password_input()
        .filter(|i| !i.disabled() && !i.name().is_empty())
        .map(|i| i.name().to_string());
    if username_field.is_none() && password_field.is_none() {
        return None;
    }
    Some(LoginPage {
        form: form.clone(),
        username_field,
        password_field,
        error: error_message(page),
    })
}

fn first_text(page: &HtmlPage, selector: &str) -> String {
    page.select_texts(selector)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// The text of the last quoted string in a JavaScript call such as `toggleOTP(1, 'abc')`.
fn last_quoted(handler: &str) -> Option<String> {
    let end = handler.rfind(['\'', '"'])?;
    let quote = handler[end..].chars().next()?;
    let start = handler[..end].rfind(quote)?;
    let text = &handler[start + 1..end];
    (!text.is_empty()).then(|| text.to_string())
}

/// `s` made safe inside a double-quoted CSS string.
fn css_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A query parameter of a URL, `+` and `%XX` decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name && !v.is_empty()).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> HtmlPage {
        HtmlPage::parse(
            "https://idp.example.test/realms/corp/protocol/saml/clients/aws",
            html,
        )
    }

    #[test]
    fn consent_pages_by_container_or_action_need_the_accept_button() {
        let by_container = page(
            r#"<div id="kc-oauth"><form action="/x" method="POST"><input type="hidden" name="code" value="c">
<button name="accept" type="submit">Ja</button><button name="cancel" type="submit">Nein</button></form></div>"#,
        );
        assert!(matches!(classify(&by_container), Page::Consent(_)));
        let by_action = page(
            r#"<form action="https://idp.example.test/realms/corp/login-actions/consent?client_id=a" method="POST">
<input type="submit" name="accept" value="Yes"></form>"#,
        );
        assert!(matches!(classify(&by_action), Page::Consent(_)));
        let no_button = page(
            r#"<div id="kc-oauth"><form action="/x" method="POST"><input type="hidden" name="code" value="c"></form></div>"#,
        );
        assert!(matches!(classify(&no_button), Page::Unknown));
    }

    #[test]
    fn selectors_are_valid() {
        let p = page("<p>nothing</p>");
        for selector in [
            FIELD_ERRORS,
            ALERT_ERRORS,
            ERROR_PAGE,
            ERROR_PAGE_MESSAGE,
            OTP_CHOICES,
            OTP_TILES,
            OTP_TILE_IDS,
            r#"label[for="a\"b"]"#,
        ] {
            // An invalid selector trips a debug assertion in the support crate.
            assert!(!p.has(selector), "{selector}");
        }
    }

    #[test]
    fn required_actions_by_action_url_and_by_form_id() {
        let by_url = page(
            r#"<form id="x" method="post" action="/realms/corp/login-actions/required-action?session_code=c&amp;execution=TERMS_AND_CONDITIONS&amp;client_id=aws&amp;tab_id=t"><input type="submit" name="accept"></form>"#,
        );
        assert!(
            matches!(classify(&by_url), Page::RequiredAction { action } if action == "TERMS_AND_CONDITIONS")
        );
        let by_id = page(
            r#"<form id="kc-passwd-update-form" method="post" action="/custom"><input type="password" name="password-new"></form>"#,
        );
        assert!(
            matches!(classify(&by_id), Page::RequiredAction { action } if action == "UPDATE_PASSWORD")
        );
    }

    #[test]
    fn login_forms_with_and_without_fields() {
        let both = page(
            r#"<form id="kc-form-login" method="post" action="/realms/corp/login-actions/authenticate?x=1">
            <input id="username" name="username" type="text"><input id="password" name="password" type="password">
            <input type="hidden" id="id-hidden-input" name="credentialId"></form>"#,
        );
        let Page::Login(login) = classify(&both) else {
            panic!("not a login page")
        };
        assert_eq!(login.username_field.as_deref(), Some("username"));
        assert_eq!(login.password_field.as_deref(), Some("password"));
        assert_eq!(login.error, None);

        let username_only = page(
            r#"<form id="kc-form-login" method="post" action="a"><input name="username"></form>"#,
        );
        assert!(matches!(
            classify(&username_only),
            Page::Login(LoginPage {
                password_field: None,
                username_field: Some(_),
                ..
            })
        ));

        let empty = page(r#"<form id="kc-form-login" method="post" action="a"></form>"#);
        assert!(matches!(classify(&empty), Page::Unknown));
    }

    #[test]
    fn error_pages_and_alerts() {
        let error = page(
            r#"<div id="kc-error-message"><p class="instruction">Ungültige Anfrage</p></div>"#,
        );
        assert!(
            matches!(classify(&error), Page::Error { message: Some(m) } if m == "Ungültige Anfrage")
        );
        let alert = page(
            r#"<div class="pf-v5-c-alert pf-m-inline pf-m-danger"><div class="pf-v5-c-alert__icon"></div>
            <span class="pf-v5-c-alert__title kc-feedback-text">Konto gesperrt</span></div>"#,
        );
        assert!(
            matches!(classify(&alert), Page::Error { message: Some(m) } if m == "Konto gesperrt")
        );
        let info = page(r#"<div class="pf-v5-c-alert pf-m-inline pf-m-info">Hinweis</div>"#);
        assert!(matches!(classify(&info), Page::Unknown));
    }

    #[test]
    fn otp_devices_of_both_theme_generations() {
        let radios = page(
            r#"<form id="kc-otp-login-form" method="post" action="/realms/corp/login-actions/authenticate">
            <input id="kc-otp-credential-0" type="radio" name="selectedCredentialId" value="id-0" checked="checked">
            <label for="kc-otp-credential-0" class="pf-c-tile"><span class="pf-c-tile__title">Phone</span></label>
            <input id="kc-otp-credential-1" type="radio" name="selectedCredentialId" value="id-1">
            <label for="kc-otp-credential-1" class="pf-c-tile"><span class="pf-c-tile__title"> Tablet </span></label>
            <input id="otp" name="otp" type="text"></form>"#,
        );
        let Page::Otp(mut otp) = classify(&radios) else {
            panic!("not an OTP page")
        };
        assert_eq!(otp.code_field, "otp");
        let labels: Vec<&str> = otp.devices.iter().map(|d| d.label.as_str()).collect();
        assert_eq!(labels, ["Phone", "Tablet"]);
        let tablet = otp.devices[1].clone();
        otp.choose(&tablet);
        assert!(
            otp.form
                .fields()
                .contains(&(OTP_CHOICE_FIELD.to_string(), "id-1".to_string()))
        );

        let tiles = page(
            r#"<form id="kc-otp-login-form" method="post" action="/realms/corp/login-actions/authenticate">
            <input id="selectedCredentialId" type="hidden" name="selectedCredentialId" value="id-0">
            <div id="kc-otp-credential-0" class="pf-c-tile" onclick="toggleOTP(0, 'id-0')"><span class="pf-c-tile__title">Phone</span></div>
            <div id="kc-otp-credential-1" class="pf-c-tile" onclick="toggleOTP(1, &quot;id-1&quot;)"><span class="pf-c-tile__title">Tablet</span></div>
            <input id="otp" name="otp" type="text"></form>"#,
        );
        let Page::Otp(mut otp) = classify(&tiles) else {
            panic!("not an OTP page")
        };
        let ids: Vec<&str> = otp.devices.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["id-0", "id-1"]);
        let tablet = otp.devices[1].clone();
        otp.choose(&tablet);
        assert_eq!(
            otp.form.fields(),
            vec![
                (OTP_CHOICE_FIELD.to_string(), "id-1".to_string()),
                ("otp".to_string(), String::new())
            ]
        );

        let keycloak12 = page(
            r#"<form id="kc-otp-login-form" method="post" action="/auth/realms/corp/login-actions/authenticate">
            <div class="pf-c-tile otp-tile" tabindex="0"><input type="hidden" value="id-0"><div class="pf-c-tile__title">Phone</div></div>
            <div class="pf-c-tile otp-tile" tabindex="1"><input type="hidden" value="id-1"><div class="pf-c-tile__title">Tablet</div></div>
            <input id="otp" name="otp" type="text"></form>"#,
        );
        let Page::Otp(mut otp) = classify(&keycloak12) else {
            panic!("not an OTP page")
        };
        assert_eq!(otp.devices[1], device("id-1".into(), "Tablet".into()));
        let tablet = otp.devices[1].clone();
        otp.choose(&tablet);
        assert!(
            otp.form
                .fields()
                .contains(&(OTP_CHOICE_FIELD.to_string(), "id-1".to_string()))
        );

        let legacy = page(
            r#"<form id="kc-totp-login-form" method="post" action="a"><input id="totp" name="totp" type="text"></form>"#,
        );
        assert!(
            matches!(classify(&legacy), Page::Otp(OtpPage { code_field, devices, .. })
            if code_field == "totp" && devices.is_empty())
        );
    }

    #[test]
    fn the_totp_setup_form_is_a_required_action_not_a_code_question() {
        let setup = page(
            r#"<form id="kc-totp-settings-form" method="post" action="/realms/corp/login-actions/required-action?execution=CONFIGURE_TOTP">
            <input type="text" id="totp" name="totp"><input type="hidden" id="totpSecret" name="totpSecret" value="x"></form>"#,
        );
        assert!(
            matches!(classify(&setup), Page::RequiredAction { action } if action == "CONFIGURE_TOTP")
        );
    }

    #[test]
    fn small_parsers() {
        assert_eq!(last_quoted("toggleOTP(0, 'a-b')").as_deref(), Some("a-b"));
        assert_eq!(last_quoted(r#"toggleOTP(0, "c")"#).as_deref(), Some("c"));
        assert_eq!(last_quoted("toggleOTP(0)"), None);
        assert_eq!(
            query_param("https://h/p?a=1&execution=UPDATE%5FPASSWORD#f", "execution").as_deref(),
            Some("UPDATE_PASSWORD")
        );
        assert_eq!(query_param("https://h/p?a=1", "execution"), None);
        assert_eq!(percent_decode("a+b%2"), "a b%2");
        assert_eq!(css_string(r#"a"b\"#), r#"a\"b\\"#);
    }
}

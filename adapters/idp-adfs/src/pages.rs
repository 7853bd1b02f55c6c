//! Recognising AD FS pages by their markup — the `loginForm` with `UserName`, `Password` and
//! `AuthMethod`, the hidden `AuthMethod`/`Context` pair that every additional authentication
//! provider posts back, the `options` form with its `SelectOption('…')` links, the error page's
//! `#errorArea` — and never by their wording, which depends on the user's language and on the
//! farm's customisation.

use aws_runas_idp_support::{Form, HtmlPage};
use std::time::Duration;

/// The id of the forms-login form (also used by additional providers for their own forms).
const LOGIN_FORM: &str = "loginForm";

/// The user name and password inputs of the forms login.
const USERNAME_FIELD: &str = "UserName";

/// The input every AD FS authentication form posts: which method answers.
pub(crate) const AUTH_METHOD_FIELD: &str = "AuthMethod";

/// Its value for the forms login.
pub(crate) const FORMS_AUTHENTICATION: &str = "FormsAuthentication";

/// The encrypted state an additional provider's form carries between its pages.
const CONTEXT_FIELD: &str = "Context";

/// The verification-code input of the Azure MFA adapter.
const VERIFICATION_CODE_FIELD: &str = "VerificationCode";
const VERIFICATION_CODE_ID: &str = "verificationCodeInput";

/// Additional authentication methods whose page waits for the user to answer on another device
/// (the Azure MFA adapter and the Azure MFA Server adapter): the page posts itself back until the
/// phone answers.
pub(crate) const PUSH_METHODS: [&str; 2] =
    ["AzureMfaAuthentication", "AzureMfaServerAuthentication"];

/// Error messages: the `#errorText` label (or span) of the login and MFA forms.
const ERROR_TEXT: &str = "#errorText";

/// The error page: `#errorArea` with `#openingMessage` and `#errorMessage`.
const ERROR_AREA: &str = "#errorArea";
const ERROR_MESSAGE: &str = "#errorMessage";

/// The number to pick in Microsoft Authenticator (number matching) and the page's instructions.
const ENTROPY: &str = "#validEntropyNumber";
const INSTRUCTIONS: &str = "#instructions";

/// The form that switches between authentication methods, and its links.
const OPTIONS_FORM: &str = "options";
const OPTION_LINKS: &str = r#"[onclick*="SelectOption"]"#;

/// How long a wait page is given before it is posted again, when it does not say.
const DEFAULT_POLL: Duration = Duration::from_secs(2);
/// Bounds of the poll interval a page may ask for.
const MIN_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(30);

/// One AD FS page, as far as a login cares.
#[derive(Debug)]
pub(crate) enum Page {
    /// The forms login: user name and/or password.
    Login(LoginPage),
    /// An additional provider asks for one code (Azure MFA verification code, a SecurID
    /// passcode…).
    Code(CodePage),
    /// The Azure MFA page that waits for the user to approve on the phone.
    Push(PushPage),
    /// The choice among additional authentication methods.
    Options(OptionsPage),
    /// An additional provider this adapter cannot answer (a Duo frame, a certificate…).
    UnsupportedMethod {
        /// Its `AuthMethod`.
        method: String,
    },
    /// The AD FS error page.
    Error {
        /// Its message, in the user's language.
        message: Option<String>,
    },
    /// A form with nothing to fill (an auto-post onwards).
    AutoSubmit(Form),
    /// Nothing this adapter knows.
    Unknown,
}

impl Page {
    /// A short name for log lines.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Page::Login(_) => "the login form",
            Page::Code(_) => "a one-time-code form",
            Page::Push(_) => "a push-approval wait",
            Page::Options(_) => "the authentication-method choice",
            Page::UnsupportedMethod { .. } => "an unsupported authentication method",
            Page::Error { .. } => "the error page",
            Page::AutoSubmit(_) => "a form to submit as it is",
            Page::Unknown => "an unknown page",
        }
    }
}

/// The forms login: `form#loginForm` with `UserName` and `Password`.
#[derive(Debug)]
pub(crate) struct LoginPage {
    pub(crate) form: Form,
    /// The user-name input, when visible (AD FS 2019 asks for it on a page of its own).
    pub(crate) username_field: Option<String>,
    /// The password input.
    pub(crate) password_field: Option<String>,
    /// `#errorText`: why the last attempt failed.
    pub(crate) error: Option<String>,
}

/// A one-code question of an additional provider.
#[derive(Debug)]
pub(crate) struct CodePage {
    pub(crate) form: Form,
    /// Its `AuthMethod`.
    pub(crate) method: String,
    /// The code input.
    pub(crate) field: String,
    /// `#errorText`: why the last code failed.
    pub(crate) error: Option<String>,
}

/// The Azure MFA wait for a phone answer.
#[derive(Debug)]
pub(crate) struct PushPage {
    pub(crate) form: Form,
    /// Its `AuthMethod`.
    pub(crate) method: String,
    /// The number to choose in Microsoft Authenticator, when the page shows one.
    pub(crate) number: Option<String>,
    /// The page's own instructions (for the debug log only: the wording is the farm's).
    pub(crate) instructions: Option<String>,
    /// `#errorText`: the phone refused, or did not answer in time.
    pub(crate) error: Option<String>,
    /// How long to wait before posting the page again.
    pub(crate) interval: Duration,
}

/// The choice among additional authentication methods.
#[derive(Debug)]
pub(crate) struct OptionsPage {
    pub(crate) form: Form,
    /// The methods offered, in page order.
    pub(crate) methods: Vec<String>,
}

/// What `page` is.
pub(crate) fn classify(page: &HtmlPage) -> Page {
    let error_text = first_text(page, ERROR_TEXT);
    // A provider's form: a named, non-forms AuthMethod.
    for form in page.forms() {
        let Some(method) = auth_method(form) else {
            continue;
        };
        if method == FORMS_AUTHENTICATION || visible_username(form).is_some() {
            continue;
        }
        let user_inputs: Vec<&str> = form.user_inputs().map(|i| i.name()).collect();
        if user_inputs.is_empty() {
            if PUSH_METHODS.contains(&method.as_str()) && form.input(CONTEXT_FIELD).is_some() {
                return Page::Push(PushPage {
                    form: form.clone(),
                    method,
                    number: first_text(page, ENTROPY),
                    instructions: first_text(page, INSTRUCTIONS),
                    error: error_text,
                    interval: poll_interval(page),
                });
            }
            return Page::UnsupportedMethod { method };
        }
        let field = form
            .input(VERIFICATION_CODE_FIELD)
            .or_else(|| form.input_by_id(VERIFICATION_CODE_ID))
            .map(|i| i.name().to_string())
            .or_else(|| match user_inputs.as_slice() {
                [only] if is_code_input(form, only) => Some(only.to_string()),
                _ => None,
            });
        return match field {
            Some(field) => Page::Code(CodePage {
                form: form.clone(),
                method,
                field,
                error: error_text,
            }),
            None => Page::UnsupportedMethod { method },
        };
    }
    // The forms login.
    let login = page
        .form_by_id(LOGIN_FORM)
        .into_iter()
        .chain(
            page.forms()
                .iter()
                .filter(|f| f.input(USERNAME_FIELD).is_some()),
        )
        .find(|f| f.has_password() || visible_username(f).is_some());
    if let Some(form) = login {
        return Page::Login(LoginPage {
            form: form.clone(),
            username_field: visible_username(form),
            password_field: form.password_input().map(|i| i.name().to_string()),
            error: error_text,
        });
    }
    if page.has(ERROR_AREA) {
        return Page::Error {
            message: first_text(page, ERROR_MESSAGE).or(error_text),
        };
    }
    if let Some(form) = page.form_by_id(OPTIONS_FORM)
        && form.input(AUTH_METHOD_FIELD).is_some()
    {
        let mut methods: Vec<String> = page
            .select_attrs(OPTION_LINKS, "onclick")
            .iter()
            .filter_map(|js| last_quoted(js))
            .collect();
        methods.dedup();
        if !methods.is_empty() {
            return Page::Options(OptionsPage {
                form: form.clone(),
                methods,
            });
        }
    }
    match page
        .forms()
        .iter()
        .find(|f| f.needs_no_input() && f.id() != Some(OPTIONS_FORM))
    {
        Some(form) => Page::AutoSubmit(form.clone()),
        None => Page::Unknown,
    }
}

/// The form's `AuthMethod`, when it has a non-empty one.
fn auth_method(form: &Form) -> Option<String> {
    form.input(AUTH_METHOD_FIELD)
        .map(|i| i.value().trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The name of a visible `UserName` input.
fn visible_username(form: &Form) -> Option<String> {
    form.input(USERNAME_FIELD)
        .filter(|i| i.needs_user() && !i.disabled())
        .map(|i| i.name().to_string())
}

/// Whether the only input of a provider's form can hold a one-time code.
fn is_code_input(form: &Form, name: &str) -> bool {
    form.input(name)
        .is_some_and(|i| matches!(i.kind(), "text" | "number" | "tel" | "password"))
}

/// The trimmed text of the first element matching `selector`, when not empty.
fn first_text(page: &HtmlPage, selector: &str) -> Option<String> {
    page.select_texts(selector)
        .into_iter()
        .find(|t| !t.is_empty())
}

/// The delay of the page's own auto-submit (`setTimeout(…submit…, <ms>)`), within bounds, or the
/// default.
fn poll_interval(page: &HtmlPage) -> Duration {
    page.select_texts("script")
        .iter()
        .filter(|s| s.contains("submit"))
        .find_map(|s| timeout_ms(s))
        .map(|ms| Duration::from_millis(ms).clamp(MIN_POLL, MAX_POLL))
        .unwrap_or(DEFAULT_POLL)
}

/// The delay argument of the first `setTimeout(…, <ms>)` in `script`.
fn timeout_ms(script: &str) -> Option<u64> {
    let start = script.find("setTimeout(")? + "setTimeout(".len();
    let rest = &script[start..];
    rest.char_indices()
        .filter(|(_, c)| *c == ',')
        .find_map(|(i, _)| {
            let tail = rest[i + 1..].trim_start();
            let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
            let after = tail[digits.len()..].trim_start();
            (!digits.is_empty() && after.starts_with(')'))
                .then(|| digits.parse().ok())
                .flatten()
        })
}

/// The last single- or double-quoted string in `js` (`SelectOption('AzureMfaAuthentication')`).
fn last_quoted(js: &str) -> Option<String> {
    let end = js.rfind(['\'', '"'])?;
    let quote = js[end..].chars().next()?;
    let start = js[..end].rfind(quote)?;
    let value = js[start + 1..end].trim();
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> HtmlPage {
        HtmlPage::parse(
            "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
            &format!(
                "<!DOCTYPE html><html><head><title>Sign In</title></head><body>{body}</body></html>"
            ),
        )
    }

    const OPTIONS: &str = r#"<form id="options" method="post" action="/adfs/ls/IdpInitiatedSignOn.aspx">
        <script>function SelectOption(option) { document.forms['options'].submit(); }</script>
        <input id="optionSelection" type="hidden" name="AuthMethod"></form>"#;

    #[test]
    fn the_forms_login_with_its_error_and_the_options_form_beside_it() {
        let p = page(&format!(
            r##"<form method="post" id="loginForm" action="/adfs/ls/IdpInitiatedSignOn.aspx?client-request-id=x">
            <div id="error" class="fieldMargin error smallText"><label id="errorText" for=""> Falsche Benutzer-ID </label></div>
            <input id="userNameInput" name="UserName" type="email" value="jane@example.test">
            <input id="passwordInput" name="Password" type="password">
            <input type="checkbox" name="Kmsi" id="kmsiInput" value="true">
            <input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"></form>{OPTIONS}
            <a href="#" onclick="return SelectOption('CertificateAuthentication');">Zertifikat</a>"##
        ));
        let Page::Login(login) = classify(&p) else {
            panic!("not the login form")
        };
        assert_eq!(login.username_field.as_deref(), Some("UserName"));
        assert_eq!(login.password_field.as_deref(), Some("Password"));
        assert_eq!(login.error.as_deref(), Some("Falsche Benutzer-ID"));
    }

    #[test]
    fn the_paginated_user_name_page_of_ad_fs_2019() {
        let p = page(
            r#"<form method="post" id="loginForm" action="/adfs/ls/">
            <input id="userNameInput" name="UserName" type="email" value="">
            <input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"></form>"#,
        );
        assert!(matches!(
            classify(&p),
            Page::Login(LoginPage {
                username_field: Some(_),
                password_field: None,
                ..
            })
        ));
    }

    #[test]
    fn azure_mfa_code_push_and_an_unknown_provider() {
        let code = page(&format!(
            r#"<form method="post" id="loginForm" action="/adfs/ls/">
            <input id="authMethod" type="hidden" name="AuthMethod" value="AzureMfaAuthentication">
            <input id="context" type="hidden" name="Context" value="fake-context">
            <label id="errorText"></label>
            <input id="verificationCodeInput" name="VerificationCode" type="text" placeholder="Code">
            <input id="signInButton" type="submit" name="SignIn" value="Anmelden"></form>{OPTIONS}"#
        ));
        let Page::Code(c) = classify(&code) else {
            panic!("not a code page")
        };
        assert_eq!(
            (c.method.as_str(), c.field.as_str(), c.error),
            ("AzureMfaAuthentication", "VerificationCode", None)
        );

        let securid = page(
            r#"<form method="post" id="passcodeForm">
            <input id="authMethod" type="hidden" name="AuthMethod" value="SecurIDAuthentication">
            <input id="context" type="hidden" name="Context" value="fake-context">
            <input id="passcodeInput" name="Passcode" type="password">
            <input id="submitButton" type="submit" name="Submit" value="Submit"></form>"#,
        );
        assert!(
            matches!(classify(&securid), Page::Code(CodePage { field, .. }) if field == "Passcode")
        );

        let push = page(
            r#"<form method="post" id="loginForm" action="/adfs/ls/">
            <input id="authMethod" type="hidden" name="AuthMethod" value="AzureMfaAuthentication">
            <input id="context" type="hidden" name="Context" value="fake-context">
            <p id="instructions">Antworten Sie auf Ihrem Telefon.</p><p id="validEntropyNumber"> 42 </p></form>
            <script>window.setTimeout(function () { document.forms['loginForm'].submit(); }, 3000);</script>"#,
        );
        let Page::Push(w) = classify(&push) else {
            panic!("not a push wait")
        };
        assert_eq!(w.number.as_deref(), Some("42"));
        assert_eq!(w.interval, Duration::from_secs(3));
        assert_eq!(
            w.instructions.as_deref(),
            Some("Antworten Sie auf Ihrem Telefon.")
        );

        let duo = page(
            r#"<form method="post" id="duo_form"><input id="authMethod" type="hidden" name="AuthMethod" value="DuoAdfsAdapter">
            <input type="hidden" name="Context" value="x"></form><iframe id="duo_iframe"></iframe>"#,
        );
        assert!(
            matches!(classify(&duo), Page::UnsupportedMethod { method } if method == "DuoAdfsAdapter")
        );
    }

    #[test]
    fn the_error_page_options_auto_post_and_unknown() {
        let error = page(
            r#"<div id="errorArea"><div id="openingMessage" class="groupMargin bigText">Fehler</div>
            <div id="errorMessage" class="groupMargin"> Kontaktieren Sie Ihren Administrator. </div></div>"#,
        );
        assert!(
            matches!(classify(&error), Page::Error { message: Some(m) } if m == "Kontaktieren Sie Ihren Administrator.")
        );
        let options = page(&format!(
            r##"{OPTIONS}<div id="authOptions"><a href="#" id="AzureMfaAuthentication" class="actionItem" onclick="return SelectOption('AzureMfaAuthentication');">Azure MFA</a>
            <a href="#" id="CertificateAuthentication" onclick="return SelectOption(&quot;CertificateAuthentication&quot;);">Cert</a></div>"##
        ));
        assert!(matches!(classify(&options), Page::Options(o)
            if o.methods == ["AzureMfaAuthentication", "CertificateAuthentication"]));
        let post = page(
            r#"<form method="POST" name="hiddenform" action="https://login.microsoftonline.com:443/login.srf">
            <input type="hidden" name="wa" value="wsignin1.0"><input type="hidden" name="wresult" value="x">
            <noscript><p>Script is disabled.</p><input type="submit" value="Submit"></noscript></form>"#,
        );
        assert!(matches!(classify(&post), Page::AutoSubmit(f) if f.input("wresult").is_some()));
        assert!(matches!(classify(&page(OPTIONS)), Page::Unknown));
        assert!(matches!(
            classify(&page("<p>maintenance</p>")),
            Page::Unknown
        ));
    }

    #[test]
    fn small_parsers() {
        assert_eq!(
            timeout_ms("setTimeout(function(){ f.submit(); }, 5000);"),
            Some(5000)
        );
        assert_eq!(
            timeout_ms("window.setTimeout('document.forms[0].submit()', 0)"),
            Some(0)
        );
        assert_eq!(timeout_ms("setTimeout(go, delay)"), None);
        assert_eq!(timeout_ms("nothing"), None);
        assert_eq!(
            last_quoted("return SelectOption('A');").as_deref(),
            Some("A")
        );
        assert_eq!(last_quoted(r#"SelectOption("B")"#).as_deref(), Some("B"));
        assert_eq!(last_quoted("SelectOption()"), None);
    }
}

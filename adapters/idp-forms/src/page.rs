//! What a page of an HTML-form login is, told from its markup alone.
//!
//! The adapter must work with IdPs in any language, so nothing here reads the words a person
//! sees: pages are told apart by their forms (a password input, a single text input, nothing to
//! fill), and buttons by their `name` and `id` attributes, which templates keep across languages.
//! Everything here is pure, so it is unit-tested without a server.

use aws_runas_idp_support::{Form, FormInput, HtmlPage, Method};

/// Names a user-name input commonly has, compared case-insensitively.
const USERNAME_NAMES: &[&str] = &[
    "username",
    "user",
    "user_name",
    "user-name",
    "userid",
    "user_id",
    "login",
    "loginid",
    "login_id",
    "email",
    "e-mail",
    "mail",
    "j_username",
    "uid",
    "identifier",
    "principal",
    "pf.username",
    "loginfmt",
];

/// Parts of a user-name input's name when it is none of [`USERNAME_NAMES`].
const USERNAME_PARTS: &[&str] = &["user", "login", "mail"];

/// Parts of a button's or form's `name`/`id` that mean "go on".
const PROCEED_PARTS: &[&str] = &[
    "proceed", "accept", "continue", "submit", "allow", "approve", "confirm", "login", "signin",
    "consent", "verify",
];

/// Whole words of a button's or form's `name`/`id` that mean "go on".
const PROCEED_WORDS: &[&str] = &["yes", "ok", "next", "go", "ja"];

/// Parts of a button's or form's `name`/`id` that mean "stop", compared as substrings.
const REFUSE_PARTS: &[&str] = &[
    "reject", "cancel", "deny", "decline", "abort", "refuse", "logout", "signout",
];

/// Whole words of a button's or form's `name`/`id` that mean "stop".
const REFUSE_WORDS: &[&str] = &["no", "back", "reset", "nein"];

/// The overrides from the profile (`forms_*_field`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FieldNames<'a> {
    /// `forms_username_field`.
    pub(crate) username: Option<&'a str>,
    /// `forms_password_field`.
    pub(crate) password: Option<&'a str>,
    /// `forms_otp_field`.
    pub(crate) otp: Option<&'a str>,
}

/// What a page asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PageKind<'p> {
    /// A form with a password input: the login form.
    Login(&'p Form),
    /// A form with one field for a user name and no password: an identifier-first login.
    Username {
        /// The form.
        form: &'p Form,
        /// The name of its user-name input.
        field: &'p str,
    },
    /// A form with one field for a one-time code and no password.
    Otp {
        /// The form.
        form: &'p Form,
        /// The name of its code input.
        field: &'p str,
    },
    /// A form with nothing to fill: an auto-post, consent or "continue" page.
    Continue(&'p Form),
    /// None of these.
    Unknown,
}

/// Tells what `page` asks for.
///
/// The order is: the login form, then a one-field form (a user name when its input is named
/// like one, otherwise a one-time code), then a form with nothing to fill.
/// One-field forms that submit with `GET` are not considered (they are search boxes, and a
/// code must not travel in a URL), unless `forms_otp_field` names their input.
pub(crate) fn classify<'p>(page: &'p HtmlPage, fields: FieldNames<'_>) -> PageKind<'p> {
    if let Some(form) = login_form(page, fields) {
        return PageKind::Login(form);
    }
    let no_password = || page.forms().iter().filter(|f| !f.has_password());
    if let Some(name) = fields.otp {
        let found = no_password().find_map(|f| enabled_input(f, name).map(|i| (f, i)));
        if let Some((form, input)) = found {
            return PageKind::Otp {
                form,
                field: input.name(),
            };
        }
    }
    let single = no_password()
        .filter(|f| f.method() == Method::Post)
        .find_map(|f| {
            let mut inputs = f.user_inputs();
            match (inputs.next(), inputs.next()) {
                (Some(only), None) if is_code_like(only) && !only.name().is_empty() => {
                    Some((f, only))
                }
                _ => None,
            }
        });
    if let Some((form, input)) = single {
        let named_like_user = fields.username == Some(input.name())
            || input.kind() == "email"
            || is_username_name(input.name());
        return if named_like_user {
            PageKind::Username {
                form,
                field: input.name(),
            }
        } else {
            PageKind::Otp {
                form,
                field: input.name(),
            }
        };
    }
    let mut continues = page.forms().iter().filter(|f| f.needs_no_input());
    match continues
        .clone()
        .find(|f| !refuses(f))
        .or_else(|| continues.next())
    {
        Some(form) => PageKind::Continue(form),
        None => PageKind::Unknown,
    }
}

/// The login form: the first form holding `forms_password_field` when that is set, else the
/// first form with a password input.
pub(crate) fn login_form<'p>(page: &'p HtmlPage, fields: FieldNames<'_>) -> Option<&'p Form> {
    fields
        .password
        .and_then(|name| {
            page.forms()
                .iter()
                .find(|f| enabled_input(f, name).is_some())
        })
        .or_else(|| page.form_with_password())
}

/// The user-name input of a login form: `forms_username_field` when set (an error naming it
/// when the form lacks it), else an input with a usual user-name name, else one whose name
/// contains `user`, `login` or `mail`, else the last text input before the password.
/// `Ok(None)` when the form has no user-name input (a password-only page).
pub(crate) fn username_field<'f>(
    form: &'f Form,
    configured: Option<&str>,
) -> Result<Option<&'f str>, String> {
    if let Some(name) = configured {
        return enabled_input(form, name)
            .map(|i| Some(i.name()))
            .ok_or_else(|| {
                format!("the login form has no input named {name:?} (forms_username_field)")
            });
    }
    let password_at = form
        .inputs()
        .iter()
        .position(FormInput::is_password)
        .unwrap_or(form.inputs().len());
    let textlike = |i: &&FormInput| {
        matches!(i.kind(), "text" | "email" | "tel") && !i.name().is_empty() && !i.disabled()
    };
    let before = &form.inputs()[..password_at];
    let found = before
        .iter()
        .filter(textlike)
        .find(|i| is_username_name(i.name()))
        .or_else(|| {
            before.iter().filter(textlike).find(|i| {
                let lower = i.name().to_ascii_lowercase();
                USERNAME_PARTS.iter().any(|p| lower.contains(p))
            })
        })
        .or_else(|| form.username_input());
    Ok(found.map(FormInput::name))
}

/// The password input of a login form: `forms_password_field` when set (an error naming it when
/// the form lacks it), else the first password input.
pub(crate) fn password_field<'f>(
    form: &'f Form,
    configured: Option<&str>,
) -> Result<&'f str, String> {
    match configured {
        Some(name) => enabled_input(form, name)
            .map(FormInput::name)
            .ok_or_else(|| {
                format!("the login form has no input named {name:?} (forms_password_field)")
            }),
        None => form
            .password_input()
            .map(FormInput::name)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| "the login form's password input has no name".to_string()),
    }
}

/// The submit button to press, by the markup of its `name` and `id`: not one that refuses
/// (`_eventId_AttributeReleaseRejected`, `cancel`, `no`), preferably one that goes on
/// (`_eventId_proceed`, `login`, `yes`), else the first named one.
/// `None` when the form has no named button, or only refusing ones: it is then submitted as a
/// script would submit it, without a button.
pub(crate) fn button_to_press(form: &Form) -> Option<&str> {
    let named: Vec<&FormInput> = form
        .inputs()
        .iter()
        .filter(|i| is_button(i) && !refusing(i.name(), i.id()))
        .collect();
    named
        .iter()
        .find(|i| proceeding(i.name(), i.id()))
        .or(named.first())
        .map(|i| i.name())
}

/// Text of the page's first error banner (`role="alert"` and the usual error classes), to show
/// the user why the IdP refused; nothing in it is interpreted (messages quote it with the shared
/// `quote`, which bounds it and leaves out secrets).
pub(crate) fn error_banner(page: &HtmlPage) -> Option<String> {
    const BANNERS: &str = "[role=alert], .alert-error, .alert-danger, .form-error, .error-message, \
        .errors, .error, #error, #errorText, .kc-feedback-text, .message-error, .banner-danger";
    page.select_texts(BANNERS)
        .into_iter()
        .find(|t| !t.is_empty())
}

fn enabled_input<'f>(form: &'f Form, name: &str) -> Option<&'f FormInput> {
    form.inputs()
        .iter()
        .find(|i| i.name() == name && !i.disabled() && !i.is_submit())
}

fn is_code_like(input: &FormInput) -> bool {
    matches!(input.kind(), "text" | "number" | "tel" | "email")
}

fn is_username_name(name: &str) -> bool {
    USERNAME_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Whether every named button of a form, or the form itself, refuses (SimpleSAMLphp's
/// `consent_no` form, a `cancel` form).
fn refuses(form: &Form) -> bool {
    if refusing(form.id().unwrap_or_default(), form.name()) {
        return true;
    }
    let mut buttons = form.inputs().iter().filter(|i| is_button(i)).peekable();
    buttons.peek().is_some() && buttons.all(|i| refusing(i.name(), i.id()))
}

fn words(name: &str, id: Option<&str>) -> Vec<String> {
    let mut out = vec![];
    for text in std::iter::once(name).chain(id) {
        let mut word = String::new();
        let mut prev_lower = false;
        for c in text.chars() {
            if !c.is_ascii_alphanumeric() {
                out.push(std::mem::take(&mut word));
                prev_lower = false;
                continue;
            }
            if c.is_ascii_uppercase() && prev_lower {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c.to_ascii_lowercase());
        }
        out.push(word);
    }
    out.retain(|w| !w.is_empty());
    out
}

fn refusing(name: &str, id: Option<&str>) -> bool {
    let whole = format!("{name} {}", id.unwrap_or_default()).to_ascii_lowercase();
    REFUSE_PARTS.iter().any(|p| whole.contains(p))
        || words(name, id)
            .iter()
            .any(|w| REFUSE_WORDS.contains(&w.as_str()))
}

fn proceeding(name: &str, id: Option<&str>) -> bool {
    let whole = format!("{name} {}", id.unwrap_or_default()).to_ascii_lowercase();
    PROCEED_PARTS.iter().any(|p| whole.contains(p))
        || words(name, id)
            .iter()
            .any(|w| PROCEED_WORDS.contains(&w.as_str()))
}

/// A control that submits the form when pressed.
fn is_button(input: &FormInput) -> bool {
    matches!(input.kind(), "submit" | "image") && !input.name().is_empty() && !input.disabled()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> HtmlPage {
        HtmlPage::parse("https://idp.example.test/idp/sso?execution=e1s1", html)
    }

    fn kind(html: &str, fields: FieldNames<'_>) -> String {
        let p = page(html);
        match classify(&p, fields) {
            PageKind::Login(f) => format!("login {}", f.id().unwrap_or_default()),
            PageKind::Username { field, .. } => format!("username {field}"),
            PageKind::Otp { field, .. } => format!("otp {field}"),
            PageKind::Continue(f) => format!("continue {}", f.id().unwrap_or_default()),
            PageKind::Unknown => "unknown".to_string(),
        }
    }

    const NONE: FieldNames<'static> = FieldNames {
        username: None,
        password: None,
        otp: None,
    };

    #[test]
    fn pages_are_told_apart_by_their_forms() {
        let cases: &[(&str, &str)] = &[
            (
                r#"<form id="search" action="/q"><input name="q"></form>
                   <form id="f" method="post"><input name="j_username"><input type="password" name="j_password"></form>"#,
                "login f",
            ),
            (
                r#"<form method="post"><input type="hidden" name="s" value="1"><input name="token" inputmode="numeric"><input type="checkbox" name="trust"><button name="submit">Go</button></form>"#,
                "otp token",
            ),
            (
                r#"<form method="post"><input type="email" name="identifier"></form>"#,
                "username identifier",
            ),
            (
                r#"<form method="post"><input name="username"></form>"#,
                "username username",
            ),
            (
                r#"<form action="/search"><input name="q"></form>"#,
                "unknown",
            ),
            (
                r#"<form method="post"><input name="a"><input name="b"></form>"#,
                "unknown",
            ),
            (
                r#"<form id="no" action="n"><input type="hidden" name="StateId" value="1"><button name="no">Nein</button></form>
                   <form id="yes" action="y"><input type="hidden" name="StateId" value="1"><button name="yes">Ja</button></form>"#,
                "continue yes",
            ),
            (
                r#"<form id="post" method="post" action="https://sp.example.test/acs"><input type="hidden" name="SAMLRequest" value="x"></form>"#,
                "continue post",
            ),
            ("<p>Wartungsarbeiten</p>", "unknown"),
        ];
        for (html, want) in cases {
            assert_eq!(kind(html, NONE), *want, "{html}");
        }
        // A one-field form is a user-name page when its input is the configured user-name field.
        let fields = FieldNames {
            username: Some("acct"),
            ..NONE
        };
        assert_eq!(
            kind(r#"<form method="post"><input name="acct"></form>"#, fields),
            "username acct"
        );
    }

    #[test]
    fn overrides_pick_the_forms() {
        let two_passwords = r#"<form id="a" method="post"><input name="ident"><input type="password" name="pin"></form>
            <form id="b" method="post"><input name="ident"><input type="password" name="secret"></form>"#;
        let fields = FieldNames {
            password: Some("secret"),
            ..NONE
        };
        assert_eq!(kind(two_passwords, fields), "login b");
        assert_eq!(kind(two_passwords, NONE), "login a");
        let otp = r#"<form method="post"><input name="code"><input name="note"></form>"#;
        assert_eq!(kind(otp, NONE), "unknown");
        let fields = FieldNames {
            otp: Some("code"),
            ..NONE
        };
        assert_eq!(kind(otp, fields), "otp code");
        let get_otp = r#"<form action="/verify"><input name="code"></form>"#;
        assert_eq!(kind(get_otp, NONE), "unknown");
        assert_eq!(kind(get_otp, fields), "otp code");
    }

    #[test]
    fn user_name_inputs_are_found_by_name_then_position() {
        let p = page(
            r#"<form method="post"><input name="tenant" value="corp"><input name="Email"><input name="x"><input type="password" name="pw"></form>
               <form method="post"><input name="acct_ident"><input name="domain_hint"><input type="password" name="pw"></form>
               <form method="post"><input name="UserNameInput"><input name="realm"><input type="password" name="pw"></form>
               <form method="post"><input type="hidden" name="username" value="jane"><input type="password" name="pw"></form>"#,
        );
        let f = p.forms();
        assert_eq!(username_field(&f[0], None).unwrap(), Some("Email"));
        assert_eq!(username_field(&f[1], None).unwrap(), Some("domain_hint"));
        assert_eq!(
            username_field(&f[1], Some("acct_ident")).unwrap(),
            Some("acct_ident")
        );
        assert_eq!(username_field(&f[2], None).unwrap(), Some("UserNameInput"));
        assert_eq!(username_field(&f[3], None).unwrap(), None);
        let e = username_field(&f[1], Some("login")).unwrap_err();
        assert!(
            e.contains("\"login\"") && e.contains("forms_username_field"),
            "{e}"
        );
        assert_eq!(password_field(&f[0], None).unwrap(), "pw");
        let e = password_field(&f[0], Some("secret")).unwrap_err();
        assert!(e.contains("forms_password_field"), "{e}");
    }

    #[test]
    fn buttons_are_chosen_by_their_markup_not_their_words() {
        let p = page(
            r#"<form method="post"><input type="submit" name="_eventId_AttributeReleaseRejected" value="Ablehnen"><input type="submit" name="_eventId_proceed" value="Akzeptieren"></form>
               <form method="post"><button name="cancel">OK</button><button type="button" name="show">x</button><input type="submit" name="login" id="kc-login"></form>
               <form method="post"><input type="submit" name="a"><input type="submit" name="b"></form>
               <form method="post"><input type="submit" name="noButton"><input type="submit" value="anonymous"></form>
               <form method="post"><input type="submit" value="Weiter"></form>"#,
        );
        let f = p.forms();
        assert_eq!(button_to_press(&f[0]), Some("_eventId_proceed"));
        assert_eq!(button_to_press(&f[1]), Some("login"));
        assert_eq!(button_to_press(&f[2]), Some("a"));
        assert_eq!(button_to_press(&f[3]), None);
        assert_eq!(button_to_press(&f[4]), None);
    }

    #[test]
    fn error_banners_are_read_by_markup() {
        let p = page(
            r#"<section><p class="form-element form-error">Das eingegebene   Passwort ist falsch.</p></section><form></form>"#,
        );
        assert_eq!(
            error_banner(&p).as_deref(),
            Some("Das eingegebene Passwort ist falsch.")
        );
        assert_eq!(error_banner(&page("<p>fine</p>")), None);
        let first = page(r#"<div class="error"> </div><div role="alert">Konto gesperrt</div>"#);
        assert_eq!(error_banner(&first).as_deref(), Some("Konto gesperrt"));
    }

    #[test]
    fn words_split_on_case_and_punctuation() {
        assert_eq!(
            words("_eventId_AttributeReleaseRejected", Some("no-button")),
            vec![
                "event",
                "id",
                "attribute",
                "release",
                "rejected",
                "no",
                "button"
            ]
        );
        assert!(refusing("no", None));
        assert!(!refusing("notice", None));
        assert!(!refusing("nonce", Some("kc-login")));
    }
}

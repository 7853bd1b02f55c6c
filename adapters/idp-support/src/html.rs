//! HTML helpers for IdP login pages: forms, their inputs and actions, the `SAMLResponse` of an
//! auto-post page, and CSS-selector queries for recognising a page by its markup.
//!
//! Pages are parsed once into plain owned data ([`HtmlPage`], [`Form`], [`FormInput`]) because the
//! parsed document of `scraper` cannot cross an `.await` in a `Send` future.

use crate::error::display_url;
use crate::http::{HttpRequest, Method};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::SamlAssertion;
use scraper::{ElementRef, Html, Selector};
use std::fmt;
use url::Url;
use zeroize::Zeroize;

/// One parsed HTML page.
///
/// `Debug` shows the URL without its query, the title and the forms, never the `SAMLResponse`.
#[derive(Clone)]
pub struct HtmlPage {
    url: String,
    title: Option<String>,
    forms: Vec<Form>,
    saml_response: Option<String>,
    html: String,
}

impl HtmlPage {
    /// Parses `html` served at `page_url` (form actions are resolved against it).
    pub fn parse(page_url: &str, html: &str) -> Self {
        let doc = Html::parse_document(html);
        let base = Url::parse(page_url).ok();
        let title = doc
            .select(&selector("title"))
            .next()
            .map(|t| collapse_whitespace(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty());
        let forms = doc
            .select(&selector("form"))
            .map(|f| Form::from_element(f, base.as_ref(), page_url))
            .collect();
        HtmlPage {
            url: page_url.to_string(),
            title,
            forms,
            saml_response: saml_response_of(&doc),
            html: html.to_string(),
        }
    }

    /// The page's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `<title>`, whitespace collapsed.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// Every form, in document order.
    pub fn forms(&self) -> &[Form] {
        &self.forms
    }

    /// The first form with a password input: the login form.
    pub fn form_with_password(&self) -> Option<&Form> {
        self.forms.iter().find(|f| f.has_password())
    }

    /// The form with this `id`.
    pub fn form_by_id(&self, id: &str) -> Option<&Form> {
        self.forms.iter().find(|f| f.id() == Some(id))
    }

    /// The first form that can be submitted without asking the user anything (only hidden inputs
    /// and buttons): an auto-post, consent or "continue" page.
    pub fn auto_submit_form(&self) -> Option<&Form> {
        self.forms.iter().find(|f| f.needs_no_input())
    }

    /// The value of the last `<input name="SAMLResponse">`, whitespace removed.
    pub fn saml_response(&self) -> Option<&str> {
        self.saml_response.as_deref()
    }

    /// The `SAMLResponse` as the port's [`SamlAssertion`].
    pub fn saml_assertion(&self) -> Option<SamlAssertion> {
        self.saml_response
            .as_deref()
            .map(|s| SamlAssertion(Secret::new(s)))
    }

    /// Whether any element matches the CSS `selector` (an invalid selector matches nothing).
    pub fn has(&self, selector: &str) -> bool {
        self.query(selector, |doc, sel| doc.select(sel).next().is_some())
            .unwrap_or(false)
    }

    /// The text of every element matching the CSS `selector`, whitespace collapsed.
    pub fn select_texts(&self, selector: &str) -> Vec<String> {
        self.query(selector, |doc, sel| {
            doc.select(sel)
                .map(|e| collapse_whitespace(&e.text().collect::<String>()))
                .collect()
        })
        .unwrap_or_default()
    }

    /// The value of attribute `attr` on every element matching the CSS `selector` that has it.
    pub fn select_attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        self.query(selector, |doc, sel| {
            doc.select(sel)
                .filter_map(|e| e.value().attr(attr).map(String::from))
                .collect()
        })
        .unwrap_or_default()
    }

    fn query<T>(&self, selector: &str, f: impl FnOnce(&Html, &Selector) -> T) -> Option<T> {
        match Selector::parse(selector) {
            Ok(sel) => Some(f(&Html::parse_document(&self.html), &sel)),
            Err(e) => {
                debug_assert!(false, "invalid CSS selector {selector:?}: {e}");
                log::warn!("invalid CSS selector {selector:?}: {e}");
                None
            }
        }
    }
}

impl Drop for HtmlPage {
    fn drop(&mut self) {
        self.html.zeroize();
        if let Some(s) = &mut self.saml_response {
            s.zeroize();
        }
    }
}

impl fmt::Debug for HtmlPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HtmlPage")
            .field("url", &display_url(&self.url))
            .field("title", &self.title)
            .field("forms", &self.forms)
            .field("has_saml_response", &self.saml_response.is_some())
            .finish()
    }
}

/// The value of the last `<input name="SAMLResponse">` in `html`, whitespace removed.
pub fn extract_saml_response(html: &str) -> Option<String> {
    saml_response_of(&Html::parse_document(html))
}

fn saml_response_of(doc: &Html) -> Option<String> {
    doc.select(&selector(r#"input[name="SAMLResponse"]"#))
        .filter_map(|e| e.value().attr("value"))
        .map(|v| {
            v.chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect::<String>()
        })
        .rfind(|v| !v.is_empty())
}

fn selector(s: &str) -> Selector {
    // The selectors of this module are constants, checked by the tests.
    Selector::parse(s).unwrap_or_else(|e| unreachable!("selector {s:?}: {e}"))
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One form: where it goes, how, and its controls.
///
/// `Debug` shows the action without its query and the controls' names and types, never a value.
#[derive(Clone)]
pub struct Form {
    action: String,
    method: Method,
    id: Option<String>,
    name: Option<String>,
    inputs: Vec<FormInput>,
    pressed: Option<usize>,
}

impl Form {
    fn from_element(form: ElementRef<'_>, base: Option<&Url>, page_url: &str) -> Self {
        let attr = |n: &str| form.value().attr(n).map(str::trim);
        let raw_action = attr("action").unwrap_or_default();
        let action = match base {
            Some(base) if raw_action.is_empty() => {
                let mut u = base.clone();
                u.set_fragment(None);
                u.to_string()
            }
            Some(base) => base
                .join(raw_action)
                .map(String::from)
                .unwrap_or_else(|_| raw_action.to_string()),
            None if raw_action.is_empty() => page_url.to_string(),
            None => raw_action.to_string(),
        };
        let method = if attr("method").is_some_and(|m| m.eq_ignore_ascii_case("post")) {
            Method::Post
        } else {
            Method::Get
        };
        let inputs = form
            .select(&selector("input, select, textarea, button"))
            .map(FormInput::from_element)
            .collect();
        Form {
            action,
            method,
            id: attr("id").map(String::from),
            name: attr("name").map(String::from),
            inputs,
            pressed: None,
        }
    }

    /// The absolute URL the form submits to (the page's URL when it has no `action`).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// `POST` or `GET`.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The `id` attribute.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The `name` attribute.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Every control (`input`, `select`, `textarea`, `button`), in document order.
    pub fn inputs(&self) -> &[FormInput] {
        &self.inputs
    }

    /// The first control with this `name`.
    pub fn input(&self, name: &str) -> Option<&FormInput> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// The first control with this `id`.
    pub fn input_by_id(&self, id: &str) -> Option<&FormInput> {
        self.inputs.iter().find(|i| i.id.as_deref() == Some(id))
    }

    /// Whether the form has a password input.
    pub fn has_password(&self) -> bool {
        self.password_input().is_some()
    }

    /// The first password input.
    pub fn password_input(&self) -> Option<&FormInput> {
        self.inputs.iter().find(|i| i.is_password())
    }

    /// The user-name input: the last text-like input (text, email, tel) before the password
    /// input, or the first one when the form has no password input.
    pub fn username_input(&self) -> Option<&FormInput> {
        let textlike = |i: &&FormInput| {
            matches!(i.kind.as_str(), "text" | "email" | "tel") && !i.name.is_empty() && !i.disabled
        };
        match self.inputs.iter().position(FormInput::is_password) {
            Some(p) => self.inputs[..p].iter().rfind(textlike),
            None => self.inputs.iter().find(textlike),
        }
    }

    /// The controls a user would have to fill (text-like, password, select, textarea), enabled ones only.
    pub fn user_inputs(&self) -> impl Iterator<Item = &FormInput> {
        self.inputs.iter().filter(|i| i.needs_user() && !i.disabled)
    }

    /// Whether the form can be submitted as it is: it has no control for the user to fill.
    pub fn needs_no_input(&self) -> bool {
        self.user_inputs().next().is_none()
    }

    /// Sets the value of the first control named `name`, adding a hidden input when there is none.
    /// A checkbox or radio button so named is checked.
    pub fn fill(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        match self.inputs.iter_mut().find(|i| i.name == name) {
            Some(input) => {
                input.value.zeroize();
                input.value = value;
                input.checked = true;
                input.disabled = false;
            }
            None => self.inputs.push(FormInput {
                name: name.to_string(),
                kind: "hidden".to_string(),
                value,
                id: None,
                checked: false,
                disabled: false,
                options: vec![],
            }),
        }
        self
    }

    /// Picks `value` for a radio group or a select named `name`; `false` when no such option exists.
    pub fn choose(&mut self, name: &str, value: &str) -> bool {
        let radios = self
            .inputs
            .iter()
            .any(|i| i.name == name && i.kind == "radio" && i.value == value);
        if radios {
            for i in self
                .inputs
                .iter_mut()
                .filter(|i| i.name == name && i.kind == "radio")
            {
                i.checked = i.value == value;
            }
            return true;
        }
        match self
            .inputs
            .iter_mut()
            .find(|i| i.name == name && i.kind == "select")
        {
            Some(select) if select.options.iter().any(|o| o == value) => {
                select.value = value.to_string();
                true
            }
            _ => false,
        }
    }

    /// Submits with the submit button named `name` (its name and value are sent, as a browser
    /// sends the button clicked); `false` when there is no such button.
    pub fn press(&mut self, name: &str) -> bool {
        self.pressed = self
            .inputs
            .iter()
            .position(|i| i.name == name && i.is_submit());
        self.pressed.is_some()
    }

    /// The fields a browser would submit: named, enabled controls; checkboxes and radios only
    /// when checked; buttons only when pressed.
    pub fn fields(&self) -> Vec<(String, String)> {
        self.inputs
            .iter()
            .enumerate()
            .filter(|(_, i)| !i.name.is_empty() && !i.disabled)
            .filter(|(n, i)| match i.kind.as_str() {
                "checkbox" | "radio" => i.checked,
                "submit" | "image" | "button" => self.pressed == Some(*n),
                "reset" | "file" => false,
                _ => true,
            })
            .map(|(_, i)| (i.name.clone(), i.value.clone()))
            .collect()
    }

    /// The request that submits the form: a `POST` with a form body, or a `GET` whose query is
    /// the fields.
    pub fn to_request(&self) -> HttpRequest {
        match self.method {
            Method::Post => HttpRequest::post(self.action.clone()).form(self.fields()),
            _ => {
                let url = match Url::parse(&self.action) {
                    Ok(mut u) => {
                        u.set_query(None);
                        u.query_pairs_mut().extend_pairs(self.fields());
                        u.to_string()
                    }
                    Err(_) => self.action.clone(),
                };
                HttpRequest::get(url)
            }
        }
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("action", &display_url(&self.action))
            .field("method", &self.method)
            .field("id", &self.id)
            .field("inputs", &self.inputs)
            .finish()
    }
}

/// One form control.
///
/// `kind` is the lower-case `type` (`text` when an `<input>` has none; `select` and `textarea`
/// for those elements; a `<button>` is `submit` unless its `type` says otherwise).
/// `Debug` never shows the value.
#[derive(Clone)]
pub struct FormInput {
    name: String,
    kind: String,
    value: String,
    id: Option<String>,
    checked: bool,
    disabled: bool,
    options: Vec<String>,
}

impl FormInput {
    fn from_element(e: ElementRef<'_>) -> Self {
        let el = e.value();
        let attr = |n: &str| el.attr(n).map(str::to_string);
        let tag = el.name();
        let (kind, value, options) = match tag {
            "select" => {
                let options: Vec<(String, bool)> = e
                    .select(&selector("option"))
                    .map(|o| {
                        let value = o
                            .value()
                            .attr("value")
                            .map(String::from)
                            .unwrap_or_else(|| collapse_whitespace(&o.text().collect::<String>()));
                        (value, o.value().attr("selected").is_some())
                    })
                    .collect();
                let value = options
                    .iter()
                    .find(|(_, selected)| *selected)
                    .or(options.first())
                    .map(|(v, _)| v.clone())
                    .unwrap_or_default();
                (
                    "select".to_string(),
                    value,
                    options.into_iter().map(|(v, _)| v).collect(),
                )
            }
            "textarea" => ("textarea".to_string(), e.text().collect::<String>(), vec![]),
            "button" => (
                attr("type")
                    .map(|t| t.trim().to_ascii_lowercase())
                    .unwrap_or_else(|| "submit".to_string()),
                attr("value").unwrap_or_default(),
                vec![],
            ),
            _ => {
                let kind = attr("type")
                    .map(|t| t.trim().to_ascii_lowercase())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "text".to_string());
                let default = if matches!(kind.as_str(), "checkbox" | "radio") {
                    "on"
                } else {
                    ""
                };
                (
                    kind,
                    attr("value").unwrap_or_else(|| default.to_string()),
                    vec![],
                )
            }
        };
        FormInput {
            name: attr("name").unwrap_or_default(),
            kind,
            value,
            id: attr("id"),
            checked: el.attr("checked").is_some(),
            disabled: el.attr("disabled").is_some(),
            options,
        }
    }

    /// The `name` attribute (empty when absent).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The control's type, lower-case.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The current value (the `value` attribute, the selected option, or what was filled in).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The `id` attribute.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether a checkbox or radio button is checked.
    pub fn checked(&self) -> bool {
        self.checked
    }

    /// Whether the control is disabled (and so not submitted).
    pub fn disabled(&self) -> bool {
        self.disabled
    }

    /// The option values of a `select`.
    pub fn options(&self) -> &[String] {
        &self.options
    }

    /// Whether this is a hidden input.
    pub fn is_hidden(&self) -> bool {
        self.kind == "hidden"
    }

    /// Whether this is a password input.
    pub fn is_password(&self) -> bool {
        self.kind == "password"
    }

    /// Whether this is a button (`submit`, `image`, `button`, `reset`).
    pub fn is_submit(&self) -> bool {
        matches!(self.kind.as_str(), "submit" | "image" | "button" | "reset")
    }

    /// Whether a user would fill this control in (not hidden, not a button, not a checkbox or radio).
    pub fn needs_user(&self) -> bool {
        !self.is_hidden()
            && !self.is_submit()
            && !matches!(self.kind.as_str(), "checkbox" | "radio" | "file")
    }
}

impl Drop for FormInput {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl fmt::Debug for FormInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormInput")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"<!DOCTYPE html><html><head><title>
        Sign in to Example </title></head><body>
      <form id="search" action="/search"><input name="q"></form>
      <form id="kc-form-login" action="login-actions/authenticate?session_code=abc&amp;tab_id=x" method="post">
        <input type="hidden" name="csrf" value="tok">
        <label>User <input id="username" name="username" type="text" value="" autofocus></label>
        <input id="password" name="password" type="password">
        <input type="checkbox" name="rememberMe" id="rememberMe">
        <input type="checkbox" name="agree" checked>
        <input type="hidden" name="off" value="1" disabled>
        <select name="lang"><option value="en">English</option><option value="de" selected>Deutsch</option></select>
        <input type="submit" name="login" id="kc-login" value="Sign In">
      </form></body></html>"#;

    #[test]
    fn finds_the_login_form_and_resolves_its_action() {
        let page = HtmlPage::parse("https://idp.example.com/realms/x/protocol/saml?a=1", LOGIN);
        assert_eq!(page.title(), Some("Sign in to Example"));
        assert_eq!(page.forms().len(), 2);
        let form = page.form_with_password().unwrap();
        assert_eq!(form.id(), Some("kc-form-login"));
        assert_eq!(
            form.action(),
            "https://idp.example.com/realms/x/protocol/login-actions/authenticate?session_code=abc&tab_id=x"
        );
        assert_eq!(form.method(), Method::Post);
        assert_eq!(form.username_input().unwrap().name(), "username");
        assert_eq!(form.password_input().unwrap().id(), Some("password"));
        assert_eq!(form.input_by_id("kc-login").unwrap().kind(), "submit");
        assert!(!form.needs_no_input());
        assert_eq!(
            page.form_by_id("search").unwrap().action(),
            "https://idp.example.com/search"
        );
        assert_eq!(page.auto_submit_form().map(Form::id), None);
    }

    #[test]
    fn filling_and_submitting_like_a_browser() {
        let page = HtmlPage::parse("https://idp.example.com/login", LOGIN);
        let mut form = page.form_with_password().unwrap().clone();
        form.fill("username", "jane")
            .fill("password", "hunter2")
            .fill("extra", "1");
        assert!(form.choose("lang", "en"));
        assert!(!form.choose("lang", "fr"));
        let fields = form.fields();
        let expect: Vec<(String, String)> = [
            ("csrf", "tok"),
            ("username", "jane"),
            ("password", "hunter2"),
            ("agree", "on"),
            ("lang", "en"),
            ("extra", "1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(fields, expect);
        assert!(form.press("login"));
        assert!(
            form.fields()
                .contains(&("login".to_string(), "Sign In".to_string()))
        );
        let req = form.to_request();
        assert_eq!(req.method(), Method::Post);
        assert_eq!(req.form_fields().unwrap().len(), 7);
        let shown = format!("{form:?} {page:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok"),
            "{shown}"
        );
    }

    #[test]
    fn get_forms_put_their_fields_in_the_query() {
        let page = HtmlPage::parse(
            "https://idp.example.com/a",
            r#"<form action="/search?old=1#frag"><input name="q" value="a b"><input type="radio" name="r" value="1"><input type="radio" name="r" value="2" checked></form>"#,
        );
        let mut form = page.forms()[0].clone();
        assert_eq!(
            form.to_request().url(),
            "https://idp.example.com/search?q=a+b&r=2#frag"
        );
        assert!(form.choose("r", "1"));
        assert_eq!(form.fields()[1], ("r".to_string(), "1".to_string()));
    }

    #[test]
    fn auto_post_pages_and_the_saml_response() {
        let html = r#"<html><body onload="document.forms[0].submit()">
          <form method="post" action="https://signin.aws.amazon.com/saml">
            <input type="hidden" name="SAMLResponse" value="Zmlyc3Q=">
            <input type="hidden" name="SAMLResponse" value="UEhO
              aGJX&#x78;=">
            <input type="hidden" name="RelayState" value="">
            <noscript><button type="submit">Continue</button></noscript>
          </form></body></html>"#;
        let page = HtmlPage::parse("https://idp.example.com/sso", html);
        assert_eq!(page.saml_response(), Some("UEhOaGJXx="));
        assert_eq!(extract_saml_response(html).as_deref(), Some("UEhOaGJXx="));
        assert_eq!(page.saml_assertion().unwrap().0.expose(), "UEhOaGJXx=");
        let form = page.auto_submit_form().unwrap();
        assert_eq!(form.action(), "https://signin.aws.amazon.com/saml");
        assert_eq!(form.fields().len(), 3);
        assert!(!format!("{page:?}").contains("UEhO"));
        assert_eq!(extract_saml_response("<p>nothing</p>"), None);
        assert_eq!(
            extract_saml_response(r#"<input name="SAMLResponse" value="">"#),
            None
        );
    }

    #[test]
    fn markup_queries() {
        let page = HtmlPage::parse(
            "https://idp.example.com/",
            r#"<div id="kc-error-message"><p class="instruction">Ungültiger   Benutzername</p></div><span id="input-error" aria-live="polite">x</span>"#,
        );
        assert!(page.has("#kc-error-message"));
        assert!(!page.has(".alert-success"));
        assert_eq!(
            page.select_texts("#kc-error-message .instruction"),
            vec!["Ungültiger Benutzername"]
        );
        assert_eq!(page.select_attrs("span", "aria-live"), vec!["polite"]);
    }

    #[test]
    fn controls_of_every_kind() {
        let page = HtmlPage::parse(
            "https://idp.example.com/otp",
            r#"<form method=POST><input name="otp" id="otp" autocomplete="one-time-code">
            <textarea name="note">hi</textarea><button name="go" value="1">Go</button>
            <input type="file" name="f"></form>"#,
        );
        let form = &page.forms()[0];
        assert_eq!(form.action(), "https://idp.example.com/otp");
        let kinds: Vec<&str> = form.inputs().iter().map(FormInput::kind).collect();
        assert_eq!(kinds, vec!["text", "textarea", "submit", "file"]);
        assert_eq!(form.user_inputs().count(), 2);
        assert_eq!(form.username_input().unwrap().name(), "otp");
        assert_eq!(
            form.fields(),
            vec![
                ("otp".to_string(), String::new()),
                ("note".to_string(), "hi".to_string())
            ]
        );
    }
}

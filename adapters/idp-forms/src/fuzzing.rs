//! Entry point for the fuzz target in `fuzz/`: how this adapter reads a login page, run over
//! arbitrary HTML without a network. Not meant for other callers.

use crate::page::{
    FieldNames, PageKind, button_to_press, classify, error_banner, password_field, username_field,
};
use aws_runas_idp_support::{HtmlPage, extract_saml_response};

/// Reads `html` (served from `page_url`) as the adapter reads each page of a login, with the
/// `forms_*_field` overrides given: what the page asks for, the form filled in and pressed as the
/// adapter would, the error banner and any SAML response. Returns a summary (fuzz input only, so
/// values are shown) so that nothing is optimised away.
pub fn read_page(
    html: &str,
    page_url: &str,
    username: Option<&str>,
    password: Option<&str>,
    otp: Option<&str>,
) -> String {
    let page = HtmlPage::parse(page_url, html);
    let fields = FieldNames {
        username,
        password,
        otp,
    };
    let mut out = format!(
        "{:?} {} forms {:?} {:?}\n",
        page.title(),
        page.forms().len(),
        error_banner(&page),
        extract_saml_response(html).map(|s| s.len()),
    );
    if let Some(a) = page.saml_assertion() {
        out.push_str(&format!("assertion {a:?}\n"));
    }
    for form in page.forms() {
        out.push_str(&format!(
            "{} {:?} {:?} {} {}\n",
            form.action(),
            form.id(),
            form.fields(),
            form.needs_no_input(),
            form.user_inputs().count()
        ));
    }
    let chosen = match classify(&page, fields) {
        PageKind::Login(form) => {
            let mut form = form.clone();
            if let Ok(Some(user)) = username_field(&form, fields.username) {
                let user = user.to_string();
                form.fill(&user, "fuzz-user");
            }
            if let Ok(pass) = password_field(&form, fields.password) {
                let pass = pass.to_string();
                form.fill(&pass, "fuzz-password");
            }
            Some(form)
        }
        PageKind::Username { form, field } | PageKind::Otp { form, field } => {
            let mut form = form.clone();
            let field = field.to_string();
            form.fill(&field, "123456");
            Some(form)
        }
        PageKind::Continue(form) => Some(form.clone()),
        PageKind::Unknown => None,
    };
    if let Some(mut form) = chosen {
        if let Some(button) = button_to_press(&form).map(str::to_string) {
            form.press(&button);
        }
        let request = form.to_request();
        out.push_str(&format!(
            "{} {} {:?}\n",
            request.method().as_str(),
            request.url(),
            request.form_fields()
        ));
    }
    out
}

//! Entry point for the fuzz target in `fuzz/`: what this adapter reads out of an Azure AD page
//! (the `$Config` object and the `SAMLRequest` redirect script), run over arbitrary text without a
//! network. Not meant for other callers.

use crate::config::{ServerConfig, describe_error, saml_request_url};

/// Reads `html` (served from `page_url`) as the adapter reads each Azure AD page: its `$Config`
/// with every field the login looks at, and its `SAMLRequest` redirect. Returns a summary (field
/// names and values read, no secrets hidden: fuzz input only) so that nothing is optimised away.
pub fn read_page(html: &str, page_url: &str) -> String {
    let mut out = String::new();
    match ServerConfig::find(html) {
        None => out.push_str("no $Config\n"),
        Some(Err(e)) => out.push_str(&format!("$Config syntax {}:{}\n", e.line, e.column)),
        Some(Ok(c)) => {
            out.push_str(&format!(
                "{:?} {:?} {:?} {:?} {} {:?} {:?} {:?} {:?}\n",
                c.page_id(),
                c.url_post(),
                c.flow_token(),
                c.context(),
                c.flow_token_name(),
                c.canary(),
                c.api_headers(),
                c.session_id(),
                c.posted_username(),
            ));
            let code = c.error_code();
            if let Some(code) = &code {
                out.push_str(&format!("{:?}\n", describe_error(code).map(|(_, s)| s)));
            }
            out.push_str(&format!(
                "{code:?} {:?} {:?} {:?} {} {:?} {:?} {:?} {:?} {} {}\n",
                c.error_text(),
                c.federation_redirect_url(),
                c.has_password(),
                c.user_unknown(),
                c.url_begin_auth(),
                c.url_end_auth(),
                c.url_skip_mfa_registration(),
                c.polling_interval("PhoneAppNotification"),
                c.is_kmsi(),
                c.is_sign_in(),
            ));
            for p in c.user_proofs() {
                out.push_str(&format!("{} {} {}\n", p.method, p.display, p.is_default));
            }
        }
    }
    out.push_str(&format!("{:?}\n", saml_request_url(html, page_url)));
    out
}

//! The login walk: from the sign-on URL through the AD FS pages (forms login, additional
//! authentication) to the page that ends the login.
//!
//! The walk does not know what ends it: a [`Goal`] does. The SAML goal stops at the `hiddenform`
//! carrying a `SAMLResponse`; the session goal (what Azure AD needs for a federated user) stops as
//! soon as AD FS hands the signed-in user back, before any assertion is posted anywhere.

use crate::pages::{
    self, AUTH_METHOD_FIELD, CodePage, FORMS_AUTHENTICATION, LoginPage, OptionsPage, PUSH_METHODS,
    Page, PushPage,
};
use crate::settings::AdfsSettings;
use aws_runas_domain::ports::idp::{IdpError, SamlAssertion};
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_idp_support::{
    Form, HtmlPage, HttpClient, HttpRequest, HttpResponse, LoginAnswers, Method, MfaChoice, Poll,
    RedirectAction, Wait, display_url, wait_for,
};
use std::sync::{Arc, Mutex, PoisonError};
use url::Url;

/// How many pages one login may go through before it is called stuck (a push wait counts once).
const MAX_PAGES: usize = 15;

/// How many one-time codes are tried before giving up.
const MAX_CODES: usize = 3;

const OPENING: &str = "opening the ad fs sign-on page";
const POSTING_USERNAME: &str = "posting the user name";
const POSTING_PASSWORD: &str = "posting the password";
const POSTING_CODE: &str = "posting the one-time code";
const CHOOSING_METHOD: &str = "choosing the additional authentication method";
const WAITING: &str = "waiting for the push approval";
const CONTINUING: &str = "submitting an intermediate ad fs form";

/// The field of a WS-Federation sign-in response.
const WS_FED_RESULT: &str = "wresult";

/// What a login is after, and how to tell it has arrived.
pub(crate) trait Goal: Send + Sync {
    /// What the login produces.
    type Output: Send;

    /// The product, when this page ends the login.
    fn reached(&self, page: &HtmlPage) -> Option<Self::Output>;

    /// The product, when AD FS auto-posts `form` somewhere else (the user is signed in and
    /// handed back to a relying party).
    fn handed_back(&self, _form: &Form, _page: &HtmlPage) -> Option<Self::Output> {
        None
    }
}

/// The SAML goal: the `hiddenform` with a `SAMLResponse`.
#[derive(Debug)]
pub(crate) struct SamlGoal;

impl Goal for SamlGoal {
    type Output = SamlAssertion;

    fn reached(&self, page: &HtmlPage) -> Option<SamlAssertion> {
        page.saml_assertion()
    }
}

/// The session goal: AD FS has signed the user in and posts a token back to a relying party
/// (a `SAMLResponse`, a WS-Federation `wresult`, or any auto-post to another host). Nothing is
/// posted: the caller goes on with the session cookies.
#[derive(Debug)]
pub(crate) struct SessionGoal;

impl Goal for SessionGoal {
    type Output = ();

    fn reached(&self, page: &HtmlPage) -> Option<()> {
        let token = page.saml_response().is_some()
            || page
                .forms()
                .iter()
                .any(|f| f.input(WS_FED_RESULT).is_some());
        token.then_some(())
    }

    fn handed_back(&self, form: &Form, page: &HtmlPage) -> Option<()> {
        let host = |u: &str| {
            Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
        };
        (host(form.action()) != host(page.url())).then_some(())
    }
}

/// One configured AD FS login: settings, client, and the answers of the user (asked once).
#[derive(Debug)]
pub(crate) struct Login {
    settings: AdfsSettings,
    http: HttpClient,
    answers: LoginAnswers,
}

/// What one run of the walk has done so far.
#[derive(Default)]
struct Progress {
    sent_username: bool,
    sent_password: bool,
    codes_sent: usize,
    methods_chosen: usize,
}

impl Login {
    pub(crate) fn new(
        settings: AdfsSettings,
        http: HttpClient,
        prompter: Arc<dyn Prompter>,
    ) -> Self {
        let answers = LoginAnswers::for_login(prompter, settings.login());
        Login {
            settings,
            http,
            answers,
        }
    }

    /// Walks the login until `goal` is reached.
    ///
    /// # Errors
    /// [`IdpError::bad_credentials`] when AD FS refuses the user name or password, or stops the
    /// user with its error page (a locked or disabled account); [`IdpError::mfa_rejected`] when
    /// it refuses [`MAX_CODES`] one-time codes or the push is not approved;
    /// [`IdpError::mfa_timeout`] when the push wait runs out; [`IdpError::unsupported`] for
    /// Windows integrated authentication and additional methods this adapter cannot answer;
    /// [`IdpError::configuration`] when `mfa_type` forbids what AD FS asks, for an error page
    /// before any credential was sent (the sign-on page disabled, an unknown relying party) and
    /// a relying party that answers WS-Federation; [`IdpError::unavailable`] for network failures
    /// and error statuses; [`IdpError::unexpected_page`] for pages nobody knows, a form that
    /// would send its fields in a URL, and a walk that goes round in circles; a prompt error when
    /// a question gets no answer.
    pub(crate) async fn walk<G: Goal>(&self, goal: &G) -> Result<G::Output, IdpError> {
        let url = self.settings.login_url();
        let mut progress = Progress::default();
        let mut response = self.send(HttpRequest::get(url).step(OPENING)).await?;
        for _ in 0..MAX_PAGES {
            let next = {
                refuse_windows_auth(&response)?;
                let page = response.html();
                if let Some(output) = goal.reached(&page) {
                    return Ok(output);
                }
                if response.status() >= 500 {
                    return Err(response.status_error().into());
                }
                let kind = pages::classify(&page);
                log::debug!(
                    "adfs: {} answered {} ({})",
                    display_url(response.url()),
                    kind.kind(),
                    response.status()
                );
                match kind {
                    Page::Login(login) => self.answer_login(login, &response, &mut progress)?,
                    Page::Code(code) => self.answer_code(code, &response, &mut progress)?,
                    Page::Push(push) => {
                        response = self.wait_for_push(push, &response).await?;
                        continue;
                    }
                    Page::Options(options) => {
                        self.choose_method(options, &response, &mut progress)?
                    }
                    Page::UnsupportedMethod { method } => {
                        return Err(unsupported_method(&method, &response));
                    }
                    Page::Error { message } => {
                        return Err(self.error_page(message, &response, &progress));
                    }
                    Page::AutoSubmit(form) => {
                        if let Some(output) = goal.handed_back(&form, &page) {
                            return Ok(output);
                        }
                        if form.input(WS_FED_RESULT).is_some() {
                            return Err(IdpError::configuration(format!(
                                "ad fs answered a ws-federation sign-in instead of a saml response at {}: the relying party {:?} is not a saml relying party; check adfs_relying_party",
                                display_url(response.url()),
                                self.settings.relying_party()
                            )));
                        }
                        form.to_request().step(CONTINUING)
                    }
                    Page::Unknown if !response.is_success() => {
                        return Err(response.status_error().into());
                    }
                    Page::Unknown => return Err(response.unexpected_page().into()),
                }
            };
            response = self.send(next).await?;
        }
        Err(IdpError::unexpected_page(format!(
            "the ad fs login at {} did not finish within {MAX_PAGES} pages",
            display_url(url)
        )))
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, IdpError> {
        Ok(self
            .http
            .send_following(request, |_| RedirectAction::Follow)
            .await?)
    }

    fn answer_login(
        &self,
        login: LoginPage,
        response: &HttpResponse,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        let asks_again = (login.password_field.is_some() && progress.sent_password)
            || (login.password_field.is_none() && progress.sent_username);
        if asks_again {
            let what = if progress.sent_password {
                "the user name or password"
            } else {
                "the user name"
            };
            return Err(IdpError::bad_credentials(format!(
                "ad fs did not accept {what} of {} at {}{}; the password is not tried again, so that the account does not get locked",
                self.answers.who(),
                display_url(response.url()),
                self.quote(login.error),
            )));
        }
        let mut form = login.form;
        refuse_get(&form, response)?;
        if let Some(field) = &login.username_field {
            let username = self.username()?;
            form.fill(field, username);
            progress.sent_username = true;
        }
        if form
            .input(AUTH_METHOD_FIELD)
            .is_none_or(|i| i.value().trim().is_empty())
        {
            form.fill(AUTH_METHOD_FIELD, FORMS_AUTHENTICATION);
        }
        let step = match &login.password_field {
            Some(field) => {
                let password = self.answers.password()?;
                form.fill(field, password.expose());
                progress.sent_password = true;
                POSTING_PASSWORD
            }
            None => POSTING_USERNAME,
        };
        Ok(form.to_request().step(step))
    }

    fn answer_code(
        &self,
        code_page: CodePage,
        response: &HttpResponse,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        let CodePage {
            mut form,
            method,
            field,
            error,
        } = code_page;
        if matches!(self.settings.mfa_type(), MfaChoice::None | MfaChoice::Push) {
            return Err(IdpError::configuration(format!(
                "ad fs asks for a one-time code ({method}) at {}, but mfa_type is {}; set mfa_type to auto or code",
                display_url(response.url()),
                self.settings.mfa_type()
            )));
        }
        if progress.codes_sent >= MAX_CODES {
            return Err(IdpError::mfa_rejected(format!(
                "ad fs refused {MAX_CODES} one-time codes ({method}) at {}{}",
                display_url(response.url()),
                self.quote(error),
            )));
        }
        if progress.codes_sent > 0 {
            self.answers.prompter().notice(&format!(
                "ad fs did not accept the one-time code{}; enter a new one",
                self.quote(error)
            ));
        }
        refuse_get(&form, response)?;
        let code = self.answers.code("MFA code: ")?;
        if code.expose().trim().is_empty() {
            return Err(IdpError::mfa_rejected(format!(
                "no one-time code was given for {method} at {}",
                display_url(response.url())
            )));
        }
        form.fill(&field, code.expose().trim());
        progress.codes_sent += 1;
        Ok(form.to_request().step(POSTING_CODE))
    }

    /// Waits on the Azure MFA page: it is posted again, at the interval it asks for, until the
    /// answer is another page. Returns that page.
    async fn wait_for_push(
        &self,
        push: PushPage,
        response: &HttpResponse,
    ) -> Result<HttpResponse, IdpError> {
        if matches!(self.settings.mfa_type(), MfaChoice::None | MfaChoice::Code) {
            return Err(IdpError::configuration(format!(
                "ad fs waits for a sign-in approval on your phone ({}) at {}, but mfa_type is {}; set mfa_type to auto or push",
                push.method,
                display_url(response.url()),
                self.settings.mfa_type()
            )));
        }
        if push.error.is_some() {
            return Err(self.push_refused(push.error, response));
        }
        refuse_get(&push.form, response)?;
        if let Some(instructions) = &push.instructions {
            log::debug!("adfs: the wait page says {instructions:?}");
        }
        let what = match &push.number {
            Some(n) => {
                format!("approve the sign-in in Microsoft Authenticator by entering the number {n}")
            }
            None => "approve the sign-in on your phone (Microsoft Authenticator, or the call)"
                .to_string(),
        };
        let wait = Wait {
            what,
            interval: push.interval,
            bound: self.settings.mfa_wait_bound(),
        };
        let method = push.method.clone();
        // The wait page changes its `Context` each time: the next poll posts the latest one.
        let next = Mutex::new(push.form.to_request().step(WAITING));
        let mut first = true;
        wait_for(self.answers.prompter().as_ref(), &wait, || {
            // The push went out when the page was made: give the user the page's interval before
            // the first post.
            let skip = std::mem::replace(&mut first, false);
            let request = next.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let (next, method) = (&next, &method);
            async move {
                if skip {
                    return Ok(Poll::Pending(None));
                }
                let polled = self.send(request).await?;
                if let Page::Push(again) = pages::classify(&polled.html())
                    && &again.method == method
                {
                    if again.error.is_some() {
                        return Err(self.push_refused(again.error, &polled));
                    }
                    *next.lock().unwrap_or_else(PoisonError::into_inner) =
                        again.form.to_request().step(WAITING);
                    return Ok(Poll::Pending(Some(again.interval)));
                }
                Ok(Poll::Ready(polled))
            }
        })
        .await
    }

    fn push_refused(&self, error: Option<String>, response: &HttpResponse) -> IdpError {
        IdpError::mfa_rejected(format!(
            "the sign-in of {} was not approved on the phone at {}{}",
            self.answers.who(),
            display_url(response.url()),
            self.quote(error)
        ))
    }

    fn choose_method(
        &self,
        options: OptionsPage,
        response: &HttpResponse,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        let OptionsPage { mut form, methods } = options;
        if self.settings.mfa_type() == MfaChoice::None {
            return Err(IdpError::configuration(format!(
                "ad fs asks for an additional authentication method ({}) at {}, but mfa_type is none; set mfa_type to auto, code or push",
                methods.join(", "),
                display_url(response.url())
            )));
        }
        if progress.methods_chosen > 0 {
            return Err(IdpError::unexpected_page(format!(
                "ad fs offered the authentication methods again at {} after one was chosen",
                display_url(response.url())
            )));
        }
        let Some(chosen) = PUSH_METHODS
            .iter()
            .find(|m| methods.iter().any(|o| o == *m))
        else {
            return Err(IdpError::unsupported(format!(
                "ad fs offers the authentication methods {} at {}; aws-runas supports {} (verification codes and push approvals) and methods that ask for one code",
                methods.join(", "),
                display_url(response.url()),
                PUSH_METHODS.join(" and ")
            )));
        };
        log::debug!("adfs: choosing {chosen} among {methods:?}");
        refuse_get(&form, response)?;
        form.fill(AUTH_METHOD_FIELD, *chosen);
        progress.methods_chosen += 1;
        Ok(form.to_request().step(CHOOSING_METHOD))
    }

    fn error_page(
        &self,
        message: Option<String>,
        response: &HttpResponse,
        progress: &Progress,
    ) -> IdpError {
        let url = display_url(response.url());
        let quoted = self.quote(message);
        if progress.sent_password || progress.sent_username {
            IdpError::bad_credentials(format!(
                "ad fs stopped the sign-in of {} with an error page at {url}{quoted}; the account may be locked or disabled, or lack a second factor",
                self.answers.who(),
            ))
        } else {
            // An error page before any credential was sent: the farm does not serve this sign-on.
            IdpError::configuration(format!(
                "ad fs answered an error page at {url}{quoted}; check that the IdP-initiated sign-on page is enabled (Set-AdfsProperties -EnableIdpInitiatedSignonPage $true) and that the relying party {:?} exists",
                self.settings.relying_party()
            ))
            .at_step(response.step())
        }
    }

    /// The user name: configured, else asked once; an empty answer is an error.
    fn username(&self) -> Result<String, IdpError> {
        let username = self.answers.username()?;
        if username.is_empty() {
            return Err(IdpError::configuration(
                "no user name for the ad fs login: set saml_username or answer the prompt",
            ));
        }
        Ok(username)
    }

    /// `: "<AD FS's message>"` for an error, or nothing; a message that would show a secret of
    /// this login is left out.
    fn quote(&self, message: Option<String>) -> String {
        self.answers.quote(message.as_deref().unwrap_or_default())
    }
}

/// Windows integrated authentication (Kerberos or NTLM) needs a domain-joined machine and a
/// Negotiate/NTLM handshake the shared client does not do.
fn refuse_windows_auth(response: &HttpResponse) -> Result<(), IdpError> {
    let asks = response.status() == 401
        && response
            .headers()
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
            .any(|(_, v)| {
                let v = v.trim_start().to_ascii_lowercase();
                v.starts_with("negotiate") || v.starts_with("ntlm")
            });
    if asks {
        return Err(IdpError::unsupported(format!(
            "ad fs asks for windows integrated authentication (kerberos/ntlm) at {}, which aws-runas does not support; ask the ad fs administrators to allow forms authentication for this client",
            display_url(response.url())
        )));
    }
    Ok(())
}

/// Passwords and codes travel in `POST` bodies only, never in a URL.
fn refuse_get(form: &Form, response: &HttpResponse) -> Result<(), IdpError> {
    if form.method() == Method::Post {
        return Ok(());
    }
    Err(IdpError::unexpected_page(format!(
        "the ad fs form at {} would send its fields in a url (method get); refused",
        display_url(response.url())
    )))
}

/// An additional provider this adapter cannot drive.
fn unsupported_method(method: &str, response: &HttpResponse) -> IdpError {
    IdpError::unsupported(format!(
        "ad fs asks for the additional authentication method {method} at {}, which aws-runas does not support; supported: {} (verification codes and push approvals) and methods that ask for one code",
        display_url(response.url()),
        PUSH_METHODS.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn page(url: &str, body: &str) -> HtmlPage {
        HtmlPage::parse(url, body)
    }

    #[test]
    fn the_session_goal_ends_at_any_token_or_hand_back() {
        let ws_fed = page(
            "https://sts.example.test/adfs/ls/",
            r#"<form method="POST" name="hiddenform" action="https://login.microsoftonline.com/login.srf">
            <input type="hidden" name="wa" value="wsignin1.0"><input type="hidden" name="wresult" value="x"></form>"#,
        );
        assert_eq!(SessionGoal.reached(&ws_fed), Some(()));
        assert!(SamlGoal.reached(&ws_fed).is_none());

        let elsewhere = page(
            "https://sts.example.test/adfs/ls/",
            r#"<form method="POST" action="https://app.example.test/acs"><input type="hidden" name="code" value="x"></form>"#,
        );
        let form = &elsewhere.forms()[0];
        assert_eq!(SessionGoal.handed_back(form, &elsewhere), Some(()));
        assert!(SamlGoal.handed_back(form, &elsewhere).is_none());
        let same = page(
            "https://sts.example.test/adfs/ls/",
            r#"<form method="POST" action="/adfs/ls/next"><input type="hidden" name="x" value="y"></form>"#,
        );
        assert!(SessionGoal.handed_back(&same.forms()[0], &same).is_none());
    }

    #[test]
    fn windows_integrated_authentication_is_refused_clearly() {
        let wia = HttpResponse::new(
            401,
            "https://sts.example.test/adfs/ls/wia?client-request-id=x",
            vec![
                ("WWW-Authenticate".into(), "Negotiate".into()),
                ("WWW-Authenticate".into(), "NTLM".into()),
            ],
            "",
        );
        let e = refuse_windows_auth(&wia).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Unsupported);
        let m = e.to_string();
        assert!(
            m.contains("kerberos/ntlm")
                && m.contains("/adfs/ls/wia")
                && !m.contains("client-request-id"),
            "{m}"
        );
        let basic = HttpResponse::new(
            401,
            "https://sts.example.test/x",
            vec![("www-authenticate".into(), "Basic realm=x".into())],
            "",
        );
        assert!(refuse_windows_auth(&basic).is_ok());
    }
}

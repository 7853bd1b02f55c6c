//! The login walk: from the configured URL through Azure AD's pages (user name, password or the
//! federation server, second factor, "stay signed in?", the auto-post forms between sites) to the
//! page that ends the login.
//!
//! Every page is recognised by what it carries, not by the order it comes in: the `$Config` of a
//! sign-in page and its page id, the script redirect with a `SAMLRequest`, an auto-post form.
//! That is why "keep me signed in" works whether Azure AD asks it or not, and why a session still
//! in the cookie jar skips straight to the SAML response.
//!
//! The walk does not know what ends it: a [`Goal`] does. The SAML goal stops at a page carrying a
//! `SAMLResponse`; the OIDC goal ([`OidcGoal`]) sends every request through its
//! [`AuthorizationSession`], which stops at the redirect to the client's `redirect_uri` (whatever
//! its scheme) without fetching it and hands over the authorization code.
//!
//! Besides Azure AD's own pages, a plain sign-in form (user name and password in the HTML, as
//! self-hosted and test providers serve) is filled once; shown again after the password, it means
//! the password was refused, which is never tried again.

use crate::config::{ServerConfig, describe_error, saml_request_url};
use crate::federation;
use crate::mfa::{self, SecondFactor};
use crate::settings::AzureAdSettings;
use aws_runas_domain::ports::idp::{IdpDeps, IdpError, IdpErrorKind, SamlAssertion};
use aws_runas_idp_support::{
    AuthorizationCode, AuthorizationSession, AuthorizationStep, HtmlPage, HttpClient, HttpRequest,
    HttpResponse, LoginAnswers, RedirectAction, display_url,
};
use std::future::Future;

/// How many pages one login may go through before it is called stuck.
const MAX_PAGES: usize = 24;

const OPENING: &str = "opening the azure ad application link";
const REOPENING: &str = "opening the application link again with the new session";
const FOLLOWING_SAML_REQUEST: &str = "following the SAMLRequest redirect";
const POSTING_USERNAME: &str = "posting the user name";
const POSTING_PASSWORD: &str = "posting the password";
const FINISHING_MFA: &str = "finishing the second factor (ProcessAuth)";
const ANSWERING_KMSI: &str = "answering \"stay signed in?\"";
const SKIPPING_PROOF_UP: &str = "skipping the security-info registration";
const RETURNING: &str = "returning from the federation server";
const AUTO_POST: &str = "submitting an auto-post form";
const POSTING_FORM: &str = "posting the sign-in form";

/// Where one request of the walk led.
pub(crate) enum Arrival<T> {
    /// The goal is reached.
    Reached(T),
    /// A page to read (or a redirect the goal chose not to follow).
    Page(HttpResponse),
}

/// What a login is after, and how to tell it has arrived.
pub(crate) trait Goal: Send + Sync {
    /// What the login produces.
    type Output: Send;

    /// Whether to follow one redirect; every one by default.
    fn on_redirect(&self, _response: &HttpResponse) -> RedirectAction {
        RedirectAction::Follow
    }

    /// The product, when this response ends the login.
    fn reached(&self, response: &HttpResponse, page: &HtmlPage) -> Option<Self::Output>;

    /// Sends one request of the walk and follows its redirects; by default through
    /// [`HttpClient::send_following`], asking [`Goal::on_redirect`] at each one.
    fn send(
        &self,
        http: &HttpClient,
        request: HttpRequest,
    ) -> impl Future<Output = Result<Arrival<Self::Output>, IdpError>> + Send {
        async move {
            Ok(Arrival::Page(
                http.send_following(request, |r| self.on_redirect(r))
                    .await?,
            ))
        }
    }
}

/// The SAML goal: the auto-post page with a `SAMLResponse`.
#[derive(Debug)]
pub(crate) struct SamlGoal;

impl Goal for SamlGoal {
    type Output = SamlAssertion;

    fn reached(&self, _response: &HttpResponse, page: &HtmlPage) -> Option<SamlAssertion> {
        page.saml_assertion()
    }
}

/// The OIDC goal: the authorization code in the redirect to the session's `redirect_uri`.
///
/// Every request goes through [`AuthorizationSession::send`], which stops at that redirect (any
/// scheme: `http://127.0.0.1/…`, `app:/callback`), never fetches it, and checks its `state`.
#[derive(Debug)]
pub(crate) struct OidcGoal<'a> {
    pub(crate) session: &'a AuthorizationSession,
}

impl Goal for OidcGoal<'_> {
    type Output = AuthorizationCode;

    fn reached(&self, _response: &HttpResponse, _page: &HtmlPage) -> Option<AuthorizationCode> {
        None
    }

    async fn send(
        &self,
        http: &HttpClient,
        request: HttpRequest,
    ) -> Result<Arrival<AuthorizationCode>, IdpError> {
        Ok(match self.session.send(http, request).await? {
            AuthorizationStep::Code(code) => Arrival::Reached(code),
            AuthorizationStep::Page(page) => Arrival::Page(page),
        })
    }
}

/// One configured Azure AD login: settings, injected dependencies and the answers of the user
/// (asked once).
#[derive(Debug)]
pub(crate) struct Login {
    settings: AzureAdSettings,
    deps: IdpDeps,
    answers: LoginAnswers,
}

/// What a page of the walk is.
enum Page {
    /// A script sends the browser to Azure AD with a `SAMLRequest`.
    SamlRequest(String),
    /// An Azure AD page with its `$Config`.
    Config(Box<ServerConfig>),
    /// A `$Config` that does not parse.
    BrokenConfig { line: usize, column: usize },
    /// A plain sign-in form with a password input in the HTML.
    PasswordForm(Box<aws_runas_idp_support::Form>),
    /// A form that needs nothing from the user (the `hiddenform` posts between sites).
    AutoSubmit(HttpRequest),
    /// Anything else.
    Unknown,
}

fn classify(response: &HttpResponse, page: &HtmlPage) -> Page {
    let body = response.body();
    if let Some(url) = saml_request_url(body, response.url()) {
        return Page::SamlRequest(url);
    }
    match ServerConfig::find(body) {
        Some(Ok(cfg)) => return Page::Config(Box::new(cfg)),
        Some(Err(e)) => {
            return Page::BrokenConfig {
                line: e.line,
                column: e.column,
            };
        }
        None => {}
    }
    if let Some(form) = page.form_with_password() {
        return Page::PasswordForm(Box::new(form.clone()));
    }
    match page.auto_submit_form() {
        Some(form) if !form.fields().is_empty() => Page::AutoSubmit(form.to_request()),
        _ => Page::Unknown,
    }
}

/// What one run of the walk has done so far.
struct Run {
    /// The client, sharing the login's cookie jar with the federated sign-in's clients.
    http: HttpClient,
    /// The user name sent, when one was.
    username: Option<String>,
    sent_username: bool,
    sent_password: bool,
    federated: bool,
    mfa_done: bool,
    kmsi_answered: bool,
    skipped_proof_up: bool,
    reopened: bool,
}

impl Run {
    fn signed_in(&self) -> bool {
        self.sent_password || self.federated || self.mfa_done
    }
}

impl Login {
    pub(crate) fn new(settings: AzureAdSettings, deps: IdpDeps) -> Self {
        let answers = LoginAnswers::for_login(deps.prompter.clone(), settings.login());
        Login {
            settings,
            deps,
            answers,
        }
    }

    /// Walks the login until `goal` is reached.
    ///
    /// # Errors
    /// [`IdpError::bad_credentials`] when Azure AD (or the federation server) refuses the user,
    /// the password or the account; [`IdpError::mfa_rejected`] and [`IdpError::mfa_timeout`] for
    /// a second factor refused or not answered in time; [`IdpError::unavailable`] for network
    /// failures, error statuses and sign-in flows that expired; [`IdpError::unexpected_page`] for
    /// pages nobody knows and a walk that goes round in circles; [`IdpError::configuration`] for
    /// settings Azure AD shows to be wrong and a federated user when the login has no
    /// [`IdpDeps::federation`]; [`IdpError::unsupported`] for second factors and accounts this
    /// adapter cannot sign in; a prompt error when a question gets no answer.
    pub(crate) async fn walk<G: Goal>(&self, goal: &G) -> Result<G::Output, IdpError> {
        self.walk_from(self.settings.url(), OPENING, goal).await
    }

    /// [`Login::walk`] from `start` (an OIDC authorization request) instead of the configured
    /// URL; `opening` names the first step in errors.
    ///
    /// # Errors
    /// As [`Login::walk`].
    pub(crate) async fn walk_from<G: Goal>(
        &self,
        start: &str,
        opening: &str,
        goal: &G,
    ) -> Result<G::Output, IdpError> {
        let mut run = Run {
            http: HttpClient::from_deps(&self.deps),
            username: None,
            sent_username: false,
            sent_password: false,
            federated: false,
            mfa_done: false,
            kmsi_answered: false,
            skipped_proof_up: false,
            reopened: false,
        };
        let mut arrival = goal
            .send(&run.http, HttpRequest::get(start).step(opening))
            .await?;
        for _ in 0..MAX_PAGES {
            let response = match arrival {
                Arrival::Reached(output) => return Ok(output),
                Arrival::Page(response) => response,
            };
            let (kind, reached) = {
                let page = response.html();
                (classify(&response, &page), goal.reached(&response, &page))
            };
            if let Some(output) = reached {
                return Ok(output);
            }
            if response.status() >= 500 {
                return Err(response.status_error().into());
            }
            let next = match kind {
                Page::SamlRequest(url) => {
                    log::debug!("azuread: following the SAMLRequest redirect");
                    HttpRequest::get(url).step(FOLLOWING_SAML_REQUEST)
                }
                Page::Config(cfg) => {
                    log::debug!(
                        "azuread: {} answered the page {} ({})",
                        display_url(response.url()),
                        cfg.page_id().unwrap_or("without an id"),
                        response.status()
                    );
                    self.answer(&cfg, &response, &mut run).await?
                }
                Page::BrokenConfig { line, column } => {
                    return Err(IdpError::unexpected_page(format!(
                        "the azure ad page at {} during {} has a $Config that does not parse (line {line}, column {column})",
                        display_url(response.url()),
                        response.step()
                    )));
                }
                Page::PasswordForm(form) => self.answer_form(*form, &response, &mut run)?,
                Page::AutoSubmit(request) => request.step(AUTO_POST),
                Page::Unknown if !response.is_success() => {
                    return Err(response.status_error().into());
                }
                Page::Unknown => {
                    if run.signed_in() && !run.reopened {
                        // Signed in, but the application portal went somewhere else (its home
                        // page): the application link now answers with the SAML redirect.
                        run.reopened = true;
                        HttpRequest::get(start).step(REOPENING)
                    } else {
                        return Err(response.unexpected_page().into());
                    }
                }
            };
            arrival = goal.send(&run.http, next).await?;
        }
        Err(IdpError::unexpected_page(format!(
            "the azure ad login at {} did not finish within {MAX_PAGES} pages",
            display_url(start)
        )))
    }

    /// The request that answers an Azure AD page.
    async fn answer(
        &self,
        cfg: &ServerConfig,
        response: &HttpResponse,
        run: &mut Run,
    ) -> Result<HttpRequest, IdpError> {
        let url = response.url();
        if cfg.is_kmsi() {
            return self.answer_kmsi(cfg, response, run);
        }
        if !cfg.user_proofs().is_empty() && cfg.url_begin_auth().is_some() {
            return self.second_factor(cfg, response, run).await;
        }
        if let Some(skip) = cfg.url_skip_mfa_registration() {
            if run.skipped_proof_up {
                return Err(self.stuck(response, "the security-info registration page came back"));
            }
            run.skipped_proof_up = true;
            return Ok(HttpRequest::get(resolve(url, skip, response)?).step(SKIPPING_PROOF_UP));
        }
        if let Some(code) = cfg.error_code() {
            return Err(self.error(&code, cfg, response, run));
        }
        if cfg.page_id() == Some("ConvergedProofUpRedirect") {
            return Err(IdpError::bad_credentials(format!(
                "azure ad wants {} to register security info (a second factor) at {} before signing in; do that in a browser, then try again",
                self.who(run),
                display_url(url)
            )));
        }
        if cfg.page_id() == Some("ConvergedChangePassword") {
            return Err(IdpError::bad_credentials(format!(
                "azure ad wants {} to change the password at {}; do that in a browser, then try again",
                self.who(run),
                display_url(url)
            )));
        }
        if cfg.is_sign_in() {
            return self.answer_sign_in(cfg, response, run).await;
        }
        Err(IdpError::unexpected_page(format!(
            "unrecognised azure ad page {} at {} during {}",
            cfg.page_id().unwrap_or("without a page id"),
            display_url(url),
            response.step()
        )))
    }

    async fn answer_sign_in(
        &self,
        cfg: &ServerConfig,
        response: &HttpResponse,
        run: &mut Run,
    ) -> Result<HttpRequest, IdpError> {
        let url = response.url();
        if let Some(fed) = cfg.federation_redirect_url() {
            return self.federate(fed, response, run).await;
        }
        if cfg.user_unknown() {
            return Err(IdpError::bad_credentials(format!(
                "azure ad does not know the user name {} at {}",
                self.who(run),
                display_url(url)
            )));
        }
        let post = resolve(url, cfg.url_post().unwrap_or_default(), response)?;
        if !run.sent_username {
            let username = self.username(run)?;
            run.sent_username = true;
            return Ok(HttpRequest::post(post)
                .form(sign_in_fields(cfg, &username, None))
                .step(POSTING_USERNAME));
        }
        if run.sent_password {
            return Err(IdpError::bad_credentials(format!(
                "azure ad showed the sign-in page of {} again at {} after the password; the password is not tried again, so that the account does not get locked",
                self.who(run),
                display_url(url)
            )));
        }
        if cfg.has_password() == Some(false) {
            return Err(IdpError::unsupported(format!(
                "the account {} has no password in azure ad (it signs in passwordless, with a security key or an e-mailed code), which aws-runas cannot do",
                self.who(run)
            )));
        }
        let username = self.username(run)?;
        let password = self.answers.password()?;
        run.sent_password = true;
        Ok(HttpRequest::post(post)
            .form(sign_in_fields(cfg, &username, Some(password.expose())))
            .step(POSTING_PASSWORD))
    }

    /// Fills a plain sign-in form (user name when it has the input, password) once; shown again
    /// after the password, the password was refused and is not tried again.
    fn answer_form(
        &self,
        mut form: aws_runas_idp_support::Form,
        response: &HttpResponse,
        run: &mut Run,
    ) -> Result<HttpRequest, IdpError> {
        if run.sent_password {
            return Err(IdpError::bad_credentials(format!(
                "the sign-in page at {} refused the password of {}; it is not tried again, so that the account does not get locked",
                display_url(response.url()),
                self.who(run)
            )));
        }
        let user_field = form.username_input().map(|i| i.name().to_string());
        let pass_field = form.password_input().map(|i| i.name().to_string());
        if let Some(name) = user_field {
            let username = self.username(run)?;
            form.fill(&name, username);
        }
        if let Some(name) = pass_field {
            let password = self.answers.password()?;
            form.fill(&name, password.expose());
        }
        run.sent_username = true;
        run.sent_password = true;
        Ok(form.to_request().step(POSTING_FORM))
    }

    fn answer_kmsi(
        &self,
        cfg: &ServerConfig,
        response: &HttpResponse,
        run: &mut Run,
    ) -> Result<HttpRequest, IdpError> {
        if run.kmsi_answered {
            return Err(self.stuck(response, "azure ad asked \"stay signed in?\" twice"));
        }
        run.kmsi_answered = true;
        let post = resolve(response.url(), cfg.url_post().unwrap_or_default(), response)?;
        let mut fields = vec![
            (
                cfg.flow_token_name().to_string(),
                cfg.flow_token().unwrap_or_default().to_string(),
            ),
            (
                "ctx".to_string(),
                cfg.context().unwrap_or_default().to_string(),
            ),
            // Yes: the session then lasts in the cookie jar, and the next run asks nothing.
            ("LoginOptions".to_string(), "1".to_string()),
        ];
        if let Some(canary) = cfg.canary() {
            fields.push(("canary".to_string(), canary.to_string()));
        }
        Ok(HttpRequest::post(post).form(fields).step(ANSWERING_KMSI))
    }

    async fn second_factor(
        &self,
        cfg: &ServerConfig,
        response: &HttpResponse,
        run: &mut Run,
    ) -> Result<HttpRequest, IdpError> {
        let url = response.url();
        if run.mfa_done {
            // The second factor came back: the page says why, or the login is stuck.
            return Err(match cfg.error_code() {
                Some(code) => self.error(&code, cfg, response, run),
                None => self.stuck(response, "azure ad asked for a second factor again"),
            });
        }
        let user = self.who(run);
        let proof = mfa::choose(&cfg.user_proofs(), self.settings.mfa_type(), &user, url)?;
        let need = |what: &str, value: Option<&str>| {
            value.map(str::to_string).ok_or_else(|| {
                IdpError::unexpected_page(format!(
                    "the second-factor page of azure ad at {} has no {what}",
                    display_url(url)
                ))
            })
        };
        let begin_url = resolve(url, &need("urlBeginAuth", cfg.url_begin_auth())?, response)?;
        let end_url = resolve(url, &need("urlEndAuth", cfg.url_end_auth())?, response)?;
        let post_url = resolve(url, &need("urlPost", cfg.url_post())?, response)?;
        let done = SecondFactor {
            http: &run.http,
            answers: &self.answers,
            config: cfg,
            proof: &proof,
            begin_url,
            end_url,
            user: &user,
            wait_bound: self.settings.mfa_wait(),
        }
        .run()
        .await?;
        run.mfa_done = true;
        let login = run
            .username
            .clone()
            .or_else(|| cfg.posted_username().map(String::from))
            .or_else(|| self.settings.username().map(String::from))
            .unwrap_or_default();
        let mut fields = vec![
            (
                cfg.flow_token_name().to_string(),
                done.flow_token
                    .as_deref()
                    .or(cfg.flow_token())
                    .unwrap_or_default()
                    .to_string(),
            ),
            (
                "request".to_string(),
                done.ctx
                    .as_deref()
                    .or(cfg.context())
                    .unwrap_or_default()
                    .to_string(),
            ),
            ("login".to_string(), login),
            ("mfaAuthMethod".to_string(), proof.method.clone()),
        ];
        if let Some(canary) = cfg.canary() {
            fields.push(("canary".to_string(), canary.to_string()));
        }
        Ok(HttpRequest::post(post_url).form(fields).step(FINISHING_MFA))
    }

    async fn federate(
        &self,
        fed_url: &str,
        response: &HttpResponse,
        run: &mut Run,
    ) -> Result<HttpRequest, IdpError> {
        if run.federated {
            return Err(self.stuck(
                response,
                "azure ad sent the user to the federation server again after signing in there",
            ));
        }
        let fed_url = resolve(response.url(), fed_url, response)?;
        let username = self.username(run)?;
        log::debug!(
            "azuread: federated user, signing in at {}",
            display_url(&fed_url)
        );
        federation::sign_in(&self.settings, &self.deps, &fed_url, &username).await?;
        run.federated = true;
        // The federation server's session cookies are in the login's cookie jar, which this
        // client shares: opening the federation URL again picks the session up.
        Ok(HttpRequest::get(fed_url).step(RETURNING))
    }

    /// The error of a page that reports an `AADSTS` code.
    fn error(
        &self,
        code: &str,
        cfg: &ServerConfig,
        response: &HttpResponse,
        run: &Run,
    ) -> IdpError {
        let url = display_url(response.url());
        let quoted = self.answers.quote(cfg.error_text().unwrap_or_default());
        let who = self.who(run);
        match describe_error(code) {
            Some((kind, words))
                if kind.is_authentication() || kind == IdpErrorKind::Unsupported =>
            {
                IdpError::new(
                    kind,
                    format!("{words} (AADSTS{code} for {who} at {url}){quoted}"),
                )
            }
            Some((kind, words)) => {
                IdpError::new(kind, format!("{words} (AADSTS{code} at {url}){quoted}"))
                    .at_step(response.step())
            }
            None if run.sent_username => IdpError::bad_credentials(format!(
                "azure ad stopped the sign-in of {who} with the error AADSTS{code} at {url}{quoted}"
            )),
            // An error nobody has words for, before anything was sent: nothing to go on from.
            None => IdpError::unexpected_page(format!(
                "azure ad answered the error AADSTS{code} at {url}{quoted}"
            ))
            .at_step(response.step()),
        }
    }

    fn stuck(&self, response: &HttpResponse, what: &str) -> IdpError {
        IdpError::unexpected_page(format!(
            "{what} at {} during {}; the login is stuck",
            display_url(response.url()),
            response.step()
        ))
    }

    /// The user name for messages: the one sent, else the configured or asked one.
    fn who(&self, run: &Run) -> String {
        run.username.clone().unwrap_or_else(|| self.answers.who())
    }

    /// The user name to send: configured, else asked once, when Azure AD first wants it.
    fn username(&self, run: &mut Run) -> Result<String, IdpError> {
        let username = self.answers.username()?;
        if username.is_empty() {
            return Err(IdpError::configuration(
                "no user name for azure ad: set saml_username or answer the Username prompt",
            ));
        }
        run.username = Some(username.clone());
        Ok(username)
    }
}

/// The fields of the sign-in form: the user name (as `login` and `loginfmt`), the flow token and
/// the context, and the password when it is sent.
fn sign_in_fields(
    cfg: &ServerConfig,
    username: &str,
    password: Option<&str>,
) -> Vec<(String, String)> {
    let mut fields = vec![
        ("login".to_string(), username.to_string()),
        ("loginfmt".to_string(), username.to_string()),
        (
            cfg.flow_token_name().to_string(),
            cfg.flow_token().unwrap_or_default().to_string(),
        ),
        (
            "ctx".to_string(),
            cfg.context().unwrap_or_default().to_string(),
        ),
    ];
    if let Some(canary) = cfg.canary() {
        fields.push(("canary".to_string(), canary.to_string()));
    }
    if let Some(id) = cfg.session_id() {
        fields.push(("hpgrequestid".to_string(), id.to_string()));
    }
    if let Some(p) = password {
        fields.push(("passwd".to_string(), p.to_string()));
    }
    fields
}

/// `target` (absolute or relative) resolved against the page's URL; only `http` and `https`.
fn resolve(page_url: &str, target: &str, response: &HttpResponse) -> Result<String, IdpError> {
    let target = target.trim();
    let resolved = url::Url::parse(page_url)
        .and_then(|base| base.join(target))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && !target.is_empty());
    resolved.map(String::from).ok_or_else(|| {
        IdpError::unexpected_page(format!(
            "the azure ad page at {} during {} points to an unusable address ({})",
            display_url(page_url),
            response.step(),
            display_url(target)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(url: &str, body: &str) -> HttpResponse {
        HttpResponse::new(200, url, vec![], body)
    }

    #[test]
    fn pages_are_classified_by_what_they_carry() {
        let kind = |url: &str, body: &str| {
            let r = page(url, body);
            let p = r.html();
            match classify(&r, &p) {
                Page::SamlRequest(_) => "saml-request",
                Page::Config(_) => "config",
                Page::BrokenConfig { .. } => "broken",
                Page::PasswordForm(_) => "password-form",
                Page::AutoSubmit(_) => "auto-submit",
                Page::Unknown => "unknown",
            }
        };
        let base = "https://login.microsoftonline.com/common/login";
        assert_eq!(
            kind(
                base,
                "<script>window.location = 'https://login.microsoftonline.com/t/saml2?SAMLRequest=abc';</script>"
            ),
            "saml-request"
        );
        assert_eq!(
            kind(
                base,
                r#"<script>$Config={"pgid":"ConvergedSignIn"};</script>"#
            ),
            "config"
        );
        assert_eq!(kind(base, "<script>$Config={oops};</script>"), "broken");
        assert_eq!(
            kind(
                base,
                r#"<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://myapps.microsoft.com/"><input type="hidden" name="code" value="c"/><noscript><input type="submit" value="Submit"/></noscript></form></body></html>"#
            ),
            "auto-submit"
        );
        assert_eq!(
            kind(
                base,
                "<html><form action='/x'></form><p>Maintenance</p></html>"
            ),
            "unknown"
        );
        assert_eq!(kind(base, "<html>Maintenance</html>"), "unknown");
        assert_eq!(
            kind(
                base,
                r#"<html><form method="post" action="/login"><input type="hidden" name="x" value="1"><input name="username"><input type="password" name="password"></form></html>"#
            ),
            "password-form"
        );
    }

    #[test]
    fn sign_in_fields_carry_the_flow_token_under_its_name() {
        let cfg = ServerConfig::from_value(json!({
            "sFT": "fake-ft", "sFTName": "flowToken", "sCtx": "fake-ctx", "canary": "fake-canary", "sessionId": "fake-session"
        }));
        let fields = sign_in_fields(&cfg, "jane@example.test", Some("pw"));
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("login"), Some("jane@example.test"));
        assert_eq!(get("loginfmt"), Some("jane@example.test"));
        assert_eq!(get("flowToken"), Some("fake-ft"));
        assert_eq!(get("ctx"), Some("fake-ctx"));
        assert_eq!(get("canary"), Some("fake-canary"));
        assert_eq!(get("hpgrequestid"), Some("fake-session"));
        assert_eq!(get("passwd"), Some("pw"));
        assert!(
            sign_in_fields(&cfg, "jane", None)
                .iter()
                .all(|(k, _)| k != "passwd")
        );
    }

    #[test]
    fn addresses_resolve_against_the_page() {
        let r = page("https://login.microsoftonline.com/t/login?x=1", "");
        assert_eq!(
            resolve(r.url(), "/common/SAS/ProcessAuth", &r).unwrap(),
            "https://login.microsoftonline.com/common/SAS/ProcessAuth"
        );
        assert_eq!(
            resolve(r.url(), "https://login.microsoftonline.com/kmsi", &r).unwrap(),
            "https://login.microsoftonline.com/kmsi"
        );
        let e = resolve(r.url(), "javascript:void(0)", &r).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage);
        assert!(!e.to_string().contains("x=1"), "{e}");
        assert!(resolve(r.url(), "", &r).is_err());
    }
}

//! The login walk: open the configured page, then answer page after page (login form, user-name
//! page, one-time-code page, forms with nothing to fill) until the goal is reached.
//!
//! The walk is bounded: at most [`MAX_PAGES`] pages, each reached through at most the support
//! crate's redirect bound, each request within the configured timeout.
//! The goal decides where the walk starts and when it is over: for SAML, the configured page and
//! a page carrying a `SAMLResponse`; for OIDC, the authorization URL and the redirect to the
//! client's `redirect_uri`, whose code is captured without fetching it (see [`Goal`]).
//! The page handling on the way is the same.

use crate::page::{
    FieldNames, PageKind, button_to_press, classify, error_banner, password_field, username_field,
};
use crate::settings::FormsSettings;
use async_trait::async_trait;
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpDeps, IdpError, OidcRequest, SamlAssertion,
};
use aws_runas_idp_support::{
    AuthorizationCode, AuthorizationSession, AuthorizationStep, Form, HtmlPage, HttpClient,
    HttpRequest, HttpResponse, LoginAnswers, Method, OidcClient, OidcEndpoints, RedirectAction,
    display_url,
};

/// How many pages one login may go through before the adapter gives up.
pub(crate) const MAX_PAGES: usize = 15;

/// How many one-time codes one login may send before the adapter gives up.
pub(crate) const MAX_CODES: usize = 3;

const STEP_OPEN: &str = "opening the login page";
const STEP_AUTHORIZE: &str = "opening the authorization page";
const STEP_USERNAME: &str = "posting the user name";
const STEP_PASSWORD: &str = "posting the password";
const STEP_CODE: &str = "posting the one-time code";
const STEP_CONTINUE: &str = "submitting a form that needs no input";

/// Where a login ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Goal<'s> {
    /// A page carrying a `SAMLResponse`, after opening the configured URL.
    Saml,
    /// The redirect to the session's `redirect_uri` (captured, never fetched), after opening the
    /// session's authorization URL.
    Oidc(&'s AuthorizationSession),
}

/// What a login ends with.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The `SAMLResponse`, base64 as the IdP sent it.
    Saml(SamlAssertion),
    /// The authorization code of an OIDC login.
    Code(AuthorizationCode),
}

/// What one request of the walk led to.
enum Step {
    /// The goal is reached.
    Done(Outcome),
    /// A page to answer.
    Page(HttpResponse),
}

impl Goal<'_> {
    /// The first request of the walk.
    fn first_request(self, settings: &FormsSettings) -> HttpRequest {
        match self {
            Goal::Saml => HttpRequest::get(settings.url()).step(STEP_OPEN),
            Goal::Oidc(session) => HttpRequest::get(session.url()).step(STEP_AUTHORIZE),
        }
    }

    /// The outcome, when `response` (parsed as `page`) ends the login.
    fn reached(self, response: &HttpResponse, page: &HtmlPage) -> Option<Outcome> {
        match self {
            Goal::Saml if response.is_success() => page.saml_assertion().map(Outcome::Saml),
            Goal::Saml | Goal::Oidc(_) => None,
        }
    }
}

/// The `forms` identity provider: its settings, client, and the answers of the user (asked
/// once).
#[derive(Debug)]
pub(crate) struct FormsIdp {
    settings: FormsSettings,
    http: HttpClient,
    answers: LoginAnswers,
    deps: IdpDeps,
}

/// What one walk has done so far.
#[derive(Default)]
struct Progress {
    username_sent: bool,
    password_sent: bool,
    codes_sent: usize,
}

impl FormsIdp {
    /// An adapter for `settings`, with the HTTP client and prompter of `deps`.
    pub(crate) fn new(settings: FormsSettings, deps: &IdpDeps) -> Self {
        FormsIdp {
            answers: LoginAnswers::for_login(deps.prompter.clone(), settings.login()),
            settings,
            http: HttpClient::from_deps(deps),
            deps: deps.clone(),
        }
    }

    fn fields(&self) -> FieldNames<'_> {
        FieldNames {
            username: self.settings.username_field(),
            password: self.settings.password_field(),
            otp: self.settings.otp_field(),
        }
    }

    /// Walks the login until `goal` is reached.
    pub(crate) async fn walk(&self, goal: Goal<'_>) -> Result<Outcome, IdpError> {
        let mut progress = Progress::default();
        let mut step = self.send(goal, goal.first_request(&self.settings)).await?;
        let mut pages = 0;
        loop {
            let response = match step {
                Step::Done(outcome) => {
                    log::debug!("forms: the provider redirected to the redirect uri; login done");
                    return Ok(outcome);
                }
                Step::Page(response) => response,
            };
            pages += 1;
            let page = response.html();
            if let Some(outcome) = goal.reached(&response, &page) {
                log::debug!("forms: login done at {}", display_url(response.url()));
                return Ok(outcome);
            }
            let kind = classify(&page, self.fields());
            log::debug!(
                "forms: {} (status {}) is {}",
                display_url(response.url()),
                response.status(),
                describe(&kind)
            );
            // IdPs may answer a refused password or code with a 4xx status and the form again.
            let form_again = matches!(
                kind,
                PageKind::Login(_) | PageKind::Username { .. } | PageKind::Otp { .. }
            );
            let usable =
                response.is_success() || ((400..500).contains(&response.status()) && form_again);
            if !usable {
                return Err(response.status_error().into());
            }
            let request = match kind {
                PageKind::Login(form) => {
                    self.password_request(form, &response, &page, &mut progress)?
                }
                PageKind::Username { form, field } => {
                    self.username_request(form, field, &response, &page, &mut progress)?
                }
                PageKind::Otp { form, field } => {
                    self.code_request(form, field, &response, &page, &mut progress)?
                }
                PageKind::Continue(form) => pressed(form).to_request().step(STEP_CONTINUE),
                PageKind::Unknown => return Err(response.unexpected_page().into()),
            };
            if pages == MAX_PAGES {
                return Err(IdpError::unexpected_page(format!(
                    "gave up after {MAX_PAGES} pages without reaching the end of the login; the last was {} during {}",
                    display_url(response.url()),
                    response.step()
                )));
            }
            step = self.send(goal, request).await?;
        }
    }

    /// Sends `request`, following redirects: all of them for SAML; for OIDC all but the one to
    /// the `redirect_uri`, whose code ends the login (whatever its scheme, never fetched).
    async fn send(&self, goal: Goal<'_>, request: HttpRequest) -> Result<Step, IdpError> {
        match goal {
            Goal::Saml => Ok(Step::Page(
                self.http
                    .send_following(request, |_| RedirectAction::Follow)
                    .await?,
            )),
            Goal::Oidc(session) => Ok(match session.send(&self.http, request).await? {
                AuthorizationStep::Code(code) => Step::Done(Outcome::Code(code)),
                AuthorizationStep::Page(page) => Step::Page(page),
            }),
        }
    }

    /// The provider's endpoints: the discovery document of the configured URL (the issuer),
    /// which a forms provider must publish, since the adapter knows no paths of its own.
    async fn oidc_client(&self) -> Result<OidcClient, IdpError> {
        let issuer = self.settings.url();
        match OidcEndpoints::discover(&self.http, issuer).await? {
            Some(endpoints) => Ok(OidcClient::new(self.http.clone(), &self.deps, endpoints)),
            None => Err(IdpError::configuration(format!(
                "the forms identity provider found no openid configuration at {}: web_identity_auth_url must be the issuer of an openid connect provider that publishes its discovery document",
                display_url(&OidcEndpoints::discovery_url(issuer))
            ))),
        }
    }

    /// The page's error banner, quoted for a message (nothing when it would show a secret).
    fn banner(&self, page: &HtmlPage) -> String {
        self.answers
            .quote(error_banner(page).as_deref().unwrap_or_default())
    }

    fn password_request(
        &self,
        form: &Form,
        response: &HttpResponse,
        page: &HtmlPage,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        let url = display_url(response.url());
        if progress.password_sent {
            return Err(IdpError::bad_credentials(format!(
                "the login form at {url} came back after the password of {} was sent{}; wrong user name or password, not retried so that the account is not locked",
                self.answers.who(),
                self.banner(page)
            )));
        }
        refuse_get(form, &url, "password")?;
        let at = |e: String| IdpError::configuration(format!("{e} at {url}"));
        let user_field = username_field(form, self.settings.username_field()).map_err(at)?;
        let pass_field = password_field(form, self.settings.password_field()).map_err(at)?;
        let mut form = form.clone();
        if let Some(field) = user_field {
            form.fill(field, self.answers.username()?);
        }
        form.fill(pass_field, self.answers.password()?.expose());
        progress.password_sent = true;
        Ok(pressed(&form).to_request().step(STEP_PASSWORD))
    }

    fn username_request(
        &self,
        form: &Form,
        field: &str,
        response: &HttpResponse,
        page: &HtmlPage,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        let url = display_url(response.url());
        if progress.username_sent {
            return Err(IdpError::bad_credentials(format!(
                "{url} asked for the user name again after {} was sent: unknown user name{}",
                self.answers.who(),
                self.banner(page)
            )));
        }
        let mut form = form.clone();
        form.fill(field, self.answers.username()?);
        progress.username_sent = true;
        Ok(pressed(&form).to_request().step(STEP_USERNAME))
    }

    fn code_request(
        &self,
        form: &Form,
        field: &str,
        response: &HttpResponse,
        page: &HtmlPage,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        let url = display_url(response.url());
        if !self.settings.answers_codes() {
            return Err(IdpError::configuration(format!(
                "{url} asks for a one-time code, but mfa_type is none"
            )));
        }
        if progress.codes_sent >= MAX_CODES {
            return Err(IdpError::mfa_rejected(format!(
                "{url} refused {MAX_CODES} one-time codes{}",
                self.banner(page)
            )));
        }
        refuse_get(form, &url, "one-time code")?;
        if progress.codes_sent > 0 {
            self.answers.prompter().notice(&format!(
                "the identity provider refused the one-time code{}; enter a new one",
                self.banner(page)
            ));
        }
        let mut form = form.clone();
        form.fill(field, self.answers.code("MFA code: ")?.expose());
        progress.codes_sent += 1;
        Ok(pressed(&form).to_request().step(STEP_CODE))
    }
}

#[async_trait]
impl IdentityProvider for FormsIdp {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        match self.walk(Goal::Saml).await? {
            Outcome::Saml(assertion) => Ok(assertion),
            Outcome::Code(_) => Err(IdpError::unexpected_page(
                "the saml login ended with an oidc authorization code",
            )),
        }
    }

    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        let client = self.oidc_client().await?;
        let session = client.session(req)?;
        match self.walk(Goal::Oidc(&session)).await? {
            Outcome::Code(code) => client.exchange(&session, code).await,
            Outcome::Saml(_) => Err(IdpError::unexpected_page(
                "the oidc login ended with a saml response",
            )),
        }
    }
}

/// A copy of `form` with its "go on" button pressed, when it has one.
fn pressed(form: &Form) -> Form {
    let mut form = form.clone();
    if let Some(button) = button_to_press(&form).map(str::to_string) {
        form.press(&button);
    }
    form
}

/// A secret must not travel in a URL, where proxies and servers log it.
fn refuse_get(form: &Form, url: &str, what: &str) -> Result<(), IdpError> {
    if form.method() == Method::Post {
        return Ok(());
    }
    Err(IdpError::unsupported(format!(
        "the form at {url} would send the {what} in its URL (method {}); aws-runas sends secrets only in a request body",
        form.method().as_str()
    )))
}

fn describe(kind: &PageKind<'_>) -> String {
    match kind {
        PageKind::Login(_) => "a login form".to_string(),
        PageKind::Username { field, .. } => format!("a user-name form (input {field:?})"),
        PageKind::Otp { field, .. } => format!("a one-time-code form (input {field:?})"),
        PageKind::Continue(form) => format!(
            "a form with nothing to fill ({})",
            display_url(form.action())
        ),
        PageKind::Unknown => "not a page this adapter knows".to_string(),
    }
}

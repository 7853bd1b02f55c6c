//! The OIDC login (authorization-code grant with PKCE) against an Okta authorization server.
//!
//! The configured URL is the authorization server's base (`https://<org>.okta.com/oauth2` for
//! the org server, `https://<org>.okta.com/oauth2/default` or `/oauth2/<id>` for a custom one).
//! Endpoints come from `<base>/.well-known/openid-configuration`, else `<base>/v1/authorize` and
//! `<base>/v1/token`. The authorization request is opened first: an Okta session still in the
//! cookie jar answers it with the redirect to `redirect_uri` at once. Otherwise the user signs in
//! through the API the org speaks — the authn API of Classic orgs, whose session token then rides
//! on the authorization request as `sessionToken`, or the IDX API of Identity Engine orgs, whose
//! success link ends at the redirect — and a sign-in page with a plain password form (a
//! self-hosted sign-in page) is answered directly. The redirect to `redirect_uri` is captured,
//! never fetched; the password is asked at most once and never sent twice.

use crate::login::{Login, Pipeline, Progress, Session};
use crate::{authn, idx};
use aws_runas_domain::ports::idp::{IdToken, IdpDeps, IdpError, OidcRequest};
use aws_runas_idp_support::{
    AuthorizationSession, AuthorizationStep, HttpRequest, HttpResponse, MAX_LOGIN_PAGES,
    OidcClient, OidcEndpoints, display_url,
};

const SIGNING_IN: &str = "posting the password to the okta sign-in page";
const WITH_TOKEN: &str = "opening the authorization request with the okta session token";
const IDX_SUCCESS: &str = "following the identity engine success link";

/// The endpoints Okta's authorization servers have when no discovery document answers.
pub(crate) fn known_endpoints(base: &str, issuer: &str) -> OidcEndpoints {
    let base = base.trim().trim_end_matches('/');
    OidcEndpoints {
        issuer: Some(issuer.to_string()),
        ..OidcEndpoints::new(format!("{base}/v1/authorize"), format!("{base}/v1/token"))
    }
}

/// The issuer of the authorization server at `base`: the org itself for the org authorization
/// server (`<org>/oauth2`), the base for a custom one (`<org>/oauth2/default`).
///
/// # Errors
/// A configuration error ([`IdpError::configuration`]) for a URL without an origin.
pub(crate) fn issuer_of(base: &str) -> Result<String, IdpError> {
    let base = base.trim().trim_end_matches('/');
    if base.ends_with("/oauth2") {
        return crate::api::origin(base);
    }
    Ok(base.to_string())
}

/// Logs in and returns the ID token for `req`.
///
/// # Errors
/// As [`Login::walk`] for the sign-in; the support crate's errors for the authorization request,
/// the token exchange and the ID token's checks.
pub(crate) async fn id_token(
    login: &Login,
    deps: &IdpDeps,
    req: &OidcRequest,
) -> Result<IdToken, IdpError> {
    let http = login.http();
    let base = login
        .settings()
        .url()
        .trim()
        .trim_end_matches('/')
        .to_string();
    let issuer = issuer_of(&base)?;
    let endpoints =
        OidcEndpoints::discover_or(http, &issuer, known_endpoints(&base, &issuer)).await?;
    let client = OidcClient::new(http.clone(), deps, endpoints);
    let session = client.session(req)?;
    let mut progress = Progress::default();
    let mut signed_in = false;
    let mut step = session.start(http).await?;
    for _ in 0..MAX_LOGIN_PAGES {
        let page = match step {
            AuthorizationStep::Code(code) => return client.exchange(&session, code).await,
            AuthorizationStep::Page(page) => page,
        };
        if page.status() >= 500 {
            return Err(page.status_error().into());
        }
        if page.html().form_with_password().is_some() {
            let request = answer_form(login, &page, &mut progress)?;
            step = session.send(http, request).await?;
            continue;
        }
        if signed_in || !page.is_success() {
            return Err(if page.is_success() {
                page.unexpected_page().into()
            } else {
                page.status_error().into()
            });
        }
        signed_in = true;
        step = sign_in(login, &session, &page, &mut progress).await?;
    }
    Err(IdpError::unexpected_page(format!(
        "the okta login at {} did not reach the redirect uri within {MAX_LOGIN_PAGES} pages",
        display_url(&issuer)
    )))
}

/// Signs in through Okta's API and sends the request that turns the new session into the
/// redirect to `redirect_uri`.
async fn sign_in(
    login: &Login,
    session: &AuthorizationSession,
    page: &HttpResponse,
    progress: &mut Progress,
) -> Result<AuthorizationStep, IdpError> {
    let http = login.http();
    let base = login.base()?;
    let signed = match login.pipeline(&base).await? {
        Pipeline::Classic => authn::sign_in(login, progress).await?,
        Pipeline::IdentityEngine => {
            let token = idx::state_token(page.body()).ok_or_else(|| {
                IdpError::unsupported(format!(
                    "okta identity engine: the sign-in page at {} carries no stateToken, so this sign-in cannot be driven without a browser (use the browser or device flow)",
                    display_url(page.url())
                ))
            })?;
            idx::sign_in(login, &token, progress).await?
        }
    };
    let request = match &signed {
        Session::Token(token) => {
            HttpRequest::get(session.url_with(&[("sessionToken", token.expose())])).step(WITH_TOKEN)
        }
        Session::Cookie => HttpRequest::get(session.url()).step(WITH_TOKEN),
        Session::Success(href) => HttpRequest::get(href.clone()).step(IDX_SUCCESS),
    };
    let step = session.send(http, request).await?;
    match (&signed, step) {
        // The IDX success link may end on a page of the org rather than at the client: the
        // session cookie is set by then, so the authorization request is opened again.
        (Session::Success(_), AuthorizationStep::Page(p)) if p.is_success() => {
            session.start(http).await
        }
        (_, step) => Ok(step),
    }
}

/// Fills a sign-in page's password form; a second password form means the password was refused,
/// which is not tried again.
fn answer_form(
    login: &Login,
    page: &HttpResponse,
    progress: &mut Progress,
) -> Result<HttpRequest, IdpError> {
    if progress.password_sent {
        return Err(IdpError::bad_credentials(format!(
            "okta refused the password of {} at {}; it is not tried again",
            login.answers().who(),
            display_url(page.url())
        )));
    }
    let html = page.html();
    let mut form = html
        .form_with_password()
        .ok_or_else(|| page.unexpected_page())?
        .clone();
    let username = login.answers().username()?;
    let password = login.answers().password()?;
    let user_field = form.username_input().map(|i| i.name().to_string());
    let pass_field = form.password_input().map(|i| i.name().to_string());
    if let Some(name) = user_field {
        form.fill(&name, username);
    }
    if let Some(name) = pass_field {
        form.fill(&name, password.expose());
    }
    progress.password_sent = true;
    Ok(form.to_request().step(SIGNING_IN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_endpoints_hang_off_the_authorization_server() {
        let base = "https://example.okta.com/oauth2/default/";
        let e = known_endpoints(base, &issuer_of(base).unwrap());
        assert_eq!(
            e.authorization_endpoint,
            "https://example.okta.com/oauth2/default/v1/authorize"
        );
        assert_eq!(
            e.token_endpoint,
            "https://example.okta.com/oauth2/default/v1/token"
        );
        assert_eq!(
            e.issuer.as_deref(),
            Some("https://example.okta.com/oauth2/default")
        );
        let org = "https://example.okta.com/oauth2";
        assert_eq!(issuer_of(org).unwrap(), "https://example.okta.com");
        let e = known_endpoints(org, &issuer_of(org).unwrap());
        assert_eq!(
            e.authorization_endpoint,
            "https://example.okta.com/oauth2/v1/authorize"
        );
        assert_eq!(e.issuer.as_deref(), Some("https://example.okta.com"));
    }
}

//! `fake-adfs`: a test adapter standing in for the identity provider Azure AD federates with.
//!
//! It claims the mock server's `/adfs/ls/` URLs, and its `authenticate` posts the user name and
//! password to the federation URL and succeeds when the mock sets the `MSISAuth` session cookie,
//! which the shared cookie jar then carries back to Azure AD's walk.

use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, ProbeResponse,
    Protocol, SamlAssertion,
};
use aws_runas_idp_support::{HttpClient, HttpRequest};

/// The name it registers.
pub(crate) const NAME: &str = "fake-adfs";

struct FakeAdfs {
    url: String,
    username: String,
    password: Option<Secret>,
    deps: IdpDeps,
}

impl std::fmt::Debug for FakeAdfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeAdfs")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl IdentityProvider for FakeAdfs {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        Err(IdpError::unsupported(
            "fake-adfs only signs in for azure ad",
        ))
    }

    async fn authenticate(&self) -> Result<(), IdpError> {
        let password = match &self.password {
            Some(p) => p.clone(),
            None => self.deps.prompter.read_secret("Password: ")?,
        };
        let http = HttpClient::from_deps(&self.deps);
        let response = http
            .follow(
                HttpRequest::post(self.url.clone())
                    .form([
                        ("UserName", self.username.as_str()),
                        ("Password", password.expose()),
                        ("AuthMethod", "FormsAuthentication"),
                    ])
                    .step("posting the password to fake-adfs"),
            )
            .await?;
        response.require_success()?;
        if response.sets_cookie("MSISAuth") {
            Ok(())
        } else {
            Err(IdpError::bad_credentials(
                "fake-adfs did not accept the password",
            ))
        }
    }
}

fn matches_url(url: &AuthUrl) -> bool {
    url.host() == "127.0.0.1" && url.path().starts_with("/adfs/ls")
}

fn matches_probe(_: &ProbeResponse) -> bool {
    false
}

fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    Ok(Box::new(FakeAdfs {
        url: settings
            .get(IdpSettings::URL)
            .unwrap_or_default()
            .to_string(),
        username: settings
            .get(IdpSettings::USERNAME)
            .unwrap_or_default()
            .to_string(),
        password: settings.password().cloned(),
        deps,
    }))
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: NAME,
    aliases: &[],
    protocols: &[Protocol::Saml],
    mfa: &[],
    matches_url,
    matches_probe,
    build,
});

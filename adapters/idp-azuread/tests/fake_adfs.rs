//! The federation side of the tests: `fake-adfs`, a test adapter standing in for the identity
//! provider Azure AD federates with, and [`TestFederation`], a [`Federation`] that picks it as the
//! app does (by name, by URL, or by one probe of the federation server).
//!
//! `fake-adfs` posts the user name and password to the federation URL and succeeds when the mock
//! sets the `MSISAuth` session cookie. Its client is built from the deps the federation hands on,
//! so the cookie lands in the login's in-memory jar, where Azure AD's own client finds it.

use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    AuthUrl, Federation, FederationRequest, IdentityProvider, IdpDeps, IdpError, IdpRegistration,
    IdpRegistrationSpec, IdpSettings, ProbeResponse, Protocol, SamlAssertion,
};
use aws_runas_idp_support::{HttpClient, HttpRequest, display_url};
use std::sync::Arc;

/// The name `fake-adfs` goes by (`azuread_federation_provider = fake-adfs`).
pub(crate) const NAME: &str = "fake-adfs";

/// `azuread` as the app builds it: with a [`Federation`] ([`TestFederation`]) in its deps.
///
/// Not submitted to the registry: the fixture replay builds the adapter through it.
pub(crate) static AZUREAD_WITH_FEDERATION: IdpRegistration = IdpRegistration::new(
    "aws-runas-idp-azuread",
    IdpRegistrationSpec {
        name: "azuread",
        aliases: &[],
        protocols: &[Protocol::Saml, Protocol::Oidc],
        mfa: &[],
        matches_url: |_| false,
        matches_probe: |_| false,
        build: |settings, deps| {
            let federation: Arc<dyn Federation> = Arc::new(TestFederation);
            aws_runas_idp_azuread::build(settings, deps.with_federation(Some(federation)))
        },
    },
);

/// The app's federation in miniature, knowing one adapter: `fake-adfs`.
#[derive(Debug)]
pub(crate) struct TestFederation;

#[async_trait::async_trait]
impl Federation for TestFederation {
    async fn authenticate(
        &self,
        request: FederationRequest,
        deps: IdpDeps,
    ) -> Result<(), IdpError> {
        assert_eq!(request.from, "azuread", "the adapter asking names itself");
        let url = request
            .settings
            .get(IdpSettings::URL)
            .unwrap_or_default()
            .to_string();
        let found = match request.provider.as_deref() {
            Some(NAME) => true,
            Some(other) => {
                return Err(IdpError::configuration(format!(
                    "unknown identity provider `{other}`; known providers: {NAME}"
                )));
            }
            None => {
                matches_url(&AuthUrl::parse(&url)?)
                    || matches_probe(&HttpClient::from_deps(&deps).probe(&url).await?)
            }
        };
        if !found {
            return Err(IdpError::configuration(format!(
                "no identity provider adapter recognises the federation server {}; known providers: {NAME}",
                display_url(&url)
            )));
        }
        FakeAdfs::new(&request.settings, deps).authenticate().await
    }
}

/// `fake-adfs`: one form post with the user name and the password.
struct FakeAdfs {
    url: String,
    username: String,
    password: Option<Secret>,
    deps: IdpDeps,
}

impl FakeAdfs {
    fn new(settings: &IdpSettings, deps: IdpDeps) -> Self {
        let get = |key| settings.get(key).unwrap_or_default().to_string();
        FakeAdfs {
            url: get(IdpSettings::URL),
            username: get(IdpSettings::USERNAME),
            password: settings.password().cloned(),
            deps,
        }
    }
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

/// The mock server's `/adfs/ls/` URLs.
fn matches_url(url: &AuthUrl) -> bool {
    url.host() == "127.0.0.1" && url.path().starts_with("/adfs/ls")
}

/// `fake-adfs` is never recognised by a probe.
fn matches_probe(_: &ProbeResponse) -> bool {
    false
}

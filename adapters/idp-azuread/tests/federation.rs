//! The hand-over of a federated user, seen from the [`Federation`] side: what Azure AD asks for
//! (the federation URL, the user name, the second-factor settings, the secrets given up front, the
//! same session), how the federation's error comes back, and what happens when the app gives the
//! login no federation at all.
//!
//! The federated cases of `fixtures/idp/azuread/` (`fixtures.rs`) show the whole sign-in through
//! `fake-adfs`, with and without a cookie file.

use crate::azuread;
use crate::fixtures::replay;
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    Federation, FederationRequest, IdpDeps, IdpError, IdpErrorKind, IdpSession, IdpSettings,
};
use aws_runas_idp_testkit::{ScriptedPrompter, Served, idle_http};
use std::sync::{Arc, Mutex, PoisonError};

/// A federation that records what it is asked and refuses the user.
#[derive(Debug)]
struct Refusing {
    /// The session of the login it serves, to compare with the one it is handed.
    login_session: Mutex<Option<IdpSession>>,
    asked: Mutex<Vec<(FederationRequest, bool)>>,
}

impl Refusing {
    fn new() -> Arc<Refusing> {
        Arc::new(Refusing {
            login_session: Mutex::new(None),
            asked: Mutex::new(vec![]),
        })
    }

    /// Every request, with whether the deps handed on shared the login's session.
    fn asked(&self) -> Vec<(FederationRequest, bool)> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl Federation for Refusing {
    async fn authenticate(
        &self,
        request: FederationRequest,
        deps: IdpDeps,
    ) -> Result<(), IdpError> {
        let same = self
            .login_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|s| s.same_as(&deps.session));
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((request, same));
        Err(IdpError::bad_credentials("the test federation refuses the user").at_step("signing in"))
    }
}

/// Deps for a federated case: the case's prompter, no cookie file, and `federation`.
fn deps(prompter: &Arc<ScriptedPrompter>, federation: Option<Arc<dyn Federation>>) -> IdpDeps {
    IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(Timestamp::from_unix(1_795_514_400))),
        idle_http(),
    )
    .with_federation(federation)
}

/// What went wrong on the mock besides exchanges never made, and the requests of those.
fn left_over(served: &Served) -> (Vec<String>, String) {
    let (never, other): (Vec<String>, Vec<String>) = served
        .problems()
        .into_iter()
        .partition(|p| p.starts_with("exchanges never made"));
    (other, never.join("\n"))
}

#[tokio::test]
async fn the_federation_is_asked_with_the_login_settings_and_session_and_its_error_comes_back() {
    let served = replay().serve("federated-adfs", None);
    let prompter = Arc::new(ScriptedPrompter::new());
    let federation = Refusing::new();
    let deps = deps(&prompter, Some(federation.clone()));
    *federation
        .login_session
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(deps.session.clone());
    let settings = IdpSettings::from_pairs([
        (IdpSettings::URL, served.url()),
        (IdpSettings::USERNAME, "jane.doe@example.test"),
        (IdpSettings::MFA_TYPE, "push"),
        (IdpSettings::MFA_WAIT, "45s"),
        ("azuread_federated_username", "CORP\\jane"),
    ])
    .with_secrets(
        Some(Secret::new("fake-password-0003")),
        Some(Secret::new("975310")),
    );
    let adapter = azuread().build(&settings, deps).unwrap();

    let e = adapter.saml_assertion().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials);
    assert_eq!(e.step(), Some("signing in"));
    let m = e.to_string();
    assert!(
        m.contains("the test federation refuses the user")
            && m.contains("the federated sign-in of azure ad at http://127.0.0.1:")
            && m.contains("/adfs/ls/"),
        "{m}"
    );
    assert!(
        !m.contains("fake-password-0003") && !m.contains("975310"),
        "{m}"
    );

    let asked = federation.asked();
    assert_eq!(asked.len(), 1, "the federation is asked once");
    let (request, same_session) = &asked[0];
    assert!(same_session, "the federation gets the login's session");
    assert_eq!(request.from, "azuread");
    assert_eq!(request.provider, None);
    let fed_url = request.settings.get(IdpSettings::URL).unwrap();
    assert!(
        fed_url.starts_with(served.server().base_url().as_str()) && fed_url.contains("/adfs/ls/"),
        "{fed_url}"
    );
    assert_eq!(
        request.settings.get(IdpSettings::USERNAME),
        Some("CORP\\jane")
    );
    assert_eq!(request.settings.get(IdpSettings::MFA_TYPE), Some("push"));
    assert_eq!(request.settings.get(IdpSettings::MFA_WAIT), Some("45s"));
    assert_eq!(
        request.settings.password().map(Secret::expose),
        Some("fake-password-0003")
    );
    assert_eq!(
        request.settings.mfa_code().map(Secret::expose),
        Some("975310")
    );

    let (problems, never) = left_over(&served);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(never.contains("POST /adfs/ls/"), "{never}");
    assert_eq!(prompter.labels(), Vec::<String>::new(), "nothing is asked");
    assert!(
        prompter
            .notices()
            .iter()
            .any(|n| n.contains("federates jane.doe@example.test")),
        "{:?}",
        prompter.notices()
    );
}

#[tokio::test]
async fn without_a_federation_a_federated_user_is_a_configuration_error_before_anything_is_asked() {
    let served = replay().serve("federated-adfs", None);
    let prompter = Arc::new(ScriptedPrompter::new());
    let settings = IdpSettings::from_pairs([
        (IdpSettings::URL, served.url()),
        (IdpSettings::USERNAME, "jane.doe@example.test"),
    ]);
    let adapter = azuread().build(&settings, deps(&prompter, None)).unwrap();

    let e = adapter.saml_assertion().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration);
    let m = e.to_string();
    assert!(
        m.contains("federates jane.doe@example.test with") && m.contains("/adfs/ls/"),
        "{m}"
    );
    let (problems, never) = left_over(&served);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        never.contains("[\"POST /adfs/ls/\""),
        "nothing reaches the federation server: {never}"
    );
    assert_eq!(prompter.labels(), Vec::<String>::new(), "nothing is asked");
}

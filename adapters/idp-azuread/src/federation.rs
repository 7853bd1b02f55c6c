//! Federated and guest users: Azure AD sends them to another identity provider
//! (`FederationRedirectUrl`). The sign-in there is handed to the [`Federation`] the app injects
//! in [`IdpDeps::federation`]: it picks the adapter for that server (`azuread_federation_provider`,
//! else by URL, else by one probe) and signs the user in with the same deps. Every client built
//! from those deps shares this login's cookie jar in memory ([`IdpDeps::session`]), so Azure AD's
//! next request carries the federation server's session cookies; no cookie file is needed.

use crate::settings::AzureAdSettings;
use aws_runas_domain::ports::idp::{
    Federation, FederationRequest, IdpDeps, IdpError, IdpErrorKind, IdpSettings,
};
use aws_runas_idp_support::display_url;

/// Where the federation URL handed on comes from.
const URL_ORIGIN: &str = "azure ad's FederationRedirectUrl";

/// Where the other values handed on come from.
const SETTINGS_ORIGIN: &str = "the azuread settings of the federated sign-in";

/// Signs the user in at the federation server `url` through [`IdpDeps::federation`].
///
/// # Errors
/// [`IdpError::configuration`] when the app gave this login no [`Federation`]; otherwise what
/// the federated sign-in returns, with the federation server named ([`in_context`]).
pub(crate) async fn sign_in(
    settings: &AzureAdSettings,
    deps: &IdpDeps,
    url: &str,
    username: &str,
) -> Result<(), IdpError> {
    let at = display_url(url);
    let federation: Option<&dyn Federation> = deps.federation.as_deref();
    let Some(federation) = federation else {
        return Err(IdpError::configuration(format!(
            "azure ad federates {username} with {at}, and no sign-in at another identity provider is available to this login"
        )));
    };
    let provider = settings.federation_provider();
    let through = provider.map(|p| format!(" with {p}")).unwrap_or_default();
    deps.prompter.notice(&format!(
        "Azure AD federates {username} with {at}: signing in there{through}"
    ));
    federation
        .authenticate(request(settings, url, username), deps.clone())
        .await
        .map_err(|e| in_context(e, provider, &at))
}

/// The request for the federated sign-in: the federation URL, the user name
/// (`azuread_federated_username`, else the Azure AD one), `mfa_type`, `mfa_wait_timeout` and the
/// secrets given up front.
pub(crate) fn request(settings: &AzureAdSettings, url: &str, username: &str) -> FederationRequest {
    let login = settings.login();
    let user = settings.federated_username().unwrap_or(username);
    let federated = IdpSettings::new()
        .with(IdpSettings::URL, url, URL_ORIGIN)
        .with(IdpSettings::USERNAME, user, SETTINGS_ORIGIN)
        .with(IdpSettings::MFA_TYPE, login.mfa().as_str(), SETTINGS_ORIGIN)
        .with(
            IdpSettings::MFA_WAIT,
            format!("{}s", login.mfa_wait().as_secs().max(1)),
            SETTINGS_ORIGIN,
        )
        .with_secrets(login.password().cloned(), login.mfa_code().cloned());
    FederationRequest {
        from: crate::NAME,
        provider: settings.federation_provider().map(str::to_string),
        settings: federated,
    }
}

/// The federated sign-in's error, saying where it happened; a prompt error stays as it is.
fn in_context(e: IdpError, provider: Option<&str>, at: &str) -> IdpError {
    if e.kind() == IdpErrorKind::Prompt {
        return e;
    }
    let through = provider
        .map(|p| format!(" through {p}"))
        .unwrap_or_default();
    let hint = if e.kind() == IdpErrorKind::Configuration && provider.is_none() {
        "; azuread_federation_provider names the adapter to use"
    } else {
        ""
    };
    e.in_context(&format!(
        "(the federated sign-in of azure ad{through} at {at}{hint})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;
    use aws_runas_domain::ports::prompter::PromptError;

    const AT: &str = "https://adfs.example.test/adfs/ls/";

    fn settings(pairs: &[(&str, &str)]) -> AzureAdSettings {
        let given = IdpSettings::from_pairs(pairs.iter().copied()).with_secrets(
            Some(Secret::new("fake-password-0001")),
            Some(Secret::new("975310")),
        );
        AzureAdSettings::from_idp_settings(&given).unwrap()
    }

    #[test]
    fn errors_keep_their_kind_and_gain_the_place() {
        let e = in_context(IdpError::bad_credentials("bad password"), Some("adfs"), AT);
        assert_eq!(e.kind(), IdpErrorKind::BadCredentials);
        assert_eq!(
            e.message(),
            format!("bad password (the federated sign-in of azure ad through adfs at {AT})")
        );

        let unknown = in_context(IdpError::configuration("no adapter knows it"), None, AT);
        assert_eq!(unknown.kind(), IdpErrorKind::Configuration);
        assert!(
            unknown.message().contains(AT)
                && unknown.message().contains("azuread_federation_provider"),
            "{unknown}"
        );

        let unsupported = in_context(IdpError::unsupported("no"), Some("forms"), AT);
        assert_eq!(unsupported.kind(), IdpErrorKind::Unsupported);
        assert!(
            unsupported.message().contains("through forms"),
            "{unsupported}"
        );

        assert_eq!(
            in_context(IdpError::from(PromptError::NoTerminal), None, AT),
            IdpError::from(PromptError::NoTerminal)
        );
    }

    #[test]
    fn the_request_hands_on_the_login_settings() {
        let s = settings(&[
            ("url", "https://myapps.microsoft.com/signin/fake-app-0001"),
            ("username", "jane.doe@example.test"),
            ("mfa_type", "code"),
            ("mfa_wait_timeout", "90s"),
            ("azuread_federated_username", "CORP\\jane"),
            ("azuread_federation_provider", "ADFS"),
        ]);
        let r = request(&s, AT, "jane.doe@example.test");
        assert_eq!(r.from, "azuread");
        assert_eq!(r.provider.as_deref(), Some("adfs"));
        let values: Vec<(&str, &str)> = r.settings.iter().collect();
        assert_eq!(
            values,
            vec![
                ("mfa_type", "code"),
                ("mfa_wait_timeout", "90s"),
                ("url", AT),
                ("username", "CORP\\jane"),
            ]
        );
        assert_eq!(r.settings.origin("url"), Some(URL_ORIGIN));
        assert_eq!(
            r.settings.password().map(Secret::expose),
            Some("fake-password-0001")
        );
        assert_eq!(r.settings.mfa_code().map(Secret::expose), Some("975310"));

        let plain = settings(&[("url", "https://myapps.microsoft.com/signin/x")]);
        let r = request(&plain, AT, "asked.user@example.test");
        assert_eq!(r.provider, None);
        assert_eq!(r.settings.get("username"), Some("asked.user@example.test"));
        assert_eq!(r.settings.get("mfa_type"), Some("auto"));
        assert_eq!(r.settings.get("mfa_wait_timeout"), Some("120s"));
    }
}

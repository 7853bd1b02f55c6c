//! Federated and guest users: Azure AD sends them to another identity provider
//! (`FederationRedirectUrl`). The adapter for that provider is found in the registry, as the app
//! finds adapters (by name, by URL, or by one probe), never through a crate dependency, and logs
//! the user in there with [`IdentityProvider::authenticate`]; its session cookies land in the
//! shared cookie jar, where Azure AD's walk picks them up.

use crate::settings::AzureAdSettings;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpErrorKind, IdpRegistration, IdpSettings,
    registry,
};
use aws_runas_idp_support::{HttpClient, display_url};

/// Finds the adapter for the federation server at `url`: `azuread_federation_provider` when set,
/// else the first other adapter whose URL matcher accepts it, else the first whose probe matcher
/// accepts one probe of it.
///
/// # Errors
/// [`IdpErrorKind::Configuration`](aws_runas_domain::ports::idp::IdpErrorKind::Configuration) when no adapter is found, naming the URL and the known
/// providers; [`IdpErrorKind::Unavailable`](aws_runas_domain::ports::idp::IdpErrorKind::Unavailable) when the probe fails.
pub(crate) async fn find_adapter(
    settings: &AzureAdSettings,
    url: &str,
    http: &HttpClient,
) -> Result<&'static IdpRegistration, IdpError> {
    let registry = registry().map_err(IdpError::configuration)?;
    if let Some(name) = settings.federation_provider() {
        let reg = registry
            .get(name)
            .map_err(|e| IdpError::configuration(format!("azuread_federation_provider: {e}")))?;
        if reg.name() == crate::NAME {
            return Err(IdpError::configuration(
                "azuread_federation_provider names azuread itself: name the identity provider Azure AD federates with (adfs, for example)",
            ));
        }
        return Ok(reg);
    }
    let parsed = AuthUrl::parse(url).map_err(|_| {
        IdpError::unavailable(format!(
            "azure ad sent the user to a federation server with an unusable address ({})",
            display_url(url)
        ))
    })?;
    let others = || registry.iter().filter(|r| r.name() != crate::NAME);
    if let Some(reg) = others().find(|r| r.matches_url(&parsed)) {
        return Ok(reg);
    }
    let probe = http.probe(url).await?;
    if let Some(reg) = others().find(|r| r.matches_probe(&probe)) {
        return Ok(reg);
    }
    let known: Vec<&str> = others().map(|r| r.name()).collect();
    Err(IdpError::configuration(format!(
        "azure ad federates this user with {}, and no identity provider adapter recognises it; set azuread_federation_provider to one of: {}",
        display_url(url),
        if known.is_empty() {
            "none (no other adapter is linked)".to_string()
        } else {
            known.join(", ")
        }
    )))
}

/// Builds the adapter of `reg` for the federation server and logs the user in there.
///
/// It gets the federation URL, the user name (`azuread_federated_username`, else the Azure AD
/// one), `mfa_type`, `mfa_wait_timeout`, the secrets given up front, and the same prompter,
/// clock and HTTP settings (so the same cookie jar).
///
/// # Errors
/// What the adapter returns, with the federation server named.
pub(crate) async fn sign_in(
    reg: &'static IdpRegistration,
    settings: &AzureAdSettings,
    deps: &IdpDeps,
    url: &str,
    username: &str,
    secrets: (Option<Secret>, Option<Secret>),
) -> Result<(), IdpError> {
    let user = settings.federated_username().unwrap_or(username);
    let mut pairs = vec![
        (IdpSettings::URL.to_string(), url.to_string()),
        (IdpSettings::USERNAME.to_string(), user.to_string()),
        (
            IdpSettings::MFA_TYPE.to_string(),
            settings.mfa_type().to_string(),
        ),
    ];
    pairs.push((
        IdpSettings::MFA_WAIT.to_string(),
        format!("{}s", settings.mfa_wait().as_secs().max(1)),
    ));
    let fed_settings = IdpSettings::from_pairs(pairs).with_secrets(secrets.0, secrets.1);
    let at = display_url(url);
    let name = reg.name();
    deps.prompter.notice(&format!(
        "Azure AD federates {username} with {at}: signing in there ({name})"
    ));
    let adapter: Box<dyn IdentityProvider> = reg
        .build(&fed_settings, deps.clone())
        .map_err(|e| in_context(e, name, &at))?;
    adapter
        .authenticate()
        .await
        .map_err(|e| in_context(e, name, &at))
}

/// The federated adapter's error, saying where it happened.
fn in_context(e: IdpError, name: &str, at: &str) -> IdpError {
    let context = format!("(the federated sign-in of azure ad through {name} at {at})");
    match e.kind() {
        IdpErrorKind::Prompt => e,
        IdpErrorKind::Unsupported => IdpError::unsupported(format!(
            "the {name} adapter cannot sign in for azure ad: {} {context}",
            e.message()
        )),
        _ => e.in_context(&context),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::prompter::PromptError;

    #[test]
    fn errors_keep_their_kind_and_gain_the_place() {
        let at = "https://adfs.example.test/adfs/ls/";
        let e = in_context(IdpError::bad_credentials("bad password"), "adfs", at);
        assert_eq!(
            e,
            IdpError::bad_credentials(format!(
                "bad password (the federated sign-in of azure ad through adfs at {at})"
            ))
        );
        assert!(matches!(
            in_context(IdpError::unsupported("no"), "forms", at),
            err_ if err_.kind() == IdpErrorKind::Unsupported && {let m = err_.to_string(); m.starts_with("the forms adapter cannot sign in for azure ad")}
        ));
        assert_eq!(
            in_context(IdpError::from(PromptError::NoTerminal), "adfs", at),
            IdpError::from(PromptError::NoTerminal)
        );
    }
}

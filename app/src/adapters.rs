//! Names every identity-provider adapter crate once, so the linker keeps their `inventory`
//! registrations: an adapter only listed in `Cargo.toml` is dropped silently (inventory#7,
//! cargo#9391). The tidy test checks that every `adapters/idp-*` folder appears here, and a test
//! asserts the exact set of registered names. Each line is behind the adapter's feature (all on by
//! default), so a program using the library can link fewer.

#[cfg(feature = "idp-adfs")]
use aws_runas_idp_adfs as _;
#[cfg(feature = "idp-azuread")]
use aws_runas_idp_azuread as _;
#[cfg(feature = "idp-browser")]
use aws_runas_idp_browser as _;
#[cfg(feature = "idp-browser-sp")]
use aws_runas_idp_browser_sp as _;
#[cfg(feature = "idp-forgerock")]
use aws_runas_idp_forgerock as _;
#[cfg(feature = "idp-forms")]
use aws_runas_idp_forms as _;
#[cfg(feature = "idp-keycloak")]
use aws_runas_idp_keycloak as _;
#[cfg(feature = "idp-mock")]
use aws_runas_idp_mock as _;
#[cfg(feature = "idp-oidc")]
use aws_runas_idp_oidc as _;
#[cfg(feature = "idp-okta")]
use aws_runas_idp_okta as _;
#[cfg(feature = "idp-onelogin")]
use aws_runas_idp_onelogin as _;

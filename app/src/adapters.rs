//! Names every identity-provider adapter crate once, so the linker keeps their `inventory`
//! registrations: an adapter only listed in `Cargo.toml` is dropped silently (inventory#7,
//! cargo#9391). The tidy test checks that every `adapters/idp-*` folder appears here, and a test
//! asserts the exact set of registered names.

use aws_runas_idp_adfs as _;
use aws_runas_idp_azuread as _;
use aws_runas_idp_forgerock as _;
use aws_runas_idp_forms as _;
use aws_runas_idp_keycloak as _;
use aws_runas_idp_mock as _;
use aws_runas_idp_oidc as _;
use aws_runas_idp_okta as _;
use aws_runas_idp_onelogin as _;

//! Azure AD page reading (adapters/idp-azuread): the `$Config` object and every field the login
//! looks at, and the `SAMLRequest` redirect script, from an arbitrary page.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    let _ = aws_runas_idp_azuread::fuzzing::read_page(
        html,
        "https://login.microsoftonline.com/tenant/saml2",
    );
});

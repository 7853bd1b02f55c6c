//! The SAML assertion parser (domain/src/saml.rs). The input is the XML, base64-encoded here so
//! that the XML reader and the role, time and duration rules are reached; a leading flag byte
//! instead hands the text over as is, to reach the base64 decoding.
#![no_main]

use aws_runas_domain::Timestamp;
use aws_runas_domain::saml::{RolePick, SamlResponse};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flag, rest)) = data.split_first() else {
        return;
    };
    let text = if flag & 1 == 0 {
        base64::engine::general_purpose::STANDARD.encode(rest)
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    let Ok(response) = SamlResponse::parse(&text) else {
        return;
    };
    assert!(!response.roles().is_empty());
    let _ = format!("{response:?}");
    let _ = (
        response.session_name(),
        response.issue_instant(),
        response.not_on_or_after(),
        response.duration_cap(),
        response.is_usable_at(Timestamp::from_unix(i64::from(flag) << 24)),
    );
    let _ = response.usable_until();
    for grant in response.roles() {
        assert!(response.grant(grant.role()).is_some());
        assert!(matches!(
            response.pick_role(Some(grant.role())),
            Ok(RolePick::Role(g)) if g.role() == grant.role()
        ));
        let _ = grant.provider_arn();
    }
    match response.pick_role(None) {
        Ok(RolePick::Role(_)) => assert_eq!(response.roles().len(), 1),
        Ok(RolePick::Choose(all)) => assert_eq!(all.len(), response.roles().len()),
        Err(e) => panic!("no pick among {} roles: {e}", response.roles().len()),
    }
});

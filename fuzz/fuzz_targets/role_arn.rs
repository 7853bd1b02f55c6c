//! Role ARN, session-name and profile-name validation (domain): arbitrary text.
#![no_main]

use aws_runas_domain::names::{ProfileName, RoleArn, SessionName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(arn) = RoleArn::parse(text) {
        assert_eq!(arn.as_str(), text);
        assert!(RoleArn::looks_like_arn(text));
        assert!(!arn.partition().is_empty());
        assert!(arn.account().bytes().all(|b| b.is_ascii_digit()));
        assert!(!arn.role_name().is_empty());
        assert_eq!(arn.to_string(), text);
    }
    let _ = RoleArn::looks_like_arn(text);
    if let Some(name) = SessionName::sanitize(text) {
        let s = name.as_str();
        assert!((2..=64).contains(&s.len()), "session name {s:?}");
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)),
            "session name {s:?}"
        );
        // Sanitising is idempotent.
        assert_eq!(SessionName::sanitize(s).as_ref().map(SessionName::as_str), Some(s));
    }
    if let Ok(name) = ProfileName::new(text) {
        assert_eq!(name.as_str(), text);
    }
});

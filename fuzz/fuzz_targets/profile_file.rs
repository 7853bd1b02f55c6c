//! The profile-file parser (adapters/config-file). The first byte chooses the parse mode (bit 0)
//! and what the rest is (bits 1-2: the config file, the credentials file, or both split at the
//! first NUL); every profile found is then read back.
#![no_main]

use aws_runas_config_file::{ParseMode, parse_profile_text};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mode = if flags & 1 == 0 {
        ParseMode::AwsRunas
    } else {
        ParseMode::Strict
    };
    let (config, credentials) = match (flags >> 1) & 3 {
        0 => (Some(text), None),
        1 => (None, Some(text)),
        _ => match text.split_once('\0') {
            Some((c, k)) => (Some(c), Some(k)),
            None => (Some(text), Some(text)),
        },
    };
    let config = config.map(|t| (Path::new("config"), t));
    let credentials = credentials.map(|t| (Path::new("credentials"), t));
    if let Ok(set) = parse_profile_text(config, credentials, mode) {
        // Every profile and property is read back; `Debug` must not panic either.
        let _ = format!("{set:?}");
        for section in set.profiles().chain(set.sso_sessions()) {
            for (key, property) in section.properties() {
                assert_eq!(section.get(key), Some(property.value()));
            }
        }
    }
});

//! The Go duration parser (domain): arbitrary text; what parses is formatted and parsed again.
#![no_main]

use aws_runas_domain::duration::{ROLE_LIMITS, format_go_duration, parse_go_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(secs) = parse_go_duration(text) {
        let _ = ROLE_LIMITS.clamp(Some(secs));
        if secs >= 0 {
            // Go's own formatting of a whole number of seconds reads back as the same number.
            assert_eq!(parse_go_duration(&format_go_duration(secs)), Ok(secs));
        }
    }
});

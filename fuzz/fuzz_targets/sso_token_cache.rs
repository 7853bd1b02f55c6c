//! The IAM Identity Center token-cache file (adapters/cache-file): arbitrary bytes as a token
//! file; a token read from them is written and read again, and must come back the same.
#![no_main]

use aws_runas_cache_file::fuzzing::sso_token_round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(written) = sso_token_round_trip(data) {
        assert_eq!(sso_token_round_trip(&written).as_ref(), Some(&written));
    }
});

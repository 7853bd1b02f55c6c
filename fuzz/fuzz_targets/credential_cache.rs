//! The credential-cache file (adapters/cache-file): arbitrary bytes as a cache file; an entry read
//! from them is written and read again, and must come back the same.
#![no_main]

use aws_runas_cache_file::fuzzing::credential_cache_round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(written) = credential_cache_round_trip(data) {
        assert_eq!(credential_cache_round_trip(&written).as_ref(), Some(&written));
    }
});

//! JWT payload decoding (domain/src/jwt.rs): arbitrary text as a token, and arbitrary bytes as
//! its payload (base64url-encoded here so that the JSON reading is reached).
#![no_main]

use aws_runas_domain::Timestamp;
use aws_runas_domain::jwt::{claims, expiry, is_fresh, username};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

fn read(token: &str, now: i64) {
    let _ = claims(token);
    let _ = expiry(token);
    let _ = username(token);
    let _ = is_fresh(token, Timestamp::from_unix(now), now);
}

fuzz_target!(|data: &[u8]| {
    let now = data.iter().fold(0i64, |a, b| a.wrapping_mul(31).wrapping_add(i64::from(*b)));
    read(&String::from_utf8_lossy(data), now);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
    read(&format!("eyJhbGciOiJub25lIn0.{payload}.sig"), now);
});

//! The IdP cookie jar (adapters/idp-support). The first byte chooses the URL the cookies come
//! from (bits 0-2) and the time (bits 3-7); the rest is a jar file, a NUL, then `Set-Cookie`
//! values one a line. What the jar would write is read again.
#![no_main]

use aws_runas_domain::Timestamp;
use aws_runas_idp_support::fuzzing::cookie_jar;
use libfuzzer_sys::fuzz_target;

const URLS: [&str; 5] = [
    "https://idp.example.com/login/page",
    "http://localhost:8080/a/b",
    "https://sub.idp.example.com/",
    "http://127.0.0.1/",
    "https://example.com/x",
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let url = URLS[usize::from(flags & 7) % URLS.len()];
    let (jar, headers) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (&b""[..], rest),
    };
    let set_cookies: Vec<&[u8]> = headers.split(|b| *b == b'\n').collect();
    // Bits 3-7 choose the time: from the 12th to the 26th century, the edges of date arithmetic.
    let now = Timestamp::from_unix(1_700_000_000 + (i64::from(flags >> 3) - 16) * (1 << 30));
    let Some((_header, written)) = cookie_jar(jar, url, &set_cookies, now) else {
        return;
    };
    // What the jar writes, it reads back.
    assert!(cookie_jar(&written, url, &[], now).is_some());
});

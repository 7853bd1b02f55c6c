//! HTML form reading (adapters/idp-support's `HtmlPage`, `Form`, `extract_saml_response`, and
//! the page classification of adapters/idp-forms). The first byte chooses the page's URL (bits
//! 0-1) and which `forms_*_field` overrides are set (bits 2-4); the rest is the page.
#![no_main]

use libfuzzer_sys::fuzz_target;

const URLS: [&str; 4] = [
    "https://idp.example.com/login/page?x=1",
    "http://127.0.0.1:8080/",
    "not a url",
    "https://idp.example.com/a/b/c/",
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let html = String::from_utf8_lossy(rest);
    let url = URLS[usize::from(flags & 3)];
    let set = |bit: u8, name: &'static str| (flags & (1 << bit) != 0).then_some(name);
    let _ = aws_runas_idp_forms::fuzzing::read_page(
        &html,
        url,
        set(2, "username"),
        set(3, "password"),
        set(4, "otp"),
    );
});

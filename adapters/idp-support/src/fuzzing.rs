//! Entry points for the fuzz targets in `fuzz/`: code that reads what servers send, run over
//! arbitrary input without a network or a file. Not meant for other callers.

use aws_runas_domain::Timestamp;

/// The IdP cookie jar without its file: `jar` is read as the jar file's contents, then
/// `set_cookies` are applied as `Set-Cookie` values received from `url` at `now`. Returns the
/// `Cookie` header then sent back to `url` and the bytes the jar file would then hold; `None`
/// when `url` is not a URL.
pub fn cookie_jar(
    jar: &[u8],
    url: &str,
    set_cookies: &[&[u8]],
    now: Timestamp,
) -> Option<(Option<String>, Vec<u8>)> {
    let url = url::Url::parse(url).ok()?;
    Some(crate::cookies::exercise(jar, &url, set_cookies, now))
}

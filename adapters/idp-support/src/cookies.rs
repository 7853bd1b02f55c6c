//! The IdP cookie jar: RFC 6265 matching good enough for IdP logins, persisted as JSON so an IdP
//! session survives between runs.
//!
//! Session cookies are persisted too (the original tool does the same): that is what lets a second
//! run skip the password and the second factor while the IdP session lasts.
//! Writes re-read the file and merge by `(name, domain, path)`, so two runs that finish in turn do
//! not lose each other's cookies; the file is replaced atomically and is only readable by its owner.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use url::Url;
use zeroize::Zeroize;

/// The version written in the file; a file with another version is ignored.
const FORMAT_VERSION: u32 = 1;

/// One stored cookie.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    /// Lower-case, no leading dot.
    pub(crate) domain: String,
    /// Sent to `domain` only (no `Domain` attribute) rather than to its subdomains too.
    pub(crate) host_only: bool,
    pub(crate) path: String,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    /// Seconds since the Unix epoch; `None` for a session cookie.
    pub(crate) expires: Option<i64>,
}

impl StoredCookie {
    fn key(&self) -> (&str, &str, &str) {
        (&self.name, &self.domain, &self.path)
    }

    fn expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

impl Drop for StoredCookie {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl fmt::Debug for StoredCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCookie")
            .field("name", &self.name)
            .field("domain", &self.domain)
            .field("path", &self.path)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct JarFile {
    version: u32,
    cookies: Vec<StoredCookie>,
}

/// A cookie jar, optionally backed by a file.
#[derive(Debug, Default)]
pub(crate) struct CookieJar {
    path: Option<PathBuf>,
    cookies: Vec<StoredCookie>,
}

/// One change to apply: a cookie set, or removed (expired on arrival).
#[derive(Debug, Clone)]
pub(crate) struct Change {
    cookie: StoredCookie,
    remove: bool,
}

impl CookieJar {
    /// A jar loaded from `path` (when given); a missing or malformed file gives an empty jar.
    pub(crate) fn load(path: Option<&Path>, now: i64) -> Self {
        let cookies = path.map(|p| read_file(p, now)).unwrap_or_default();
        CookieJar {
            path: path.map(Path::to_path_buf),
            cookies,
        }
    }

    /// Applies the `Set-Cookie` values received from `url`, persisting the jar when anything
    /// changed, and returns the names of the cookies set.
    pub(crate) fn store(&mut self, url: &Url, set_cookies: &[String], now: i64) -> Vec<String> {
        let changes: Vec<Change> = set_cookies
            .iter()
            .filter_map(|raw| parse_set_cookie(raw, url, now))
            .collect();
        let names = changes.iter().map(|c| c.cookie.name.clone()).collect();
        if changes.is_empty() {
            return names;
        }
        apply(&mut self.cookies, &changes, now);
        if let Some(path) = &self.path {
            let mut on_disk = read_file(path, now);
            apply(&mut on_disk, &changes, now);
            if let Err(e) = write_file(path, &on_disk) {
                // The jar only saves logins; a login must not fail because it cannot be saved.
                log::warn!("cannot write the IdP cookie jar {}: {e}", path.display());
            }
        }
        names
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies.
    pub(crate) fn header_for(&self, url: &Url, now: i64) -> Option<String> {
        let mut matching: Vec<&StoredCookie> = self
            .cookies
            .iter()
            .filter(|c| !c.expired(now) && matches_url(c, url))
            .collect();
        if matching.is_empty() {
            return None;
        }
        // Longer paths first, as RFC 6265 §5.4 asks; the sort is stable, so otherwise first-set first.
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        Some(
            matching
                .iter()
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// The names of the cookies that would be sent to `url`.
    pub(crate) fn names_for(&self, url: &Url, now: i64) -> Vec<String> {
        self.cookies
            .iter()
            .filter(|c| !c.expired(now) && matches_url(c, url))
            .map(|c| c.name.clone())
            .collect()
    }
}

fn apply(cookies: &mut Vec<StoredCookie>, changes: &[Change], now: i64) {
    for change in changes {
        cookies.retain(|c| c.key() != change.cookie.key());
        if !change.remove {
            cookies.push(change.cookie.clone());
        }
    }
    cookies.retain(|c| !c.expired(now));
}

fn read_file(path: &Path, now: i64) -> Vec<StoredCookie> {
    let Ok(text) = fs::read_to_string(path) else {
        return vec![];
    };
    match serde_json::from_str::<JarFile>(&text) {
        Ok(file) if file.version == FORMAT_VERSION => {
            let mut cookies = file.cookies;
            cookies.retain(|c| !c.expired(now) && !c.name.is_empty() && !c.domain.is_empty());
            cookies
        }
        _ => {
            log::debug!(
                "ignoring the malformed IdP cookie jar {}; it is replaced on the next write",
                path.display()
            );
            vec![]
        }
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes the jar through a temporary file in the same directory (0600, synced) and a rename.
fn write_file(path: &Path, cookies: &[StoredCookie]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
    }
    let mut json = serde_json::to_vec_pretty(&JarFile {
        version: FORMAT_VERSION,
        cookies: cookies.to_vec(),
    })
    .map_err(std::io::Error::other)?;
    json.push(b'\n');
    let temp = dir.join(format!(
        ".aws_runas_cookies_{}_{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    json.zeroize();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Parses one `Set-Cookie` value received from `url` (RFC 6265 §5.2 and §5.3, without the
/// public-suffix list: a `Domain` without a dot is refused instead).
fn parse_set_cookie(raw: &str, url: &Url, now: i64) -> Option<Change> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    let mut parts = raw.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return None;
    }
    let mut domain_attr: Option<String> = None;
    let mut path_attr: Option<String> = None;
    let mut secure = false;
    let mut http_only = false;
    let mut max_age: Option<i64> = None;
    let mut expires: Option<i64> = None;
    for attr in parts {
        let (key, val) = match attr.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (attr.trim(), ""),
        };
        match key.to_ascii_lowercase().as_str() {
            "domain" if !val.is_empty() => {
                domain_attr = Some(val.trim_start_matches('.').to_ascii_lowercase());
            }
            "path" if val.starts_with('/') => path_attr = Some(val.to_string()),
            "secure" => secure = true,
            "httponly" => http_only = true,
            "max-age" => {
                if let Ok(secs) = val.parse::<i64>() {
                    max_age = Some(secs);
                }
            }
            "expires" => expires = parse_cookie_date(val),
            _ => {}
        }
    }
    let (domain, host_only) = match domain_attr {
        Some(d) if d == host => (d, false),
        Some(d) => {
            let under = host.ends_with(&format!(".{d}"));
            if !under || !d.contains('.') || is_ip(&host) {
                log::debug!("ignoring cookie {name} for domain {d} set by {host}");
                return None;
            }
            (d, false)
        }
        None => (host.clone(), true),
    };
    let expires = match max_age {
        Some(secs) if secs <= 0 => Some(i64::MIN),
        Some(secs) => Some(now.saturating_add(secs)),
        None => expires,
    };
    let cookie = StoredCookie {
        name: name.to_string(),
        value: value.to_string(),
        domain,
        host_only,
        path: path_attr.unwrap_or_else(|| default_path(url.path())),
        secure,
        http_only,
        expires,
    };
    let remove = cookie.expired(now);
    Some(Change { cookie, remove })
}

/// RFC 6265 §5.1.4 default-path.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => path[..i].to_string(),
    }
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[')
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn matches_url(c: &StoredCookie, url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let domain_ok = if c.host_only {
        host == c.domain
    } else {
        host == c.domain || (host.ends_with(&format!(".{}", c.domain)) && !is_ip(&host))
    };
    // Browsers treat loopback as a secure context, so a mock IdP on 127.0.0.1 behaves like the real one.
    let secure_ok = !c.secure || url.scheme() == "https" || is_loopback(&host);
    domain_ok && secure_ok && path_matches(url.path(), &c.path)
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || request.starts_with(cookie)
            && (cookie.ends_with('/') || request.as_bytes().get(cookie.len()) == Some(&b'/'))
}

/// RFC 6265 §5.1.1 cookie-date, as seconds since the Unix epoch.
fn parse_cookie_date(text: &str) -> Option<i64> {
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    let delimiter = |c: char| {
        c == '\t'
            || (' '..='/').contains(&c)
            || (';'..='@').contains(&c)
            || ('['..='`').contains(&c)
            || ('{'..='~').contains(&c)
    };
    for token in text.split(delimiter).filter(|t| !t.is_empty()) {
        if time.is_none() {
            let hms: Vec<&str> = token.split(':').collect();
            if hms.len() == 3
                && hms
                    .iter()
                    .all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            {
                let n: Vec<i64> = hms.iter().filter_map(|p| p.parse().ok()).collect();
                time = Some((n[0], n[1], n[2]));
                continue;
            }
        }
        let digits = token.bytes().take_while(u8::is_ascii_digit).count();
        if day.is_none() && (1..=2).contains(&digits) && digits == token.len() {
            day = token.parse::<i64>().ok();
            continue;
        }
        if month.is_none() && token.len() >= 3 {
            let prefix = token[..3].to_ascii_lowercase();
            let months = [
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ];
            if let Some(i) = months.iter().position(|m| *m == prefix) {
                month = Some(i as i64 + 1);
                continue;
            }
        }
        if year.is_none() && (2..=4).contains(&digits) && digits == token.len() {
            year = token.parse::<i64>().ok();
            continue;
        }
    }
    let (h, mi, s) = time?;
    let (d, mo, mut y) = (day?, month?, year?);
    if (70..=99).contains(&y) {
        y += 1900;
    } else if (0..=69).contains(&y) {
        y += 2000;
    }
    if !(1..=31).contains(&d) || y < 1601 || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
    aws_runas_domain::Timestamp::parse_rfc3339(&text)
        .ok()
        .map(aws_runas_domain::Timestamp::unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn jar_with(set_by: &str, cookies: &[&str]) -> CookieJar {
        let mut jar = CookieJar::default();
        let raw: Vec<String> = cookies.iter().map(|s| s.to_string()).collect();
        jar.store(&url(set_by), &raw, NOW);
        jar
    }

    #[test]
    fn host_only_and_domain_cookies() {
        let jar = jar_with(
            "https://login.idp.example.com/auth/realms/x/login",
            &[
                "HOST=1; Path=/",
                "DOM=2; Domain=.idp.example.com; Path=/",
                "WIDE=3; Domain=com; Path=/",
                "OTHER=4; Domain=example.org",
            ],
        );
        assert_eq!(
            jar.header_for(&url("https://login.idp.example.com/"), NOW)
                .as_deref(),
            Some("HOST=1; DOM=2")
        );
        assert_eq!(
            jar.header_for(&url("https://sso.idp.example.com/x"), NOW)
                .as_deref(),
            Some("DOM=2")
        );
        assert_eq!(
            jar.header_for(&url("https://idp.example.com/"), NOW)
                .as_deref(),
            Some("DOM=2")
        );
        assert_eq!(jar.header_for(&url("https://example.com/"), NOW), None);
    }

    #[test]
    fn paths_default_and_match_on_segments() {
        let jar = jar_with(
            "https://idp.example.com/auth/realms/x/login-actions",
            &["DEF=1", "P=2; Path=/auth", "ROOT=3; Path=/"],
        );
        assert_eq!(
            jar.header_for(&url("https://idp.example.com/auth/realms/x/y"), NOW)
                .as_deref(),
            Some("DEF=1; P=2; ROOT=3")
        );
        assert_eq!(
            jar.header_for(&url("https://idp.example.com/authx"), NOW)
                .as_deref(),
            Some("ROOT=3")
        );
        assert_eq!(
            jar.names_for(&url("https://idp.example.com/auth"), NOW),
            vec!["P".to_string(), "ROOT".to_string()]
        );
    }

    #[test]
    fn secure_cookies_need_https_or_loopback() {
        let jar = jar_with("https://idp.example.com/", &["S=1; Secure; HttpOnly"]);
        assert_eq!(jar.header_for(&url("http://idp.example.com/"), NOW), None);
        assert!(
            jar.header_for(&url("https://idp.example.com/"), NOW)
                .is_some()
        );
        let local = jar_with("http://127.0.0.1:8080/", &["S=1; Secure"]);
        assert!(
            local
                .header_for(&url("http://127.0.0.1:8080/x"), NOW)
                .is_some()
        );
    }

    #[test]
    fn expiry_max_age_and_deletion() {
        let mut jar = jar_with(
            "https://idp.example.com/",
            &[
                "OLD=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "NEW=2; Expires=Fri, 01-Jan-2100 00:00:00 GMT",
                "AGE=3; Max-Age=60; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "SESSION=4",
            ],
        );
        let u = url("https://idp.example.com/");
        assert_eq!(
            jar.header_for(&u, NOW).as_deref(),
            Some("NEW=2; AGE=3; SESSION=4")
        );
        assert_eq!(
            jar.header_for(&u, NOW + 61).as_deref(),
            Some("NEW=2; SESSION=4")
        );
        jar.store(&u, &["SESSION=; Max-Age=0".to_string()], NOW);
        assert_eq!(jar.header_for(&u, NOW).as_deref(), Some("NEW=2; AGE=3"));
        jar.store(&u, &["NEW=5".to_string()], NOW);
        assert_eq!(jar.header_for(&u, NOW).as_deref(), Some("AGE=3; NEW=5"));
    }

    #[test]
    fn cookie_dates() {
        let expect = aws_runas_domain::Timestamp::parse_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .unix();
        for text in [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
        ] {
            assert_eq!(parse_cookie_date(text), Some(expect), "{text}");
        }
        assert_eq!(parse_cookie_date("tomorrow"), None);
        assert_eq!(parse_cookie_date("Wed, 32 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn malformed_set_cookie_values_are_skipped() {
        let jar = jar_with(
            "https://idp.example.com/",
            &["novalue", "=x", " A = b ; path=relative"],
        );
        assert_eq!(
            jar.header_for(&url("https://idp.example.com/q"), NOW)
                .as_deref(),
            Some("A=b")
        );
    }

    #[test]
    fn debug_hides_values() {
        let jar = jar_with("https://idp.example.com/", &["SID=s3cr3t-session"]);
        let shown = format!("{jar:?}");
        assert!(
            shown.contains("SID") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }

    #[test]
    fn the_file_keeps_session_cookies_merges_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(".aws_runas.cookies");
        let u = url("https://idp.example.com/");
        let mut first = CookieJar::load(Some(&path), NOW);
        // A second process writes in between; its cookie must survive the first one's write.
        let mut second = CookieJar::load(Some(&path), NOW);
        second.store(&u, &["B=2".to_string()], NOW);
        first.store(
            &u,
            &["A=1; HttpOnly".to_string(), "GONE=x; Max-Age=0".to_string()],
            NOW,
        );
        let reloaded = CookieJar::load(Some(&path), NOW);
        assert_eq!(reloaded.header_for(&u, NOW).as_deref(), Some("B=2; A=1"));
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"version\": 1") && text.contains("\"host_only\": true"),
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[test]
    fn a_malformed_file_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".aws_runas.cookies");
        fs::write(&path, "{not json").unwrap();
        let mut jar = CookieJar::load(Some(&path), NOW);
        let u = url("https://idp.example.com/");
        assert_eq!(jar.header_for(&u, NOW), None);
        jar.store(&u, &["A=1".to_string()], NOW);
        assert_eq!(
            CookieJar::load(Some(&path), NOW)
                .header_for(&u, NOW)
                .as_deref(),
            Some("A=1")
        );
        fs::write(&path, r#"{"version": 9, "cookies": []}"#).unwrap();
        assert_eq!(CookieJar::load(Some(&path), NOW).header_for(&u, NOW), None);
    }

    #[test]
    fn expired_cookies_are_dropped_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".aws_runas.cookies");
        let u = url("https://idp.example.com/");
        let mut jar = CookieJar::load(Some(&path), NOW);
        jar.store(
            &u,
            &[
                "SHORT=1; Max-Age=10".to_string(),
                "LONG=2; Max-Age=1000".to_string(),
            ],
            NOW,
        );
        let later = CookieJar::load(Some(&path), NOW + 100);
        assert_eq!(later.header_for(&u, NOW + 100).as_deref(), Some("LONG=2"));
    }
}

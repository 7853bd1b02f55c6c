//! The IdP cookie jar: `cookie_store`'s RFC 6265 store, shared in memory by the HTTP clients of
//! one login and saved in `.aws_runas.cookies`, so that an IdP session survives between runs.
//!
//! Parsing (`cookie`), domain and path matching, and expiry are the crates'. This module decides
//! only three things:
//! * the time an `Expires` date is measured against is the injected clock's (the date becomes
//!   the equivalent `Max-Age`), so a test clock decides what has expired, as the real one does;
//! * with no public-suffix list, a `Domain` of a single label (`Domain=com`) is refused unless it
//!   is the host itself (`localhost`);
//! * the file: session cookies are saved too (the original tool does the same: that is what lets
//!   a second run skip the password and the second factor while the IdP session lasts); each
//!   change is written under an `flock` on `<file>.lock`, which re-reads the file and applies only
//!   this response's cookies, so two processes do not lose each other's; the file is replaced
//!   atomically and only its owner may read it.

use aws_runas_domain::Timestamp;
use cookie::time::Duration as CookieDuration;
use cookie_store::{CookieStore, RawCookie};
use std::fmt;
use std::fs::{self, File, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use url::Url;
use zeroize::Zeroize;

/// How long a write waits for another process to finish with the file before giving up on saving.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// How long to sleep between attempts while waiting for the lock.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// A cookie store, loaded from its file (when it has one) on first use.
pub(crate) struct CookieJar {
    file: Option<PathBuf>,
    store: Mutex<Option<CookieStore>>,
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only, cookie values are session secrets; and no file is read for a `Debug`.
        let names: Option<Vec<String>> = self.store.try_lock().ok().and_then(|guard| {
            guard
                .as_ref()
                .map(|s| s.iter_unexpired().map(|c| c.name().to_string()).collect())
        });
        f.debug_struct("CookieJar")
            .field("file", &self.file)
            .field("cookies", &names)
            .finish()
    }
}

impl CookieJar {
    /// An empty jar, saved in `file` when given; the file is read on first use.
    pub(crate) fn new(file: Option<PathBuf>) -> Self {
        CookieJar {
            file,
            store: Mutex::new(None),
        }
    }

    /// Applies the `Set-Cookie` values (raw header bytes) received from `url`, saving the changes
    /// when the jar has a file, and returns the names of the cookies set (deletions included).
    ///
    /// `now` is the injected clock's time, against which `Expires` dates are read.
    pub(crate) fn store<'a>(
        &self,
        url: &Url,
        set_cookies: impl IntoIterator<Item = &'a [u8]>,
        now: Timestamp,
    ) -> Vec<String> {
        let cookies: Vec<RawCookie<'static>> = set_cookies
            .into_iter()
            .filter_map(|raw| parse_set_cookie(raw, now))
            .collect();
        let names = cookies.iter().map(|c| c.name().to_string()).collect();
        let accepted: Vec<RawCookie<'static>> = cookies
            .into_iter()
            .filter(|c| domain_allowed(c, url))
            .collect();
        if accepted.is_empty() {
            return names;
        }
        self.with_store(|store| insert_all(store, &accepted, url));
        if let Some(path) = &self.file
            && let Err(e) = save_changes(path, &accepted, url)
        {
            // The jar only saves logins; a login must not fail because it cannot be saved.
            log::warn!("cannot write the IdP cookie jar {}: {e}", path.display());
        }
        names
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies: longer paths
    /// first (RFC 6265 §5.4), otherwise in the store's order (by domain and path as first set).
    pub(crate) fn header_for(&self, url: &Url) -> Option<String> {
        let pairs = self.with_store(|s| {
            request_cookies(s, url)
                .into_iter()
                .map(|c| format!("{}={}", c.name(), c.value()))
                .collect::<Vec<_>>()
        });
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// The names of the cookies a request to `url` would carry, in the order they are sent.
    pub(crate) fn names_for(&self, url: &Url) -> Vec<String> {
        self.with_store(|s| {
            request_cookies(s, url)
                .into_iter()
                .map(|c| c.name().to_string())
                .collect()
        })
    }

    fn with_store<T>(&self, f: impl FnOnce(&mut CookieStore) -> T) -> T {
        let mut guard = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let store = guard.get_or_insert_with(|| match &self.file {
            Some(path) => read_file(path),
            None => CookieStore::new(),
        });
        f(store)
    }
}

/// The jar's handling of untrusted input without a file, for the fuzz target: `jar` read as the
/// file's contents, `set_cookies` applied as received from `url` at `now`; returns the `Cookie`
/// header then sent to `url` and the file contents then written.
pub(crate) fn exercise(
    jar: &[u8],
    url: &Url,
    set_cookies: &[&[u8]],
    now: Timestamp,
) -> (Option<String>, Vec<u8>) {
    let mut store = decode(jar, Path::new("(fuzz input)"));
    let cookies: Vec<RawCookie<'static>> = set_cookies
        .iter()
        .filter_map(|raw| parse_set_cookie(raw, now))
        .filter(|c| domain_allowed(c, url))
        .collect();
    insert_all(&mut store, &cookies, url);
    let pairs: Vec<String> = request_cookies(&store, url)
        .into_iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect();
    let header = (!pairs.is_empty()).then(|| pairs.join("; "));
    (header, encode(&store))
}

/// The cookies `cookie_store` matches for `url`, longer paths first.
fn request_cookies<'s>(
    store: &'s CookieStore,
    url: &Url,
) -> Vec<&'s cookie_store::Cookie<'static>> {
    let mut cookies = store.matches(url);
    // The sort is stable, so cookies of one path length keep the store's order.
    cookies.sort_by_key(|c| std::cmp::Reverse(c.path.as_ref().len()));
    cookies
}

/// Parses one `Set-Cookie` value, whatever its bytes: invalid UTF-8 is replaced, and a value the
/// `cookie` crate refuses is skipped. An `Expires` date without a `Max-Age` becomes the `Max-Age`
/// it amounts to at `now`.
fn parse_set_cookie(raw: &[u8], now: Timestamp) -> Option<RawCookie<'static>> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let mut cookie = match RawCookie::parse(text) {
        Ok(c) => c,
        Err(e) => {
            log::debug!("ignoring a Set-Cookie header that does not parse: {e}");
            return None;
        }
    };
    if cookie.max_age().is_none()
        && let Some(at) = cookie.expires_datetime()
    {
        // Zero or less is "already expired"; zero keeps `cookie_store` clear of date arithmetic
        // near the edge of the representable years.
        let left = at.unix_timestamp().saturating_sub(now.unix()).max(0);
        cookie.set_max_age(CookieDuration::seconds(left));
    }
    Some(cookie)
}

/// Without a public-suffix list, a single-label `Domain` (a top-level domain) is only accepted as
/// the host itself.
fn domain_allowed(cookie: &RawCookie<'_>, url: &Url) -> bool {
    let Some(domain) = cookie.domain().map(str::trim) else {
        return true;
    };
    let allowed = domain.contains('.')
        || domain.is_empty()
        || url
            .host_str()
            .is_some_and(|host| host.eq_ignore_ascii_case(domain));
    if !allowed {
        log::debug!(
            "ignoring cookie {} for the top-level domain {domain}",
            cookie.name()
        );
    }
    allowed
}

fn insert_all(store: &mut CookieStore, cookies: &[RawCookie<'static>], url: &Url) {
    for cookie in cookies {
        // Not `store_response_cookies`: it logs cookie values.
        if let Err(e) = store.insert_raw(cookie, url) {
            log::debug!("ignoring cookie {}: {e}", cookie.name());
        }
    }
}

/// The file's contents for `store`: its unexpired cookies, session cookies included, as the JSON
/// array `cookie_store` serialises.
fn encode(store: &CookieStore) -> Vec<u8> {
    let cookies: Vec<&cookie_store::Cookie<'static>> = store.iter_unexpired().collect();
    let mut json = serde_json::to_vec_pretty(&cookies).unwrap_or_else(|_| b"[]".to_vec());
    json.push(b'\n');
    json
}

/// A store from the file's contents; anything unreadable counts as empty (and is replaced on the
/// next write), an entry that does not parse is skipped, and expired cookies are dropped.
fn decode(bytes: &[u8], path: &Path) -> CookieStore {
    let entries = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Array(entries)) => entries,
        Ok(serde_json::Value::Object(old)) if old.contains_key("version") => {
            log::debug!(
                "dropping the IdP cookie jar {}, written by an older aws-runas; it is replaced on the next write",
                path.display()
            );
            return CookieStore::new();
        }
        _ => {
            log::debug!(
                "ignoring the malformed IdP cookie jar {}; it is replaced on the next write",
                path.display()
            );
            return CookieStore::new();
        }
    };
    let cookies = entries.into_iter().filter_map(|entry| {
        match serde_json::from_value::<cookie_store::Cookie<'static>>(entry) {
            Ok(c) => Some(Ok::<_, std::convert::Infallible>(c)),
            Err(e) => {
                log::debug!(
                    "skipping a malformed entry of the IdP cookie jar {}: {e}",
                    path.display()
                );
                None
            }
        }
    });
    match CookieStore::from_cookies(cookies, false) {
        Ok(store) => store,
        Err(never) => match never {},
    }
}

fn read_file(path: &Path) -> CookieStore {
    match fs::read(path) {
        Ok(mut bytes) => {
            let store = decode(&bytes, path);
            bytes.zeroize();
            store
        }
        Err(e) => {
            if e.kind() != io::ErrorKind::NotFound {
                log::debug!("cannot read the IdP cookie jar {}: {e}", path.display());
            }
            CookieStore::new()
        }
    }
}

/// Applies `cookies` (received from `url`) to the file, under its lock: re-read, apply, replace.
fn save_changes(path: &Path, cookies: &[RawCookie<'static>], url: &Url) -> io::Result<()> {
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
    let _lock = lock(&lock_path(path))?;
    let mut on_disk = read_file(path);
    insert_all(&mut on_disk, cookies, url);
    let mut json = encode(&on_disk);
    let written = replace(&dir, path, &json);
    json.zeroize();
    written
}

/// The sidecar lock file: `<file>.lock`, never renamed or deleted.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn open_private(path: &Path, create_new: bool) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Takes the exclusive `flock` on `path`, waiting up to [`LOCK_WAIT`]; the lock is released when
/// the returned file is closed. Each call opens its own file description, so threads of this
/// process exclude each other too.
fn lock(path: &Path) -> io::Result<File> {
    let start = Instant::now();
    let file = open_private(path, false)?;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(e),
        }
        let waited = start.elapsed();
        if waited >= LOCK_WAIT {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{} stayed locked by another process for {} s",
                    path.display(),
                    LOCK_WAIT.as_secs()
                ),
            ));
        }
        std::thread::sleep(LOCK_POLL.min(LOCK_WAIT - waited));
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` through a temporary file in `dir` (created 0600, synced) and a rename.
fn replace(dir: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = dir.join(format!(
        ".aws_runas_cookies_{}_{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = open_private(&temp, true)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The injected clock's time in these tests, long before the real one.
    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2015-01-01T00:00:00Z").unwrap()
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn set(jar: &CookieJar, set_by: &str, cookies: &[&str]) -> Vec<String> {
        jar.store(&url(set_by), cookies.iter().map(|c| c.as_bytes()), now())
    }

    fn jar_with(set_by: &str, cookies: &[&str]) -> CookieJar {
        let jar = CookieJar::new(None);
        set(&jar, set_by, cookies);
        jar
    }

    fn header(jar: &CookieJar, to: &str) -> Option<String> {
        jar.header_for(&url(to))
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
            header(&jar, "https://login.idp.example.com/").as_deref(),
            Some("HOST=1; DOM=2")
        );
        assert_eq!(
            header(&jar, "https://sso.idp.example.com/x").as_deref(),
            Some("DOM=2")
        );
        assert_eq!(
            header(&jar, "https://idp.example.com/").as_deref(),
            Some("DOM=2")
        );
        assert_eq!(header(&jar, "https://example.com/"), None);
        assert_eq!(header(&jar, "https://other.com/"), None);
        let local = jar_with("http://localhost:8080/", &["L=1; Domain=localhost"]);
        assert_eq!(
            header(&local, "http://localhost:9/").as_deref(),
            Some("L=1")
        );
    }

    #[test]
    fn paths_default_match_on_segments_and_longer_paths_go_first() {
        let jar = jar_with(
            "https://idp.example.com/auth/realms/x/login-actions",
            &["ROOT=3; Path=/", "DEF=1", "P=2; Path=/auth"],
        );
        assert_eq!(
            header(&jar, "https://idp.example.com/auth/realms/x/y").as_deref(),
            Some("DEF=1; P=2; ROOT=3")
        );
        assert_eq!(
            header(&jar, "https://idp.example.com/authx").as_deref(),
            Some("ROOT=3")
        );
        assert_eq!(
            jar.names_for(&url("https://idp.example.com/auth")),
            vec!["P".to_string(), "ROOT".to_string()]
        );
    }

    #[test]
    fn secure_cookies_need_https_or_loopback() {
        let jar = jar_with("https://idp.example.com/", &["S=1; Secure; HttpOnly"]);
        assert_eq!(header(&jar, "http://idp.example.com/"), None);
        assert!(header(&jar, "https://idp.example.com/").is_some());
        let local = jar_with("http://127.0.0.1:8080/", &["S=1; Secure"]);
        assert!(header(&local, "http://127.0.0.1:8080/x").is_some());
    }

    #[test]
    fn expiry_follows_the_injected_clock_max_age_and_deletion() {
        let u = "https://idp.example.com/";
        let jar = jar_with(
            u,
            &[
                // Past for the injected clock (2015-01-01), future for the real one: gone.
                "OLD=1; Expires=Wed, 31 Dec 2014 23:59:00 GMT",
                // Future for the injected clock, past for the real one: kept.
                "SOON=2; Expires=Thu, 01-Jan-2015 01:00:00 GMT",
                // Max-Age wins over Expires.
                "AGE=3; Max-Age=60; Expires=Wed, 21 Oct 2000 07:28:00 GMT",
                "SESSION=4",
            ],
        );
        assert_eq!(header(&jar, u).as_deref(), Some("SOON=2; AGE=3; SESSION=4"));
        let names = set(
            &jar,
            u,
            &[
                "SESSION=; Max-Age=0",
                "SOON=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ],
        );
        assert_eq!(names, ["SESSION", "SOON"]);
        assert_eq!(header(&jar, u).as_deref(), Some("AGE=3"));
        set(&jar, u, &["AGE=5"]);
        assert_eq!(header(&jar, u).as_deref(), Some("AGE=5"));
    }

    #[test]
    fn an_expires_that_is_not_a_date_is_ignored_not_a_panic() {
        // Regression: the hand-written jar sliced `token[..3]` inside the replacement character.
        let jar = CookieJar::new(None);
        let u = url("https://idp.example.com/");
        let names = jar.store(
            &u,
            [&b"A=1; Expires=ab\xff"[..], b"B=2; Expires=\xe2\x82"],
            now(),
        );
        assert_eq!(names, ["A", "B"]);
        assert_eq!(jar.header_for(&u).as_deref(), Some("A=1; B=2"));
    }

    #[test]
    fn dates_at_the_edges_of_time_are_handled() {
        let jar = CookieJar::new(None);
        let u = url("https://idp.example.com/");
        let headers = [
            "MIN=1; Expires=Mon, 01 Jan -9999 00:00:00 GMT",
            "ZERO=1; Expires=Sat, 01 Jan 0000 00:00:00 GMT",
            "MAX=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
            "AGE=1; Max-Age=9223372036854775807",
            "NEG=1; Max-Age=-9223372036854775808",
        ];
        for clock in [i64::MIN, -377_705_116_800, 0, 253_402_300_799, i64::MAX] {
            jar.store(
                &u,
                headers.iter().map(|h| h.as_bytes()),
                Timestamp::from_unix(clock),
            );
        }
        let names = jar.names_for(&u);
        assert!(names.contains(&"AGE".to_string()), "{names:?}");
        assert!(!names.contains(&"NEG".to_string()), "{names:?}");
    }

    #[test]
    fn malformed_set_cookie_values_are_skipped() {
        let jar = jar_with(
            "https://idp.example.com/",
            &["=x", "", " A = b ; path=relative"],
        );
        assert_eq!(
            header(&jar, "https://idp.example.com/q").as_deref(),
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

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_file_keeps_session_cookies_merges_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(".aws_runas.cookies");
        let u = "https://idp.example.com/";
        let first = CookieJar::new(Some(path.clone()));
        assert_eq!(header(&first, u), None);
        // A second process writes in between; its cookie must survive the first one's write.
        let second = CookieJar::new(Some(path.clone()));
        set(&second, u, &["B=2", "GONE=y"]);
        set(&first, u, &["A=1; HttpOnly", "GONE=x; Max-Age=0"]);
        let reloaded = CookieJar::new(Some(path.clone()));
        assert_eq!(header(&reloaded, u).as_deref(), Some("B=2; A=1"));
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"SessionEnd\""), "{text}");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&lock_path(&path)), 0o600);
        let mut left: Vec<String> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".aws_runas.cookies", ".aws_runas.cookies.lock"]);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".aws_runas.cookies");
        let writers: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|who| {
                let path = path.clone();
                std::thread::spawn(move || {
                    // One jar each, as separate processes would have.
                    let jar = CookieJar::new(Some(path));
                    for i in 0..10 {
                        let cookie = format!("{who}{i}=v");
                        jar.store(&url("https://idp.example.com/"), [cookie.as_bytes()], now());
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let names = CookieJar::new(Some(path)).names_for(&url("https://idp.example.com/"));
        assert_eq!(names.len(), 30, "{names:?}");
    }

    #[test]
    fn a_malformed_or_old_file_is_dropped_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".aws_runas.cookies");
        let u = "https://idp.example.com/";
        for old in [
            "{not json",
            "\u{0}\u{ff}",
            r#"{"version": 1, "cookies": [{"name": "OLD", "value": "v", "domain": "idp.example.com",
                "host_only": true, "path": "/", "secure": false, "http_only": false, "expires": null}]}"#,
            r#"[{"raw_cookie": 7}]"#,
        ] {
            fs::write(&path, old).unwrap();
            let jar = CookieJar::new(Some(path.clone()));
            assert_eq!(header(&jar, u), None, "{old}");
            set(&jar, u, &["A=1"]);
            assert_eq!(
                header(&CookieJar::new(Some(path.clone())), u).as_deref(),
                Some("A=1"),
                "{old}"
            );
        }
    }

    #[test]
    fn expired_cookies_and_bad_entries_are_dropped_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".aws_runas.cookies");
        let entry = |name: &str, expires: &str| {
            format!(
                r#"{{"raw_cookie": "{name}=v; Path=/", "path": ["/", true],
                    "domain": {{"HostOnly": "idp.example.com"}}, "expires": {expires}}}"#
            )
        };
        let text = format!(
            "[{}, {}, {}, {}]",
            entry("PAST", r#"{"AtUtc": "2000-01-01T00:00:00Z"}"#),
            entry("FUTURE", r#"{"AtUtc": "9999-01-01T00:00:00Z"}"#),
            entry("BROKEN", r#""tomorrow""#),
            entry("SESSION", r#""SessionEnd""#),
        );
        fs::write(&path, text).unwrap();
        let jar = CookieJar::new(Some(path));
        assert_eq!(
            header(&jar, "https://idp.example.com/").as_deref(),
            Some("FUTURE=v; SESSION=v")
        );
    }

    /// Header bytes: anything, or something shaped like a `Set-Cookie` with arbitrary pieces
    /// (multi-byte UTF-8 and invalid bytes included).
    fn set_cookie_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            any::<String>().prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..12),
            "[a-zA-Z0-9 ,:-]{0,30}".prop_map(String::into_bytes),
        ];
        // Dates the `cookie` crate accepts, years at the edges included.
        let date = prop_oneof![
            (-9999i32..=9999).prop_map(|y| format!("Mon, 01 Jan {y} 00:00:00 GMT")),
            "(Sun|Mon), [0-9]{1,2}[ -](Jan|Dec)[ -][0-9]{2,4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
        ]
        .prop_map(String::into_bytes);
        let number = prop_oneof![any::<i64>().prop_map(|n| n.to_string()), "-?[0-9]{1,25}",]
            .prop_map(String::into_bytes);
        let attribute = prop_oneof![
            (Just("Expires="), prop_oneof![date, piece.clone()]),
            (Just("Max-Age="), prop_oneof![number, piece.clone()]),
            (
                prop_oneof![
                    Just("Domain="),
                    Just("Path="),
                    Just("Secure"),
                    Just("HttpOnly"),
                    Just("SameSite="),
                    Just(""),
                ],
                piece.clone()
            ),
        ];
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            (
                "[A-Za-z_]{1,6}",
                piece,
                prop::collection::vec(attribute, 0..5)
            )
                .prop_map(|(name, value, attributes)| {
                    let mut out = format!("{name}=").into_bytes();
                    out.extend(value);
                    for (key, val) in attributes {
                        out.extend(b"; ");
                        out.extend(key.as_bytes());
                        out.extend(val);
                    }
                    out
                }),
        ]
    }

    /// Request URLs: arbitrary text that happens to parse, or URLs built from odd pieces.
    fn request_url() -> impl Strategy<Value = Option<Url>> {
        prop_oneof![
            any::<String>().prop_map(|s| Url::parse(&s).ok()),
            (
                prop_oneof![
                    Just("http"),
                    Just("https"),
                    Just("ftp"),
                    Just("data"),
                    Just("x-y")
                ],
                prop_oneof![
                    Just("idp.example.com".to_string()),
                    Just("127.0.0.1:8080".to_string()),
                    Just("[::1]".to_string()),
                    Just("localhost".to_string()),
                    "[a-zé.0-9-]{0,16}",
                ],
                "(/[a-zA-Z0-9é%;=.]{0,8}){0,4}",
            )
                .prop_map(
                    |(scheme, host, path)| Url::parse(&format!("{scheme}://{host}{path}")).ok()
                ),
        ]
    }

    proptest! {
        #[test]
        fn any_set_cookie_and_any_url_never_panic(
            headers in prop::collection::vec(set_cookie_bytes(), 0..4),
            from in request_url(),
            to in request_url(),
            unix in prop_oneof![any::<i64>(), -100_000_000_000i64..100_000_000_000],
        ) {
            let jar = CookieJar::new(None);
            let clock = Timestamp::from_unix(unix);
            if let Some(from) = &from {
                let names = jar.store(from, headers.iter().map(Vec::as_slice), clock);
                prop_assert!(names.len() <= headers.len());
                let _ = jar.header_for(from);
            }
            if let Some(to) = &to {
                let header = jar.header_for(to);
                let names = jar.names_for(to);
                prop_assert_eq!(header.is_some(), !names.is_empty());
            }
        }

        #[test]
        fn what_is_saved_is_what_is_loaded(
            headers in prop::collection::vec(set_cookie_bytes(), 0..6),
            from in request_url(),
            to in request_url(),
        ) {
            let (Some(from), Some(to)) = (from, to) else { return Ok(()); };
            let jar = CookieJar::new(None);
            jar.store(&from, headers.iter().map(Vec::as_slice), now());
            // A cookie that expires while the case runs would change the answer under it.
            let soon = cookie::time::OffsetDateTime::now_utc() + cookie::time::Duration::hours(1);
            prop_assume!(jar.with_store(|s| s.iter_unexpired().all(|c| !c.expires_by(&soon))));
            let saved = jar.with_store(|s| encode(s));
            let loaded = CookieJar {
                file: None,
                store: Mutex::new(Some(decode(&saved, Path::new("x")))),
            };
            for u in [&from, &to] {
                prop_assert_eq!(jar.header_for(u), loaded.header_for(u));
            }
        }

        #[test]
        fn any_file_contents_load_without_a_panic(
            bytes in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..200),
                (any::<String>(), any::<String>(), any::<String>()).prop_map(|(raw, path, host)| {
                    serde_json::json!([{
                        "raw_cookie": raw,
                        "path": [path, true],
                        "domain": {"Suffix": host},
                        "expires": "SessionEnd",
                    }])
                    .to_string()
                    .into_bytes()
                }),
            ],
            to in request_url(),
        ) {
            let store = decode(&bytes, Path::new("x"));
            if let Some(to) = to {
                let _ = request_cookies(&store, &to);
            }
        }
    }
}

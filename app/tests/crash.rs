//! Crash safety: writers killed with SIGKILL at random moments never leave a torn file or a lock
//! that blocks the next writer.
//!
//! The test binary runs itself as the writer: with `WORKER_VAR` set to a kind, the test below
//! loops forever writing that kind of file the way aws-runas does (the credential cache under its
//! entry lock, the SSO token cache under its lock, a section of the credentials file), printing one
//! line after each completed write. The parent reads a random number of those lines, waits a random
//! few microseconds (so the kill lands anywhere inside the next write), sends SIGKILL, and then
//! checks every file and takes every lock at once (never waiting) for the next write.
#![cfg(unix)]

use aws_runas_cache_file::{FileCache, SsoFileTokenCache};
use aws_runas_config_file::{ParseMode, SectionEdit, parse_profile_text, write_section_atomically};
use aws_runas_domain::ports::cache::{CacheEntry, CacheKey, CacheKind, CredentialCache};
use aws_runas_domain::ports::sso::{SsoToken, SsoTokenCache};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const WORKER_VAR: &str = "AWS_RUNAS_CRASH_TEST_WRITER";
const DIR_VAR: &str = "AWS_RUNAS_CRASH_TEST_DIR";
/// Writes interrupted by a kill, over all kinds and rounds, at least.
const WRITES: usize = 1_000;
/// The most writes a writer completes before it is killed.
const MAX_WRITES_PER_ROUND: u64 = 16;
const KINDS: [&str; 3] = ["cache", "sso", "credentials"];
const SSO_KEY: &str = "crash-session";
const SECTION: &str = "crash";

/// A random number below `n` (not cryptographic; distinct per call and per process).
fn random_below(n: u64) -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish() % n
}

/// A long value derived from `n`, so a torn or mixed file is detectable.
fn tagged(prefix: &str, n: u64) -> String {
    format!("{prefix}-{n}-{}", "x".repeat(1500))
}

fn cache_key() -> CacheKey {
    CacheKey::new(CacheKind::AssumeRole, "crash")
}

fn cache_entry(n: u64) -> CacheEntry {
    CacheEntry {
        credentials: Credentials::new(
            format!("ASIA{n}"),
            Secret::new(tagged("secret", n)),
            Some(Secret::new(tagged("token", n))),
            Some(Timestamp::from_unix(1_714_568_400)),
        ),
        fingerprint: format!("fp-{n}"),
    }
}

fn sso_token(n: u64) -> SsoToken {
    SsoToken {
        start_url: format!("https://d-{n}.awsapps.com/start"),
        region: "eu-west-1".to_owned(),
        access_token: Secret::new(tagged("access", n)),
        expires_at: Timestamp::from_unix(1_714_568_400),
        client_id: Some(format!("client-{n}")),
        client_secret: Some(Secret::new(tagged("client-secret", n))),
        registration_expires_at: Some(Timestamp::from_unix(1_714_568_400)),
        refresh_token: Some(Secret::new(tagged("refresh", n))),
    }
}

struct Files {
    cache: FileCache,
    sso: SsoFileTokenCache,
    credentials: PathBuf,
}

impl Files {
    fn in_dir(dir: &Path) -> Files {
        Files {
            cache: FileCache::new(dir.join("cache")),
            sso: SsoFileTokenCache::new(dir.join("sso").join("cache")),
            credentials: dir.join("aws").join("credentials"),
        }
    }

    /// One write of `kind`, as aws-runas does it; a lock is never waited for longer than a
    /// second, since a lock left by a killed writer must be free at once.
    fn write(&self, kind: &str, n: u64) {
        let wait = Duration::from_secs(1);
        match kind {
            "cache" => {
                let key = cache_key();
                let held = self.cache.lock(&key, wait).expect("cache lock is free");
                self.cache.store(&key, &cache_entry(n)).expect("store");
                drop(held);
            }
            "sso" => {
                let held = self.sso.lock(SSO_KEY, wait).expect("sso lock is free");
                self.sso.store(SSO_KEY, &sso_token(n)).expect("store token");
                drop(held);
            }
            "credentials" => {
                let id = format!("AKIA{n}");
                let secret = tagged("secret", n);
                write_section_atomically(
                    &self.credentials,
                    SECTION,
                    &[
                        ("aws_access_key_id", id.as_str()),
                        ("aws_secret_access_key", secret.as_str()),
                    ],
                    SectionEdit::Replace,
                )
                .expect("write the credentials file");
            }
            other => panic!("unknown kind {other}"),
        }
    }

    /// Asserts that the file of `kind` is absent or a whole, parseable write, and returns its
    /// number.
    fn check(&self, kind: &str) -> Option<u64> {
        match kind {
            "cache" => {
                let path = PathBuf::from(self.cache.describe(&cache_key()));
                let bytes = std::fs::read(&path).ok()?;
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|e| panic!("torn cache file {}: {e}", path.display()));
                let entry = self.cache.load(&cache_key()).expect("load").expect("entry");
                let n: u64 = entry.fingerprint["fp-".len()..].parse().expect("tag");
                assert_eq!(entry, cache_entry(n), "mixed cache entry");
                Some(n)
            }
            "sso" => {
                let path = self.sso.path(SSO_KEY);
                let bytes = std::fs::read(&path).ok()?;
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|e| panic!("torn token file {}: {e}", path.display()));
                let token = self.sso.load(SSO_KEY).expect("a readable token");
                let n: u64 = token.client_id.as_deref().expect("client")["client-".len()..]
                    .parse()
                    .expect("tag");
                assert!(token == sso_token(n), "mixed token file");
                Some(n)
            }
            "credentials" => {
                let text = std::fs::read_to_string(&self.credentials).ok()?;
                let set =
                    parse_profile_text(None, Some((&self.credentials, &text)), ParseMode::Strict)
                        .unwrap_or_else(|e| panic!("torn credentials file: {e}\n{text}"));
                let keep = set.profile("keep").expect("the other section survives");
                assert_eq!(keep.get("aws_access_key_id"), Some("AKIAKEEP"));
                let crash = set.profile(SECTION)?;
                let n: u64 = crash.get("aws_access_key_id").expect("key id")["AKIA".len()..]
                    .parse()
                    .expect("tag");
                assert_eq!(
                    crash.get("aws_secret_access_key"),
                    Some(tagged("secret", n).as_str()),
                    "mixed credentials section"
                );
                Some(n)
            }
            other => panic!("unknown kind {other}"),
        }
    }
}

#[test]
fn killed_writers_leave_whole_files_and_free_locks() {
    // The test binary is the composition root of its own writer processes.
    #[allow(clippy::disallowed_methods)]
    let (worker, dir) = (std::env::var(WORKER_VAR), std::env::var_os(DIR_VAR));
    if let (Ok(kind), Some(dir)) = (worker, dir) {
        let files = Files::in_dir(Path::new(&dir));
        let start = files.check(&kind).map_or(0, |n| n + 1);
        // stderr: the test harness writes its own lines to stdout.
        let mut out = std::io::stderr().lock();
        for n in start.. {
            files.write(&kind, n);
            writeln!(out, "{n}")
                .and_then(|()| out.flush())
                .expect("report");
        }
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let files = Files::in_dir(dir.path());
    std::fs::create_dir_all(files.credentials.parent().unwrap()).unwrap();
    std::fs::write(
        &files.credentials,
        "# kept\n[keep]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n",
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let test = "crash::killed_writers_leave_whole_files_and_free_locks";
    let (mut interrupted, mut rounds, mut never_started) = (0usize, 0usize, 0usize);
    let mut written = [0u64; 3];
    while interrupted < WRITES {
        let index = rounds % KINDS.len();
        let kind = KINDS[index];
        rounds += 1;
        let mut child = Command::new(&exe)
            .args([test, "--exact", "--test-threads=1", "--nocapture"])
            .env_clear()
            .env(WORKER_VAR, kind)
            .env(DIR_VAR, dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn writer");
        let target = random_below(MAX_WRITES_PER_ROUND + 1);
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let (mut seen, mut other) = (0, String::new());
        while seen < target {
            match lines.next() {
                Some(Ok(line)) if line.parse::<u64>().is_ok() => seen += 1,
                Some(Ok(line)) => other.push_str(&line),
                _ => break,
            }
        }
        // Anywhere inside the next write (or, at 0 lines, during start-up).
        std::thread::sleep(Duration::from_micros(random_below(2_000)));
        child.kill().expect("SIGKILL the writer");
        let status = child.wait().unwrap();
        assert!(
            !status.success() && seen == target,
            "the writer died on its own ({status}) after {seen} writes: {other}"
        );
        if target == 0 {
            never_started += 1;
        }
        interrupted += 1 + usize::try_from(seen).unwrap();

        // Every file is whole or absent, and the next writer proceeds at once.
        for k in KINDS {
            files.check(k);
        }
        let n = files.check(kind).map_or(0, |n| n + 1);
        files.write(kind, n);
        assert_eq!(files.check(kind), Some(n), "the next write of {kind} lands");
        written[index] += seen + 1;
    }
    // No lock is still held: each can be taken without waiting.
    assert!(files.cache.try_lock(&cache_key()).unwrap().is_some());
    drop(
        files
            .sso
            .lock(SSO_KEY, Duration::ZERO)
            .expect("free sso lock"),
    );
    let leftovers = count_temporaries(dir.path());
    eprintln!(
        "crash safety: {rounds} writers killed, {interrupted} writes run under a kill \
         (cache {}, sso {}, credentials {}), {never_started} killed during start-up, \
         {leftovers} temporary files left by killed writers, 0 torn files",
        written[0], written[1], written[2]
    );
}

/// Temporary files (`*.tmp`) under `dir`, the only trace a killed writer may leave.
fn count_temporaries(dir: &Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            count += count_temporaries(&path);
        } else if path.to_string_lossy().ends_with(".tmp") {
            count += 1;
        }
    }
    count
}

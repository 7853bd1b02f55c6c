//! Several processes sharing one cache directory, and a store under a zero umask.
//!
//! The test binary runs itself as the child processes: each test below acts as a worker when
//! `WORKER_VAR` names its role, and as the parent that spawns and checks the workers otherwise.
//! Children get a cleared environment, no standard input and a new session.
#![cfg(unix)]

use crate::support::{assert_consistent, entry, key, mode, names_in};
use aws_runas_cache_file::FileCache;
use aws_runas_domain::ports::cache::CredentialCache;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const WORKER_VAR: &str = "AWS_RUNAS_CACHE_FILE_TEST_WORKER";
const DIR_VAR: &str = "AWS_RUNAS_CACHE_FILE_TEST_DIR";
const PROCESSES: usize = 8;
const KEYS: usize = 20;

/// The cache directory when this process is a worker for `role`.
fn worker_dir(role: &str) -> Option<PathBuf> {
    // The test binary is the composition root of its own child processes.
    #[allow(clippy::disallowed_methods)]
    let (worker, dir) = (std::env::var_os(WORKER_VAR), std::env::var_os(DIR_VAR));
    (worker.as_deref() == Some(role.as_ref()))
        .then(|| PathBuf::from(dir.expect("worker directory")))
}

/// Starts this test binary running only `test` as a worker for `role` on `dir`.
fn spawn_worker(test: &str, role: &str, dir: &Path, umask: &str) -> Child {
    let exe = std::env::current_exe().expect("test binary path");
    let test = test.split_once("::").map_or(test, |(_, rest)| rest);
    let setsid = ["/usr/bin/setsid", "/bin/setsid"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let script = format!("umask {umask} && exec \"$@\"");
    let mut cmd = match setsid {
        Some(setsid) => {
            let mut c = Command::new(setsid);
            c.args(["/bin/sh", "-c", &script, "sh"]);
            c
        }
        None => {
            use std::os::unix::process::CommandExt;
            let mut c = Command::new("/bin/sh");
            c.args(["-c", &script, "sh"]).process_group(0);
            c
        }
    };
    cmd.arg(exe)
        .args([test, "--exact", "--test-threads=1"])
        .env_clear()
        .env(WORKER_VAR, role)
        .env(DIR_VAR, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn worker")
}

/// Waits for every child and fails with its output if one failed.
fn wait_all(children: Vec<Child>) {
    for child in children {
        let out = child.wait_with_output().expect("wait for worker");
        assert!(
            out.status.success(),
            "worker failed: {}\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Appends one line to `path`; lines from concurrent appenders never interleave.
fn append_line(path: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("log file");
    f.write_all(format!("{line}\n").as_bytes()).expect("append");
}

fn lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    lines
}

#[test]
fn processes_refresh_each_entry_exactly_once() {
    let this = concat!(
        module_path!(),
        "::processes_refresh_each_entry_exactly_once"
    );
    if let Some(dir) = worker_dir("single-flight") {
        let cache = FileCache::new(dir.join("cache"));
        for n in 0..KEYS {
            let k = key(&format!("k{n}"));
            if let Some(e) = cache.load(&k).unwrap() {
                assert_eq!(assert_consistent(&e), n.to_string());
                continue;
            }
            let held = match cache.try_lock(&k).unwrap() {
                Some(held) => held,
                None => cache.lock(&k, Duration::from_secs(60)).unwrap(),
            };
            match cache.load(&k).unwrap() {
                Some(e) => assert_eq!(assert_consistent(&e), n.to_string()),
                None => {
                    append_line(&dir.join("refreshes"), &format!("k{n}"));
                    cache.store(&k, &entry(&n.to_string())).unwrap();
                }
            }
            drop(held);
        }
        append_line(&dir.join("finished"), &std::process::id().to_string());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let children = (0..PROCESSES)
        .map(|_| spawn_worker(this, "single-flight", dir.path(), "077"))
        .collect();
    wait_all(children);
    assert_eq!(
        lines(&dir.path().join("finished")).len(),
        PROCESSES,
        "every worker ran to the end"
    );
    let mut expected: Vec<String> = (0..KEYS).map(|n| format!("k{n}")).collect();
    expected.sort();
    assert_eq!(
        lines(&dir.path().join("refreshes")),
        expected,
        "one refresh per entry"
    );
    let cache = FileCache::new(dir.path().join("cache"));
    for n in 0..KEYS {
        assert_eq!(
            cache.load(&key(&format!("k{n}"))).unwrap(),
            Some(entry(&n.to_string()))
        );
    }
}

#[test]
fn files_are_private_under_a_zero_umask() {
    let this = concat!(module_path!(), "::files_are_private_under_a_zero_umask");
    if let Some(dir) = worker_dir("umask") {
        let cache = FileCache::new(dir.join("cache"));
        cache.store(&key("p"), &entry("1")).unwrap();
        drop(cache.try_lock(&key("p")).unwrap().expect("free lock"));
        append_line(&dir.join("finished"), "umask");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    wait_all(vec![spawn_worker(this, "umask", dir.path(), "000")]);
    assert_eq!(lines(&dir.path().join("finished")), ["umask"]);
    let cache_dir = dir.path().join("cache");
    assert_eq!(
        names_in(&cache_dir),
        [".aws_assume_role_p", ".aws_assume_role_p.lock"]
    );
    assert_eq!(mode(&cache_dir), 0o750);
    assert_eq!(mode(&cache_dir.join(".aws_assume_role_p")), 0o600);
    assert_eq!(mode(&cache_dir.join(".aws_assume_role_p.lock")), 0o600);
}

//! The keyring store against a session with no keyring service: a clear error, never a hang.
//!
//! The check runs in a child process whose D-Bus session address points nowhere, so the test can
//! never reach (let alone write to) the developer's real keyring.

#![allow(clippy::disallowed_methods)] // the worker mode is chosen through the environment

use aws_runas_domain::Secret;
use aws_runas_domain::ports::secret::{PasswordKind, SecretStore, SecretStoreError};
use aws_runas_secret_keyring::KeyringSecretStore;
use std::time::Duration;

const WORKER: &str = "AWS_RUNAS_KEYRING_TEST_WORKER";

/// In the child: try both calls and print what happened.
#[test]
fn worker() {
    if std::env::var(WORKER).is_err() {
        return;
    }
    let store = KeyringSecretStore::new(Duration::from_secs(3));
    let url = "https://idp.example.org/saml";
    let get = store.get(url, PasswordKind::Saml);
    let set = store.set(url, PasswordKind::Saml, &Secret::new("not-a-real-password"));
    for (name, r) in [("get", get.map(|_| ())), ("set", set)] {
        match r {
            Err(e @ SecretStoreError::Unavailable { .. }) => {
                println!("RESULT {name} unavailable: {e}")
            }
            Err(e) => println!("RESULT {name} other error: {e}"),
            Ok(()) => println!("RESULT {name} ok"),
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn no_keyring_service_is_a_clear_error() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "worker", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(WORKER, "1")
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", std::env::temp_dir())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/aws-runas-test-bus",
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = text
        .lines()
        .filter_map(|l| l.find("RESULT ").map(|i| &l[i..]))
        .collect();
    assert_eq!(
        results.len(),
        2,
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for r in results {
        assert!(
            r.contains("unavailable")
                && r.contains("OS keyring")
                && r.contains("https://idp.example.org/saml"),
            "{r}"
        );
        assert!(!r.contains("not-a-real-password"), "{r}");
    }
}

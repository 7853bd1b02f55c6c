//! A `SecretStore` on the operating system's keyring.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use aws_runas_domain::Secret;
use aws_runas_domain::ports::secret::{PasswordKind, SecretStore, SecretStoreError};
use std::sync::mpsc;
use std::time::Duration;

/// The keyring service name of every entry.
pub const SERVICE: &str = "aws-runas";

/// Passwords in the OS keyring, each call bounded by a timeout.
#[derive(Debug, Clone)]
pub struct KeyringSecretStore {
    timeout: Duration,
}

impl KeyringSecretStore {
    /// A store whose calls give up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        KeyringSecretStore { timeout }
    }

    fn account(url: &str, kind: PasswordKind) -> String {
        format!("{}:{url}", kind.key())
    }

    /// Runs one keyring call on a thread of its own, so that a keyring that never answers
    /// (a D-Bus session with no Secret Service) cannot hang aws-runas.
    fn bounded<T: Send + 'static>(
        &self,
        url: &str,
        kind: PasswordKind,
        call: impl FnOnce(keyring::Entry) -> Result<T, keyring::Error> + Send + 'static,
    ) -> Result<T, SecretStoreError> {
        let unavailable = |reason: String| SecretStoreError::Unavailable {
            store: format!("the OS keyring (service {SERVICE})"),
            url: url.to_string(),
            kind,
            reason,
        };
        let account = Self::account(url, kind);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let result = keyring::Entry::new(SERVICE, &account).and_then(call);
            let _ = tx.send(result);
        });
        match rx.recv_timeout(self.timeout) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(unavailable(describe(&e))),
            Err(_) => Err(unavailable(format!(
                "no keyring service answered within {}s (is GNOME Keyring, KWallet or another Secret Service running?)",
                self.timeout.as_secs_f32()
            ))),
        }
    }
}

fn describe(e: &keyring::Error) -> String {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            format!("the keyring cannot be used: {inner}")
        }
        other => other.to_string(),
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, url: &str, kind: PasswordKind) -> Result<Option<Secret>, SecretStoreError> {
        self.bounded(url, kind, |entry| match entry.get_password() {
            Ok(p) => Ok(Some(Secret::new(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn set(
        &self,
        url: &str,
        kind: PasswordKind,
        password: &Secret,
    ) -> Result<(), SecretStoreError> {
        let password = password.clone();
        self.bounded(url, kind, move |entry| {
            entry.set_password(password.expose())
        })
    }
}

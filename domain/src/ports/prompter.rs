//! The `Prompter` port: questions for the user and notices the user must see.
//!
//! Adapters talk to the controlling terminal, not to stdout or stderr, because tools that run
//! aws-runas as a `credential_process` swallow both.

use crate::secret::Secret;

/// Asks the user things and tells the user things.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Prompter: Send + Sync {
    /// Shows `label` and reads one line (echoed), trimmed.
    ///
    /// # Errors
    /// [`PromptError::NoTerminal`] MUST be returned at once when there is no terminal to ask on.
    fn read_line(&self, label: &str) -> Result<String, PromptError>;

    /// Shows `label` and reads one line without echo.
    ///
    /// # Errors
    /// As [`Prompter::read_line`].
    fn read_secret(&self, label: &str) -> Result<Secret, PromptError>;

    /// Shows a message the user must read (a wait, a notice), without waiting for an answer.
    fn notice(&self, message: &str);
}

/// Why a question got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PromptError {
    /// There is no terminal to ask on.
    #[error("no terminal to prompt on")]
    NoTerminal,
    /// The user ended the input (Ctrl-D) or interrupted it.
    #[error("input cancelled")]
    Cancelled,
    /// Reading or writing the terminal failed.
    #[error("terminal I/O failed: {0}")]
    Io(String),
    /// A prompt driver other than the terminal (a dialog program, a YubiKey) failed; the message
    /// names the driver and what went wrong.
    #[error("{0}")]
    Driver(Box<str>),
}

/// The question the domain asks for the one-time code of the MFA device `serial`.
///
/// Prompters that can answer such a question themselves (a YubiKey reader) recognise it with
/// [`mfa_device`]; every other prompter just shows it.
pub fn mfa_question(serial: &str) -> String {
    format!("{MFA_QUESTION_PREFIX}{serial}: ")
}

/// The MFA device a label made by [`mfa_question`] asks about, else `None`.
pub fn mfa_device(label: &str) -> Option<&str> {
    label
        .strip_prefix(MFA_QUESTION_PREFIX)?
        .strip_suffix(": ")
        .filter(|serial| !serial.is_empty())
}

const MFA_QUESTION_PREFIX: &str = "MFA code for ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mfa_question_names_its_device() {
        let serial = "arn:aws:iam::123456789012:mfa/ana";
        assert_eq!(mfa_device(&mfa_question(serial)), Some(serial));
        assert_eq!(mfa_device("Password: "), None);
        assert_eq!(mfa_device("MFA code: "), None);
        assert_eq!(mfa_device("MFA code for : "), None);
    }
}

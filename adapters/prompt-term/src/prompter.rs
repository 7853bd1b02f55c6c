//! [`TermPrompter`]: the `Prompter` port on the controlling terminal.
//!
//! The device is opened afresh for every question, so a prompter made before the terminal went
//! away (or came back) still gives the right answer, and nothing is held open between questions.

use crate::settings::TermSettings;
use crate::sys;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::prompter::{PromptError, Prompter};
use std::io::Write;
use std::sync::{Mutex, MutexGuard};
use zeroize::{Zeroize, Zeroizing};

/// Asks questions on the controlling terminal (or the device the settings name).
///
/// Prompts never go to stdout.
/// When there is no terminal, questions fail at once with [`PromptError::NoTerminal`] instead of
/// waiting on stdin, and notices go to stderr.
#[derive(Debug)]
pub struct TermPrompter {
    settings: TermSettings,
    /// One question at a time, so two threads never interleave their prompts.
    asking: Mutex<()>,
}

impl TermPrompter {
    /// A prompter on the device the settings name.
    pub fn new(settings: TermSettings) -> Self {
        TermPrompter {
            settings,
            asking: Mutex::new(()),
        }
    }

    fn one_at_a_time(&self) -> MutexGuard<'_, ()> {
        self.asking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Prompter for TermPrompter {
    fn read_line(&self, label: &str) -> Result<String, PromptError> {
        let _asking = self.one_at_a_time();
        let tty = sys::Tty::open(&self.settings)?;
        tty.write(&printable(label))?;
        let answer = tty.read_line()?;
        trimmed(answer)
    }

    fn read_secret(&self, label: &str) -> Result<Secret, PromptError> {
        let _asking = self.one_at_a_time();
        let tty = sys::Tty::open(&self.settings)?;
        let answer = tty.read_secret(&printable(label))?;
        trimmed(answer).map(Secret::new)
    }

    fn notice(&self, message: &str) {
        let line = format!("{}\n", printable(message));
        // Errors are dropped: a notice that cannot be shown must not stop the work it announces.
        match sys::open_for_notice(self.settings.output()) {
            Ok(mut tty) => {
                let _ = tty.write_all(line.as_bytes());
            }
            Err(_) => {
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
        }
    }
}

/// Makes text safe to show: control characters other than newline and tab are written as escapes,
/// so a label that came from a server cannot move the cursor, recolour or retitle the terminal.
pub(crate) fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The answer as text without surrounding white space; every copy of it is zeroized.
fn trimmed(mut answer: Zeroizing<Vec<u8>>) -> Result<String, PromptError> {
    let bytes = std::mem::take(&mut *answer);
    let mut text = String::from_utf8(bytes).map_err(|e| {
        e.into_bytes().zeroize();
        PromptError::Io("the answer is not valid UTF-8".to_string())
    })?;
    let trimmed = text.trim();
    if trimmed.len() == text.len() {
        return Ok(text);
    }
    let result = trimmed.to_string();
    text.zeroize();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn files(input: impl AsRef<[u8]>) -> (tempfile::TempDir, TermPrompter) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in"), input).unwrap();
        std::fs::write(dir.path().join("out"), "").unwrap();
        let settings = TermSettings::devices(dir.path().join("in"), dir.path().join("out"));
        (dir, TermPrompter::new(settings))
    }

    fn shown(dir: &tempfile::TempDir) -> String {
        std::fs::read_to_string(dir.path().join("out")).unwrap()
    }

    #[test]
    fn reads_a_trimmed_line_and_shows_the_label() {
        let (dir, prompter) = files("  alice@example.com \r\nsecond line\n");
        assert_eq!(
            prompter.read_line("Username: ").unwrap(),
            "alice@example.com"
        );
        assert_eq!(shown(&dir), "Username: ");
    }

    #[test]
    fn reads_a_secret_from_a_device_that_is_not_a_terminal() {
        let (dir, prompter) = files("hunter2\n");
        let secret = prompter.read_secret("Password: ").unwrap();
        assert_eq!(secret.expose(), "hunter2");
        assert!(shown(&dir).starts_with("Password: "), "{}", shown(&dir));
    }

    #[test]
    fn end_of_input_is_cancelled() {
        let (_dir, prompter) = files("");
        assert_eq!(prompter.read_line("Code: "), Err(PromptError::Cancelled));
        let (_dir, prompter) = files("no newline");
        assert_eq!(
            prompter
                .read_secret("Code: ")
                .map(|s| s.expose().to_string()),
            Err(PromptError::Cancelled)
        );
    }

    #[test]
    fn missing_device_is_no_terminal() {
        let settings = TermSettings::device(Path::new("/nonexistent/aws-runas-tty"));
        let prompter = TermPrompter::new(settings);
        assert_eq!(prompter.read_line("Code: "), Err(PromptError::NoTerminal));
        assert_eq!(
            prompter
                .read_secret("Code: ")
                .map(|s| s.expose().to_string()),
            Err(PromptError::NoTerminal)
        );
    }

    #[test]
    fn invalid_utf8_is_an_io_error() {
        let (_dir, prompter) = files(b"\xff\xfe\n");
        assert!(matches!(prompter.read_line("x"), Err(PromptError::Io(m)) if m.contains("UTF-8")));
    }

    #[test]
    fn notices_are_one_line_each_on_the_device() {
        let (dir, prompter) = files("");
        prompter.notice("Waiting for push approval");
        prompter.notice("still waiting");
        assert_eq!(shown(&dir), "Waiting for push approval\nstill waiting\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("plain: "), "plain: ");
        assert_eq!(printable("a\x1b]0;title\x07b"), "a\\u{1b}]0;title\\u{7}b");
        assert_eq!(printable("two\nlines\tand\rcr"), "two\nlines\tand\\rcr");
        assert_eq!(printable("c1\u{9b}x"), "c1\\u{9b}x");
    }

    #[test]
    fn trimming_keeps_inner_spaces() {
        assert_eq!(trimmed(Zeroizing::new(b" a b \n".to_vec())).unwrap(), "a b");
        assert_eq!(trimmed(Zeroizing::new(b"ab".to_vec())).unwrap(), "ab");
    }
}

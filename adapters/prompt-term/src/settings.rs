//! Where a [`TermPrompter`](crate::TermPrompter) asks its questions.

use std::path::{Path, PathBuf};

/// The terminal device a [`TermPrompter`](crate::TermPrompter) reads answers from and writes
/// questions to.
///
/// There is deliberately no `Default`: the app says which terminal it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermSettings {
    input: PathBuf,
    output: PathBuf,
}

impl TermSettings {
    /// The controlling terminal of this process: `/dev/tty` on Unix, `CONIN$` and `CONOUT$` on
    /// Windows.
    ///
    /// It is used instead of stdin and stdout because tools that run aws-runas as a
    /// `credential_process` swallow stdout and stderr.
    pub fn controlling_terminal() -> Self {
        #[cfg(windows)]
        let (input, output) = ("CONIN$", "CONOUT$");
        #[cfg(not(windows))]
        let (input, output) = ("/dev/tty", "/dev/tty");
        TermSettings {
            input: input.into(),
            output: output.into(),
        }
    }

    /// One device, such as a pty, both read and written.
    pub fn device(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        TermSettings {
            input: path.clone(),
            output: path,
        }
    }

    /// Answers are read from `input` and questions written to `output` (appended when it is a file).
    pub fn devices(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Self {
        TermSettings {
            input: input.into(),
            output: output.into(),
        }
    }

    /// Where answers are read from.
    pub fn input(&self) -> &Path {
        &self.input
    }

    /// Where questions and notices are written.
    pub fn output(&self) -> &Path {
        &self.output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_name_the_devices() {
        let tty = TermSettings::controlling_terminal();
        #[cfg(unix)]
        assert_eq!(
            (tty.input(), tty.output()),
            (Path::new("/dev/tty"), Path::new("/dev/tty"))
        );
        #[cfg(windows)]
        assert_eq!(
            (tty.input(), tty.output()),
            (Path::new("CONIN$"), Path::new("CONOUT$"))
        );
        let one = TermSettings::device("/dev/pts/9");
        assert_eq!(
            (one.input(), one.output()),
            (Path::new("/dev/pts/9"), Path::new("/dev/pts/9"))
        );
        let two = TermSettings::devices("in", "out");
        assert_eq!(
            (two.input(), two.output()),
            (Path::new("in"), Path::new("out"))
        );
    }
}

//! The terminal on Windows: the console's `CONIN$` and `CONOUT$` (or other devices).
//!
//! Secrets are read through `rpassword`, which switches console echo off and back on; it needs
//! Win32 calls that this workspace keeps out of its own code (`unsafe_code` is denied).

use crate::settings::TermSettings;
use aws_runas_domain::ports::prompter::PromptError;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The longest answer accepted; anything longer is not something a person typed.
const MAX_ANSWER: usize = 64 * 1024;

/// The console opened for one question.
pub(crate) struct Tty {
    input: File,
    output: File,
    input_path: PathBuf,
    output_path: PathBuf,
}

fn io_error(e: impl std::fmt::Display) -> PromptError {
    PromptError::Io(e.to_string())
}

/// Opens the output device for a notice.
pub(crate) fn open_for_notice(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).open(path)
}

impl Tty {
    /// Opens the devices; any failure (no console attached) means there is no terminal to ask on.
    pub(crate) fn open(settings: &TermSettings) -> Result<Tty, PromptError> {
        let input = OpenOptions::new()
            .read(true)
            .open(settings.input())
            .map_err(|_| PromptError::NoTerminal)?;
        let output = OpenOptions::new()
            .append(true)
            .open(settings.output())
            .map_err(|_| PromptError::NoTerminal)?;
        Ok(Tty {
            input,
            output,
            input_path: settings.input().to_path_buf(),
            output_path: settings.output().to_path_buf(),
        })
    }

    pub(crate) fn write(&self, text: &str) -> Result<(), PromptError> {
        let mut output = &self.output;
        output
            .write_all(text.as_bytes())
            .and_then(|()| output.flush())
            .map_err(io_error)
    }

    /// Reads up to a newline; end of input (Ctrl-Z, Enter) before it is [`PromptError::Cancelled`].
    pub(crate) fn read_line(&self) -> Result<Zeroizing<Vec<u8>>, PromptError> {
        let mut line = Zeroizing::new(Vec::new());
        let mut byte = [0u8; 1];
        loop {
            match (&self.input).read(&mut byte) {
                Ok(0) => return Err(PromptError::Cancelled),
                Ok(_) if byte[0] == b'\n' => return Ok(line),
                Ok(_) if line.len() >= MAX_ANSWER => {
                    return Err(PromptError::Io("the answer is too long".to_string()));
                }
                Ok(_) => line.push(byte[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
    }

    /// Shows `label`, reads the answer with echo off and ends the line.
    pub(crate) fn read_secret(&self, label: &str) -> Result<Zeroizing<Vec<u8>>, PromptError> {
        self.write(label)?;
        let config = rpassword::ConfigBuilder::new()
            .input_file_path(self.input_path.to_string_lossy())
            .output_file_path(self.output_path.to_string_lossy())
            .build();
        // rpassword restores the console mode itself and ends the line after Enter.
        match rpassword::read_password_with_config(config) {
            Ok(answer) => Ok(Zeroizing::new(answer.into_bytes())),
            Err(e) => {
                let _ = self.write("\n");
                match e.kind() {
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::Interrupted => {
                        Err(PromptError::Cancelled)
                    }
                    _ => Err(io_error(e)),
                }
            }
        }
    }
}

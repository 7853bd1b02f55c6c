//! The terminal on Unix: `/dev/tty` (or another device), with termios for reading secrets.
//!
//! Secrets are read with echo, canonical mode and signal keys off, one byte at a time, with erase
//! and kill handled here.
//! Turning signal keys off means Ctrl-C reaches us as a byte and becomes
//! [`PromptError::Cancelled`] after the terminal is restored, instead of killing the process while
//! echo is still off.

use crate::settings::TermSettings;
use aws_runas_domain::ports::prompter::PromptError;
use rustix::fs::OFlags;
use rustix::io::Errno;
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, SpecialCodes, Termios};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use zeroize::{Zeroize, Zeroizing};

/// The longest answer accepted; anything longer is not something a person typed.
const MAX_ANSWER: usize = 64 * 1024;

/// The terminal opened for one question.
pub(crate) struct Tty {
    input: File,
    output: File,
}

fn flags(extra: OFlags) -> i32 {
    // Never make the device our controlling terminal by opening it.
    i32::try_from((OFlags::NOCTTY | extra).bits()).unwrap_or(0)
}

fn io_error(e: impl std::fmt::Display) -> PromptError {
    PromptError::Io(e.to_string())
}

/// Opens the output device for a notice without ever blocking on it.
pub(crate) fn open_for_notice(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .custom_flags(flags(OFlags::NONBLOCK))
        .open(path)
}

impl Tty {
    /// Opens the devices; any failure (ENXIO when there is no controlling terminal) means there is
    /// no terminal to ask on.
    pub(crate) fn open(settings: &TermSettings) -> Result<Tty, PromptError> {
        let open = |options: &mut OpenOptions, path: &Path| {
            options
                .custom_flags(flags(OFlags::empty()))
                .open(path)
                .map_err(|_| PromptError::NoTerminal)
        };
        let input = open(OpenOptions::new().read(true), settings.input())?;
        let output = open(OpenOptions::new().append(true), settings.output())?;
        Ok(Tty { input, output })
    }

    pub(crate) fn write(&self, text: &str) -> Result<(), PromptError> {
        let mut output = &self.output;
        output
            .write_all(text.as_bytes())
            .and_then(|()| output.flush())
            .map_err(io_error)
    }

    /// One byte, or `None` at end of input.
    fn read_byte(&self) -> Result<Option<u8>, PromptError> {
        let mut byte = [0u8; 1];
        loop {
            match (&self.input).read(&mut byte) {
                Ok(0) => return Ok(None),
                Ok(_) => return Ok(Some(byte[0])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
    }

    /// Reads up to a newline, as the terminal's line editing delivers it.
    ///
    /// End of input (Ctrl-D) before the newline is [`PromptError::Cancelled`].
    pub(crate) fn read_line(&self) -> Result<Zeroizing<Vec<u8>>, PromptError> {
        let mut line = Zeroizing::new(Vec::new());
        loop {
            match self.read_byte()? {
                None => return Err(PromptError::Cancelled),
                Some(b'\n') => return Ok(line),
                Some(byte) => push(&mut line, byte)?,
            }
        }
    }

    /// Shows `label` with echo off, reads the answer, restores the terminal and ends the line.
    pub(crate) fn read_secret(&self, label: &str) -> Result<Zeroizing<Vec<u8>>, PromptError> {
        let saved = match termios::tcgetattr(&self.input) {
            Ok(saved) => saved,
            // Not a terminal (a file or a pipe): nothing is echoed, so read it as a line.
            Err(Errno::NOTTY) => {
                self.write(label)?;
                return self.read_line();
            }
            Err(e) => return Err(io_error(io::Error::from(e))),
        };
        let result = {
            let _restore = EchoOff::new(self.input.as_fd(), &saved)?;
            // The label comes after echo is off, so nothing typed from here on is shown.
            self.write(label)
                .and_then(|()| self.read_keys(&saved.special_codes))
        };
        // The Enter key was not echoed; move off the prompt line whatever happened.
        let ended = self.write("\n");
        let answer = result?;
        ended?;
        Ok(answer)
    }

    /// Reads keys in non-canonical mode until Enter, doing erase and kill ourselves.
    fn read_keys(&self, codes: &SpecialCodes) -> Result<Zeroizing<Vec<u8>>, PromptError> {
        let is = |byte: u8, index: SpecialCodeIndex| codes[index] != 0 && byte == codes[index];
        let mut answer = Zeroizing::new(Vec::new());
        loop {
            let Some(byte) = self.read_byte()? else {
                return Err(PromptError::Cancelled);
            };
            match byte {
                b'\n' | b'\r' => return Ok(answer),
                b if is(b, SpecialCodeIndex::VEOF) || is(b, SpecialCodeIndex::VINTR) => {
                    return Err(PromptError::Cancelled);
                }
                b if is(b, SpecialCodeIndex::VERASE) || b == 0x7f || b == 0x08 => {
                    erase_char(&mut answer)
                }
                b if is(b, SpecialCodeIndex::VKILL) => answer.zeroize(),
                // Other control keys (arrows and the like) are not part of a secret.
                b if b < 0x20 => {}
                b => push(&mut answer, b)?,
            }
        }
    }
}

fn push(answer: &mut Vec<u8>, byte: u8) -> Result<(), PromptError> {
    if answer.len() >= MAX_ANSWER {
        return Err(PromptError::Io("the answer is too long".to_string()));
    }
    answer.push(byte);
    Ok(())
}

/// Removes the last UTF-8 character.
fn erase_char(answer: &mut Vec<u8>) {
    while let Some(byte) = answer.pop() {
        if byte & 0b1100_0000 != 0b1000_0000 {
            break;
        }
    }
}

/// Echo, canonical mode and signal keys off until dropped; dropping restores the saved settings,
/// on every path out of the read.
struct EchoOff<'a> {
    fd: BorrowedFd<'a>,
    saved: &'a Termios,
}

impl<'a> EchoOff<'a> {
    fn new(fd: BorrowedFd<'a>, saved: &'a Termios) -> Result<Self, PromptError> {
        let mut quiet = saved.clone();
        quiet.local_modes.remove(
            LocalModes::ECHO
                | LocalModes::ECHONL
                | LocalModes::ICANON
                | LocalModes::ISIG
                | LocalModes::IEXTEN,
        );
        quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
        quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
        termios::tcsetattr(fd, OptionalActions::Now, &quiet)
            .map_err(|e| io_error(io::Error::from(e)))?;
        Ok(EchoOff { fd, saved })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.fd, OptionalActions::Now, self.saved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erase_removes_whole_characters() {
        let mut answer = "aé€".as_bytes().to_vec();
        erase_char(&mut answer);
        assert_eq!(answer, "aé".as_bytes());
        erase_char(&mut answer);
        assert_eq!(answer, b"a");
        erase_char(&mut answer);
        erase_char(&mut answer);
        assert!(answer.is_empty());
    }

    #[test]
    fn answers_have_a_limit() {
        let mut answer = vec![b'x'; MAX_ANSWER];
        assert!(matches!(push(&mut answer, b'y'), Err(PromptError::Io(_))));
        answer.pop();
        assert_eq!(push(&mut answer, b'y'), Ok(()));
    }
}

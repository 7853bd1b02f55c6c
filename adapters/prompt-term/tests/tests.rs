//! Integration tests of the terminal prompter, driven through a pseudo-terminal.

#[cfg(unix)]
mod pty;

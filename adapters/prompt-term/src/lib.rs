#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod prompter;
mod settings;

#[cfg(unix)]
#[path = "unix.rs"]
mod sys;
#[cfg(windows)]
#[path = "windows.rs"]
mod sys;

pub use prompter::TermPrompter;
pub use settings::TermSettings;

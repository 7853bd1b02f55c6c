#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod dialog;
mod run;

pub use dialog::{Dialog, DialogError, DialogPrompter, DialogSettings};

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod output;
mod resolving;
mod runner;

pub use resolving::{RESOLVING_ENV, decode_resolving, encode_resolving};
pub use runner::{ProcessRunner, ProcessSettings};

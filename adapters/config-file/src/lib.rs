//! The config-file adapter: the `ProfileStore` over `~/.aws/config` and `~/.aws/credentials`.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod error;
mod location;
mod parse;
mod password;
mod secret_store;
mod section;
mod store;
mod write;

pub use error::ConfigFileError;
pub use location::{FileLocations, Platform};
pub use parse::{ParseMode, parse_profile_text};
pub use secret_store::CredentialsFileSecretStore;
pub use section::{SectionEdit, replace_section};
pub use store::ConfigFileStore;
pub use write::write_section_atomically;

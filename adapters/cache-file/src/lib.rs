//! aws-runas cache-file adapter: the `CredentialCache` port over files in the AWS config directory.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod cache;
mod format;
pub mod fuzzing;
mod lock;
mod name;
mod sso;
mod tokens;
mod write;

pub use cache::FileCache;
pub use sso::SsoFileTokenCache;
pub use tokens::{FileTokenCache, TOKEN_CACHE_FILE, TokenFileReader};

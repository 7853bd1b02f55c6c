//! The ports: traits that adapters implement and the core calls.
//!
//! One file per port, each with the trait, its request and response types and its error enum.
//! `ProfileStore`, `Prompter`, `Clock`, `CredentialCache` and `CredentialProcess` are synchronous;
//! `Sts`, `Iam`, `IdentityProvider` and `CredentialSource` are `#[async_trait]` traits because they do network I/O and
//! are used as trait objects.

pub mod browser;
pub mod cache;
pub mod clock;
pub mod credential_source;
pub mod ecr;
pub mod iam;
pub mod idp;
pub mod process;
pub mod profile_store;
pub mod prompter;
pub mod release;
pub mod secret;
pub mod server_time;
pub mod signin;
pub mod ssm;
pub mod sso;
pub mod sts;
pub mod token_file;

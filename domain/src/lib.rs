#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod chain;
pub mod credentials;
pub mod duration;
pub mod fingerprint;
pub mod jwt;
pub mod keys;
pub mod names;
pub mod policy;
pub mod ports;
pub mod profile;
pub mod resolve;
pub mod saml;
pub mod secret;
pub mod settings;
pub mod ssm;
pub mod sso;
pub mod time;

pub use credentials::Credentials;
pub use names::{ProfileName, RoleArn, SessionName};
pub use profile::{Origin, ProfileSet, Property, Section};
pub use secret::Secret;
pub use time::Timestamp;

/// Re-exported so adapter crates register through the same `inventory` as the registry.
pub use inventory;

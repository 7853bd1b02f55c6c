#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod ecr;
mod errors;
mod http;
mod iam;
mod region;
mod sdk;
mod settings;
mod sso;
mod sts;

pub use ecr::SdkEcr;
pub use iam::SdkIam;
pub use settings::AwsSettings;
pub use sso::{SdkSso, SsoSettings};
pub use sts::SdkSts;

//! Test harness for aws-runas: the moto AWS emulator, a recording proxy, and clean CLI runs.
#![doc = include_str!("README.md")]
#![deny(missing_docs)]

mod http;
mod moto;
mod program;
mod proxy;
mod signin;
mod ssm;
mod sso;
mod test_env;

pub use moto::{
    ACCOUNT_ID, AccessKey, Moto, MotoClient, QueryError, moto_python, trust_policy, unique_name,
};
pub use program::write_program;
pub use proxy::{Exchange, RecordingProxy};
pub use signin::{SigninEmulator, SigninRequest};
pub use ssm::{ChannelRecord, SsmEmulator, StartSessionCall};
pub use sso::{ACCOUNTS as SSO_ACCOUNTS, DeviceUser, SsoCalls, SsoEmulator};
pub use test_env::TestEnv;

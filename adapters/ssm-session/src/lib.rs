//! aws-runas's own client of the Session Manager data channel.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod codec;
mod session;

pub use session::{
    CLIENT_VERSION, DISCONNECT_TO_PORT, SessionError, SessionKind, TERMINATE_SESSION,
    handshake_response, open_message, run,
};

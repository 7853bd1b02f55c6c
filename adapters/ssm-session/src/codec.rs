//! The agent-message framing of the Session Manager data channel: pure encode and decode.
//!
//! Every binary WebSocket message is one agent message, big-endian:
//!
//! | field          | size | notes                                                   |
//! |----------------|------|---------------------------------------------------------|
//! | header length  | 4    | 116: the bytes up to, not including, payload length     |
//! | message type   | 32   | ASCII, space-padded (`input_stream_data`, ...)          |
//! | schema version | 4    | 1                                                       |
//! | created date   | 8    | milliseconds since the epoch                            |
//! | sequence       | 8    | signed                                                  |
//! | flags          | 8    | 0 data, 1 syn, 2 fin, 3 ack                             |
//! | message id     | 16   | a UUID with its two 8-byte halves swapped               |
//! | payload digest | 32   | SHA-256 of the payload                                  |
//! | payload type   | 4    | 1 output, 3 size, 5/6/7 handshake, 10 flag, ...         |
//! | payload length | 4    |                                                         |
//! | payload        | n    |                                                         |

use sha2::{Digest as _, Sha256};

/// The header length field's value.
pub const HEADER_LENGTH: u32 = 116;
const TYPE_LEN: usize = 32;
const PAYLOAD_LENGTH_AT: usize = HEADER_LENGTH as usize;
const PAYLOAD_AT: usize = PAYLOAD_LENGTH_AT + 4;

/// Data from the client to the agent.
pub const INPUT_STREAM_DATA: &str = "input_stream_data";
/// Data from the agent to the client.
pub const OUTPUT_STREAM_DATA: &str = "output_stream_data";
/// An acknowledgement of a received message.
pub const ACKNOWLEDGE: &str = "acknowledge";
/// The agent closed the channel.
pub const CHANNEL_CLOSED: &str = "channel_closed";

/// Payload types.
pub mod payload {
    /// Terminal or port data.
    pub const OUTPUT: u32 = 1;
    /// An error from the agent.
    pub const ERROR: u32 = 2;
    /// A terminal size, `{"cols":..,"rows":..}`.
    pub const SIZE: u32 = 3;
    /// The agent's handshake request.
    pub const HANDSHAKE_REQUEST: u32 = 5;
    /// The client's handshake response.
    pub const HANDSHAKE_RESPONSE: u32 = 6;
    /// The agent's handshake completion.
    pub const HANDSHAKE_COMPLETE: u32 = 7;
    /// A 4-byte flag: 1 DisconnectToPort, 2 TerminateSession.
    pub const FLAG: u32 = 10;
}

/// The flag of a data message.
pub const FLAG_DATA: u64 = 0;
/// The flag of an acknowledgement.
pub const FLAG_ACK: u64 = 3;

/// A decoding failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Fewer bytes than a header.
    #[error("an agent message of {0} bytes is shorter than its header")]
    Short(usize),
    /// A header length other than 116.
    #[error("an agent message has header length {0}, not 116")]
    HeaderLength(u32),
    /// The payload length does not match the bytes that follow.
    #[error("an agent message announces {announced} payload bytes but carries {actual}")]
    PayloadLength {
        /// The length field.
        announced: u32,
        /// The bytes present.
        actual: usize,
    },
    /// The digest does not match the payload.
    #[error("an agent message's payload does not match its SHA-256 digest")]
    Digest,
    /// The message type is not ASCII text.
    #[error("an agent message's type is not text")]
    MessageType,
}

/// One agent message.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentMessage {
    /// The message type, without padding.
    pub message_type: String,
    /// The schema version (1).
    pub schema_version: u32,
    /// Milliseconds since the epoch.
    pub created_date: u64,
    /// The sequence number.
    pub sequence: i64,
    /// The flags.
    pub flags: u64,
    /// The message id, as a UUID's 16 bytes in their usual order.
    pub message_id: [u8; 16],
    /// The payload type.
    pub payload_type: u32,
    /// The payload.
    pub payload: Vec<u8>,
}

impl std::fmt::Debug for AgentMessage {
    // The payload is user data (keystrokes may be passwords): only its length is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentMessage")
            .field("message_type", &self.message_type)
            .field("sequence", &self.sequence)
            .field("flags", &self.flags)
            .field("message_id", &uuid_text(&self.message_id))
            .field("payload_type", &self.payload_type)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// A UUID's usual text form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn uuid_text(id: &[u8; 16]) -> String {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl AgentMessage {
    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PAYLOAD_AT + self.payload.len());
        out.extend_from_slice(&HEADER_LENGTH.to_be_bytes());
        let mut kind = [b' '; TYPE_LEN];
        let name = self.message_type.as_bytes();
        let n = name.len().min(TYPE_LEN);
        kind[..n].copy_from_slice(&name[..n]);
        out.extend_from_slice(&kind);
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        out.extend_from_slice(&self.created_date.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.extend_from_slice(&self.message_id[8..]);
        out.extend_from_slice(&self.message_id[..8]);
        out.extend_from_slice(&Sha256::digest(&self.payload));
        out.extend_from_slice(&self.payload_type.to_be_bytes());
        let len = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// Reads one message, checking its lengths and digest.
    ///
    /// # Errors
    /// A short or inconsistent message, a digest mismatch.
    pub fn decode(bytes: &[u8]) -> Result<AgentMessage, CodecError> {
        if bytes.len() < PAYLOAD_AT {
            return Err(CodecError::Short(bytes.len()));
        }
        let u32_at =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let header = u32_at(0);
        if header != HEADER_LENGTH {
            return Err(CodecError::HeaderLength(header));
        }
        let message_type = std::str::from_utf8(&bytes[4..4 + TYPE_LEN])
            .map_err(|_| CodecError::MessageType)?
            .trim_end_matches([' ', '\0'])
            .to_string();
        let schema_version = u32_at(36);
        let created_date = u64_at(40);
        let sequence = i64::from_be_bytes(u64_at(48).to_be_bytes());
        let flags = u64_at(56);
        let mut message_id = [0u8; 16];
        message_id[8..].copy_from_slice(&bytes[64..72]);
        message_id[..8].copy_from_slice(&bytes[72..80]);
        let digest = &bytes[80..112];
        let payload_type = u32_at(112);
        let announced = u32_at(PAYLOAD_LENGTH_AT);
        let payload = &bytes[PAYLOAD_AT..];
        if usize::try_from(announced).ok() != Some(payload.len()) {
            return Err(CodecError::PayloadLength {
                announced,
                actual: payload.len(),
            });
        }
        if Sha256::digest(payload).as_slice() != digest {
            return Err(CodecError::Digest);
        }
        Ok(AgentMessage {
            message_type,
            schema_version,
            created_date,
            sequence,
            flags,
            message_id,
            payload_type,
            payload: payload.to_vec(),
        })
    }
}

/// The acknowledgement payload for `message`.
pub fn acknowledgement(message: &AgentMessage) -> Vec<u8> {
    serde_json::json!({
        "AcknowledgedMessageType": message.message_type,
        "AcknowledgedMessageId": uuid_text(&message.message_id),
        "AcknowledgedMessageSequenceNumber": message.sequence,
        "IsSequentialMessage": true,
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> AgentMessage {
        AgentMessage {
            message_type: INPUT_STREAM_DATA.into(),
            schema_version: 1,
            created_date: 1_700_000_000_000,
            sequence: 7,
            flags: FLAG_DATA,
            message_id: *b"0123456789abcdef",
            payload_type: payload::OUTPUT,
            payload: b"hello".to_vec(),
        }
    }

    #[test]
    fn the_layout_matches_the_protocol() {
        let bytes = sample().encode();
        assert_eq!(bytes.len(), 120 + 5);
        assert_eq!(&bytes[0..4], &116u32.to_be_bytes());
        assert_eq!(&bytes[4..36], b"input_stream_data               ");
        assert_eq!(&bytes[36..40], &1u32.to_be_bytes());
        assert_eq!(&bytes[48..56], &7i64.to_be_bytes());
        // The two halves of the id are swapped on the wire.
        assert_eq!(&bytes[64..80], b"89abcdef01234567");
        assert_eq!(&bytes[80..112], Sha256::digest(b"hello").as_slice());
        assert_eq!(&bytes[112..116], &1u32.to_be_bytes());
        assert_eq!(&bytes[116..120], &5u32.to_be_bytes());
        assert_eq!(&bytes[120..], b"hello");
    }

    #[test]
    fn bad_messages_are_refused() {
        let good = sample().encode();
        assert_eq!(
            AgentMessage::decode(&good[..50]),
            Err(CodecError::Short(50))
        );
        let mut digest = good.clone();
        *digest.last_mut().unwrap() ^= 1;
        assert_eq!(AgentMessage::decode(&digest), Err(CodecError::Digest));
        let mut length = good.clone();
        length.push(0);
        assert!(matches!(
            AgentMessage::decode(&length),
            Err(CodecError::PayloadLength {
                announced: 5,
                actual: 6
            })
        ));
        let mut header = good;
        header[3] = 100;
        assert_eq!(
            AgentMessage::decode(&header),
            Err(CodecError::HeaderLength(100))
        );
    }

    #[test]
    fn acknowledgements_name_the_message() {
        let ack: serde_json::Value = serde_json::from_slice(&acknowledgement(&sample())).unwrap();
        assert_eq!(ack["AcknowledgedMessageType"], "input_stream_data");
        assert_eq!(
            ack["AcknowledgedMessageId"],
            "30313233-3435-3637-3839-616263646566"
        );
        assert_eq!(ack["AcknowledgedMessageSequenceNumber"], 7);
        assert_eq!(ack["IsSequentialMessage"], true);
    }

    #[test]
    fn debug_hides_the_payload() {
        let shown = format!("{:?}", sample());
        assert!(
            !shown.contains("hello") && shown.contains("payload_len: 5"),
            "{shown}"
        );
    }

    proptest! {
        #[test]
        fn messages_round_trip(
            kind in "[a-z_]{1,32}",
            created in any::<u64>(),
            sequence in any::<i64>(),
            flags in any::<u64>(),
            id in any::<[u8; 16]>(),
            payload_type in any::<u32>(),
            payload in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let message = AgentMessage {
                message_type: kind,
                schema_version: 1,
                created_date: created,
                sequence,
                flags,
                message_id: id,
                payload_type,
                payload,
            };
            prop_assert_eq!(AgentMessage::decode(&message.encode()), Ok(message));
        }
    }
}

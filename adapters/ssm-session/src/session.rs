//! One data-channel session: open the WebSocket, send the token, then move bytes between a local
//! reader/writer and the agent, acknowledging every message and answering the handshake.

use crate::codec::{
    ACKNOWLEDGE, AgentMessage, CHANNEL_CLOSED, FLAG_ACK, FLAG_DATA, INPUT_STREAM_DATA,
    OUTPUT_STREAM_DATA, acknowledgement, payload,
};
use aws_runas_domain::Secret;
use futures_util::{SinkExt as _, StreamExt as _};
use std::collections::BTreeMap;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The client version we announce. It is below 1.1.70 on purpose: newer clients get multiplexed
/// (smux) port sessions from the agent, which this client does not speak.
pub const CLIENT_VERSION: &str = "1.0.0.0";

/// The flag that asks the agent to drop its connection to the port.
pub const DISCONNECT_TO_PORT: u32 = 1;
/// The flag that ends the session.
pub const TERMINATE_SESSION: u32 = 2;

/// What kind of session runs over the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An interactive shell of this terminal size (columns, rows); input flows at once.
    Shell {
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
    },
    /// A port or SSH session: input waits for the handshake; the end of the input ends the
    /// session (DisconnectToPort, then TerminateSession).
    Port,
}

/// A data-channel failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The WebSocket could not be opened.
    #[error("cannot open the Session Manager data channel at {url}: {message}")]
    Connect {
        /// The stream URL without its query.
        url: String,
        /// What happened.
        message: String,
    },
    /// The channel broke or the agent sent something unreadable.
    #[error("the Session Manager data channel failed: {0}")]
    Channel(String),
    /// The local side failed.
    #[error("local input or output failed: {0}")]
    Local(String),
}

/// Fresh random UUID bytes (version 4).
fn new_id() -> [u8; 16] {
    let mut id = [0u8; 16];
    // Without randomness the ids are still unique per message through the sequence number.
    let _ = getrandom::fill(&mut id);
    id[6] = (id[6] & 0x0f) | 0x40;
    id[8] = (id[8] & 0x3f) | 0x80;
    id
}

fn now_ms() -> u64 {
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The first, text message: the token that opens the channel.
pub fn open_message(token: &Secret) -> String {
    serde_json::json!({
        "MessageSchemaVersion": "1.0",
        "RequestId": crate::codec::uuid_text(&new_id()),
        "TokenValue": token.expose(),
    })
    .to_string()
}

/// The answer to a handshake request: every requested action processed (`SessionType`) or
/// refused as unsupported (anything else, such as KMS encryption).
pub fn handshake_response(request: &[u8]) -> Vec<u8> {
    let request: serde_json::Value = serde_json::from_slice(request).unwrap_or_default();
    let mut processed = Vec::new();
    let mut errors = Vec::new();
    if let Some(actions) = request["RequestedClientActions"].as_array() {
        for action in actions {
            let kind = action["ActionType"].as_str().unwrap_or_default();
            if kind == "SessionType" {
                processed.push(serde_json::json!({"ActionType": kind, "ActionStatus": 1}));
            } else {
                processed.push(serde_json::json!({"ActionType": kind, "ActionStatus": 3}));
                errors.push(format!("{kind} is not supported by this client"));
            }
        }
    }
    if processed.is_empty() {
        processed.push(serde_json::json!({"ActionType": "SessionType", "ActionStatus": 1}));
    }
    serde_json::json!({
        "ClientVersion": CLIENT_VERSION,
        "ProcessedClientActions": processed,
        "Errors": errors,
    })
    .to_string()
    .into_bytes()
}

struct Outgoing {
    sequence: i64,
}

impl Outgoing {
    fn data(&mut self, payload_type: u32, payload: Vec<u8>) -> Message {
        let message = AgentMessage {
            message_type: INPUT_STREAM_DATA.to_string(),
            schema_version: 1,
            created_date: now_ms(),
            sequence: self.sequence,
            flags: FLAG_DATA,
            message_id: new_id(),
            payload_type,
            payload,
        };
        self.sequence += 1;
        Message::Binary(message.encode().into())
    }

    fn ack(received: &AgentMessage) -> Message {
        let message = AgentMessage {
            message_type: ACKNOWLEDGE.to_string(),
            schema_version: 1,
            created_date: now_ms(),
            sequence: 0,
            flags: FLAG_ACK,
            message_id: new_id(),
            payload_type: 0,
            payload: acknowledgement(received),
        };
        Message::Binary(message.encode().into())
    }
}

fn size_payload(cols: u16, rows: u16) -> Vec<u8> {
    serde_json::json!({"cols": cols, "rows": rows})
        .to_string()
        .into_bytes()
}

/// The stream URL without its query (which may carry a signature), for messages.
fn shown_url(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// Runs one session over the data channel at `stream_url`, opened with `token`: bytes read from
/// `input` go to the agent, the agent's output goes to `output`, and `resize` (for shells)
/// forwards terminal size changes. Returns when the agent closes the channel, or for a port
/// session when `input` ends.
///
/// # Errors
/// The channel cannot be opened or breaks, the agent's messages cannot be read, or the local
/// side fails.
pub async fn run<R, W>(
    stream_url: &str,
    token: &Secret,
    kind: SessionKind,
    mut input: R,
    mut output: W,
    mut resize: Option<mpsc::Receiver<(u16, u16)>>,
) -> Result<(), SessionError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (ws, _) = tokio_tungstenite::connect_async(stream_url)
        .await
        .map_err(|e| SessionError::Connect {
            url: shown_url(stream_url).to_string(),
            message: e.to_string(),
        })?;
    let (mut sink, mut stream) = ws.split();
    let channel = |e: tokio_tungstenite::tungstenite::Error| SessionError::Channel(e.to_string());
    let local = |e: std::io::Error| SessionError::Local(e.to_string());
    sink.send(Message::Text(open_message(token).into()))
        .await
        .map_err(channel)?;
    let mut out = Outgoing { sequence: 0 };
    let mut input_ready = matches!(kind, SessionKind::Shell { .. });
    let mut input_open = true;
    if let SessionKind::Shell { cols, rows } = kind {
        sink.send(out.data(payload::SIZE, size_payload(cols, rows)))
            .await
            .map_err(channel)?;
    }
    let mut expected: i64 = 0;
    let mut pending: BTreeMap<i64, AgentMessage> = BTreeMap::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let bytes = match incoming {
                    None | Some(Ok(Message::Close(_))) => return Ok(()),
                    Some(Err(e)) => return Err(channel(e)),
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(_)) => continue,
                };
                let message = AgentMessage::decode(&bytes)
                    .map_err(|e| SessionError::Channel(e.to_string()))?;
                match message.message_type.as_str() {
                    OUTPUT_STREAM_DATA => {
                        sink.send(Outgoing::ack(&message)).await.map_err(channel)?;
                        if message.sequence >= expected {
                            pending.insert(message.sequence, message);
                        }
                        while let Some(next) = pending.remove(&expected) {
                            expected += 1;
                            match next.payload_type {
                                payload::HANDSHAKE_REQUEST => {
                                    let answer = handshake_response(&next.payload);
                                    sink.send(out.data(payload::HANDSHAKE_RESPONSE, answer))
                                        .await
                                        .map_err(channel)?;
                                }
                                payload::HANDSHAKE_COMPLETE => input_ready = true,
                                payload::ERROR => log::warn!(
                                    "the agent reported: {}",
                                    String::from_utf8_lossy(&next.payload).trim()
                                ),
                                payload::OUTPUT | 0 => {
                                    output.write_all(&next.payload).await.map_err(local)?;
                                    output.flush().await.map_err(local)?;
                                }
                                _ => {}
                            }
                        }
                    }
                    CHANNEL_CLOSED => {
                        let text: serde_json::Value =
                            serde_json::from_slice(&message.payload).unwrap_or_default();
                        if let Some(why) = text["Output"].as_str().filter(|s| !s.is_empty()) {
                            log::info!("session closed: {why}");
                        }
                        return Ok(());
                    }
                    // Acknowledgements of our messages, and publication pauses, need no answer.
                    _ => {}
                }
            }
            read = input.read(&mut buf), if input_ready && input_open => {
                let n = read.map_err(local)?;
                if n == 0 {
                    input_open = false;
                    if kind == SessionKind::Port {
                        for flag in [DISCONNECT_TO_PORT, TERMINATE_SESSION] {
                            sink.send(out.data(payload::FLAG, flag.to_be_bytes().to_vec()))
                                .await
                                .map_err(channel)?;
                        }
                        let _ = sink.send(Message::Close(None)).await;
                        return Ok(());
                    }
                } else {
                    sink.send(out.data(payload::OUTPUT, buf[..n].to_vec()))
                        .await
                        .map_err(channel)?;
                }
            }
            size = async {
                match resize.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                match size {
                    Some((cols, rows)) => sink.send(out.data(payload::SIZE, size_payload(cols, rows)))
                        .await
                        .map_err(channel)?,
                    None => resize = None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_message_carries_the_token() {
        let text = open_message(&Secret::new("tok-123"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["MessageSchemaVersion"], "1.0");
        assert_eq!(v["TokenValue"], "tok-123");
        assert_eq!(v["RequestId"].as_str().unwrap().len(), 36);
    }

    #[test]
    fn handshakes_accept_the_session_type_only() {
        let request = br#"{"AgentVersion":"3.2","RequestedClientActions":[
            {"ActionType":"SessionType","ActionParameters":{"SessionType":"Port"}},
            {"ActionType":"KMSEncryption","ActionParameters":{"KMSKeyId":"k"}}]}"#;
        let v: serde_json::Value = serde_json::from_slice(&handshake_response(request)).unwrap();
        assert_eq!(v["ClientVersion"], CLIENT_VERSION);
        assert_eq!(v["ProcessedClientActions"][0]["ActionType"], "SessionType");
        assert_eq!(v["ProcessedClientActions"][0]["ActionStatus"], 1);
        assert_eq!(v["ProcessedClientActions"][1]["ActionStatus"], 3);
        assert!(v["Errors"][0].as_str().unwrap().contains("KMSEncryption"));
    }

    #[test]
    fn urls_are_shown_without_their_query() {
        assert_eq!(
            shown_url(
                "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/s-1?role=publish_subscribe"
            ),
            "wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/s-1"
        );
    }
}

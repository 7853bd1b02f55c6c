//! A small emulator of AWS Systems Manager's StartSession and of the Session Manager data
//! channel, on 127.0.0.1 (moto has neither).
//!
//! Written from AWS's public references: the Systems Manager API Reference, "StartSession"
//! (a JSON 1.1 `POST /` with `X-Amz-Target: AmazonSSM.StartSession`, a body of `Target`,
//! `DocumentName`, `Parameters`; the answer `SessionId`, `StreamUrl`, `TokenValue`), and for the
//! data channel the protocol of AWS's open-source `session-manager-plugin` as summarised in the
//! original aws-runas's behaviour notes (SSM, common set-up): a text message with the token, then binary
//! agent messages (a 116-byte header length, a 32-byte space-padded type, schema version,
//! created date, sequence, flags, the message id with its halves swapped, the payload's SHA-256,
//! the payload type, the payload length, the payload). The encoder here is written separately from
//! the client's on purpose.
//!
//! The "instance" behind every session is an echo server: input data comes back as output. Port
//! and SSH sessions (a `DocumentName` was given) start with a handshake; shells do not. A
//! TerminateSession flag, or the client closing the WebSocket, ends the session with
//! `channel_closed`. Everything the client sends is recorded.

use crate::http::{read_body, read_head, write_message};
use sha2::{Digest as _, Sha256};
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;
use tungstenite::Message;
use tungstenite::handshake::server::{ErrorResponse, Request, Response};

/// One StartSession call.
#[derive(Debug, Clone, PartialEq)]
pub struct StartSessionCall {
    /// The request's JSON body.
    pub body: serde_json::Value,
    /// The session id answered.
    pub session_id: String,
}

/// What a client sent over one data channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelRecord {
    /// The session id in the URL.
    pub session_id: String,
    /// The open message's JSON.
    pub open: serde_json::Value,
    /// The handshake response's JSON, for port and SSH sessions.
    pub handshake_response: Option<serde_json::Value>,
    /// The terminal sizes sent, `(cols, rows)`.
    pub sizes: Vec<(u64, u64)>,
    /// The flags sent (1 DisconnectToPort, 2 TerminateSession).
    pub flags: Vec<u32>,
    /// The input bytes, in sequence order.
    pub input: Vec<u8>,
    /// How many acknowledgements the client sent.
    pub acks: usize,
    /// Whether the session ended.
    pub closed: bool,
}

#[derive(Debug, Default)]
struct State {
    calls: Vec<StartSessionCall>,
    channels: Vec<ChannelRecord>,
}

/// The emulator; it serves until the test process ends.
#[derive(Debug, Clone)]
pub struct SsmEmulator {
    url: String,
    state: Arc<Mutex<State>>,
}

fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind the SSM emulator: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("cannot read the emulator's address: {e}"));
    (listener, addr.to_string())
}

impl SsmEmulator {
    /// Starts the emulator (the API and the data channel, each on a free port of 127.0.0.1).
    ///
    /// # Panics
    /// If no port can be bound.
    pub fn start() -> SsmEmulator {
        let (api, api_addr) = bind();
        let (channel, channel_addr) = bind();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in api.incoming().flatten() {
                let shared = Arc::clone(&shared);
                let channel_addr = channel_addr.clone();
                thread::spawn(move || serve_api(stream, &shared, &channel_addr));
            }
        });
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in channel.incoming().flatten() {
                let shared = Arc::clone(&shared);
                thread::spawn(move || serve_channel(stream, &shared));
            }
        });
        SsmEmulator {
            url: format!("http://{api_addr}"),
            state,
        }
    }

    /// The API's base URL, to use as `AWS_ENDPOINT_URL_SSM`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every StartSession call so far.
    pub fn calls(&self) -> Vec<StartSessionCall> {
        self.state
            .lock()
            .map(|s| s.calls.clone())
            .unwrap_or_default()
    }

    /// Every data channel opened so far.
    pub fn channels(&self) -> Vec<ChannelRecord> {
        self.state
            .lock()
            .map(|s| s.channels.clone())
            .unwrap_or_default()
    }
}

fn serve_api(stream: TcpStream, state: &Mutex<State>, channel_addr: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut wire = Vec::new();
    while let Ok(Some(head)) = read_head(&mut reader, &mut wire) {
        let Ok(framing) = head.request_framing() else {
            return;
        };
        let Ok(body) = read_body(&mut reader, framing, &mut wire) else {
            return;
        };
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (status, answer) = if head.header("x-amz-target") != Some("AmazonSSM.StartSession") {
            (
                400,
                r#"{"__type":"UnknownOperationException","message":"only StartSession"}"#
                    .to_string(),
            )
        } else if json["Target"].as_str().is_none_or(str::is_empty) {
            (
                400,
                r#"{"__type":"ValidationException","message":"Target is required"}"#.to_string(),
            )
        } else {
            let Ok(mut s) = state.lock() else { return };
            let id = format!("emulated-session-{}", s.calls.len() + 1);
            s.calls.push(StartSessionCall {
                body: json.clone(),
                session_id: id.clone(),
            });
            (
                200,
                serde_json::json!({
                    "SessionId": id,
                    "StreamUrl": format!("ws://{channel_addr}/v1/data-channel/{id}?role=publish_subscribe"),
                    "TokenValue": format!("token-for-{id}"),
                })
                .to_string(),
            )
        };
        let headers = vec![(
            "Content-Type".to_string(),
            "application/x-amz-json-1.1".to_string(),
        )];
        let line = if status == 200 {
            "HTTP/1.1 200 OK"
        } else {
            "HTTP/1.1 400 Bad Request"
        };
        if write_message(
            &mut writer,
            line,
            &headers,
            answer.as_bytes(),
            Some(answer.len()),
        )
        .is_err()
            || head.wants_close()
        {
            return;
        }
    }
}

/// One decoded agent message: type, sequence, payload type, payload.
struct Frame {
    kind: String,
    sequence: i64,
    id: [u8; 16],
    payload_type: u32,
    payload: Vec<u8>,
}

fn encode(kind: &str, sequence: i64, flags: u64, payload_type: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&116u32.to_be_bytes());
    out.extend_from_slice(format!("{kind:<32}").as_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    let id = Sha256::digest(format!("{kind}{sequence}").as_bytes());
    out.extend_from_slice(&id[..16]);
    out.extend_from_slice(&Sha256::digest(payload));
    out.extend_from_slice(&payload_type.to_be_bytes());
    out.extend_from_slice(&u32::try_from(payload.len()).unwrap_or(0).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn decode(bytes: &[u8]) -> Option<Frame> {
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    if word(0)? != 116 {
        return None;
    }
    let kind = String::from_utf8(bytes.get(4..36)?.to_vec())
        .ok()?
        .trim_end()
        .to_string();
    let sequence = i64::from_be_bytes(bytes.get(48..56)?.try_into().ok()?);
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(bytes.get(72..80)?);
    id[8..].copy_from_slice(bytes.get(64..72)?);
    let payload_type = word(112)?;
    let len = usize::try_from(word(116)?).ok()?;
    let payload = bytes.get(120..)?.to_vec();
    if payload.len() != len || Sha256::digest(&payload).as_slice() != bytes.get(80..112)? {
        return None;
    }
    Some(Frame {
        kind,
        sequence,
        id,
        payload_type,
        payload,
    })
}

fn serve_channel(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let path = Arc::new(Mutex::new(String::new()));
    let seen = Arc::clone(&path);
    #[allow(clippy::result_large_err)] // the type tungstenite's handshake callback returns
    let callback = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        if let Ok(mut p) = seen.lock() {
            *p = req.uri().path().to_string();
        }
        Ok(resp)
    };
    let Ok(mut ws) = tungstenite::accept_hdr(stream, callback) else {
        return;
    };
    let session_id = path
        .lock()
        .map(|p| p.rsplit('/').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    let Some(call) = state
        .lock()
        .ok()
        .and_then(|s| s.calls.iter().find(|c| c.session_id == session_id).cloned())
    else {
        let _ = ws.close(None);
        return;
    };
    let index = {
        let Ok(mut s) = state.lock() else { return };
        s.channels.push(ChannelRecord {
            session_id: session_id.clone(),
            ..ChannelRecord::default()
        });
        s.channels.len() - 1
    };
    let record = |f: &mut dyn FnMut(&mut ChannelRecord)| {
        if let Ok(mut s) = state.lock() {
            f(&mut s.channels[index]);
        }
    };
    // The open message: the token of this session, or the channel is closed.
    let Ok(Message::Text(open)) = ws.read() else {
        return;
    };
    let open: serde_json::Value = serde_json::from_str(open.as_str()).unwrap_or_default();
    record(&mut |r| r.open = open.clone());
    if open["TokenValue"] != format!("token-for-{session_id}") {
        let _ = ws.close(None);
        return;
    }
    let mut out_seq = 0i64;
    let mut send =
        |ws: &mut tungstenite::WebSocket<TcpStream>, kind: &str, ptype: u32, payload: &[u8]| {
            let seq = if kind == "output_stream_data" {
                out_seq += 1;
                out_seq - 1
            } else {
                0
            };
            let flags = if kind == "acknowledge" { 3 } else { 0 };
            ws.send(Message::Binary(
                encode(kind, seq, flags, ptype, payload).into(),
            ))
        };
    if call.body["DocumentName"].is_string() {
        let request = serde_json::json!({
            "AgentVersion": "3.3.0.0",
            "RequestedClientActions": [{"ActionType": "SessionType", "ActionParameters": {"SessionType": "Port", "Properties": {}}}],
        });
        if send(
            &mut ws,
            "output_stream_data",
            5,
            request.to_string().as_bytes(),
        )
        .is_err()
        {
            return;
        }
    }
    loop {
        let Ok(message) = ws.read() else {
            record(&mut |r| r.closed = true);
            return;
        };
        let bytes = match message {
            Message::Binary(b) => b,
            Message::Close(_) => {
                record(&mut |r| r.closed = true);
                return;
            }
            _ => continue,
        };
        let Some(frame) = decode(&bytes) else {
            let _ = ws.close(None);
            return;
        };
        match frame.kind.as_str() {
            "acknowledge" => record(&mut |r| r.acks += 1),
            "input_stream_data" => {
                let ack = serde_json::json!({
                    "AcknowledgedMessageType": frame.kind,
                    "AcknowledgedMessageId": format!("{:02x?}", frame.id),
                    "AcknowledgedMessageSequenceNumber": frame.sequence,
                    "IsSequentialMessage": true,
                });
                if send(&mut ws, "acknowledge", 0, ack.to_string().as_bytes()).is_err() {
                    return;
                }
                match frame.payload_type {
                    6 => {
                        let v: serde_json::Value =
                            serde_json::from_slice(&frame.payload).unwrap_or_default();
                        record(&mut |r| r.handshake_response = Some(v.clone()));
                        if send(&mut ws, "output_stream_data", 7, b"{}").is_err() {
                            return;
                        }
                    }
                    3 => {
                        let v: serde_json::Value =
                            serde_json::from_slice(&frame.payload).unwrap_or_default();
                        let size = (
                            v["cols"].as_u64().unwrap_or(0),
                            v["rows"].as_u64().unwrap_or(0),
                        );
                        record(&mut |r| r.sizes.push(size));
                    }
                    10 => {
                        let flag = frame
                            .payload
                            .get(..4)
                            .and_then(|b| b.try_into().ok())
                            .map_or(0, u32::from_be_bytes);
                        record(&mut |r| r.flags.push(flag));
                        if flag == 2 {
                            let _ =
                                send(&mut ws, "channel_closed", 0, br#"{"Output":"terminated"}"#);
                            record(&mut |r| r.closed = true);
                            let _ = ws.close(None);
                            return;
                        }
                    }
                    1 => {
                        record(&mut |r| r.input.extend_from_slice(&frame.payload));
                        if send(&mut ws, "output_stream_data", 1, &frame.payload).is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let bytes = encode("output_stream_data", 4, 0, 1, b"abc");
        let frame = decode(&bytes).unwrap();
        assert_eq!(
            (
                frame.kind.as_str(),
                frame.sequence,
                frame.payload_type,
                frame.payload.as_slice()
            ),
            ("output_stream_data", 4, 1, &b"abc"[..])
        );
        let mut broken = bytes;
        *broken.last_mut().unwrap() ^= 1;
        assert!(decode(&broken).is_none());
    }
}

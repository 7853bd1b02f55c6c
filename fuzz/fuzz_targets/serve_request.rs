//! The ECS/IMDS credential server and its web page (adapters/serve-http), driven without a socket
//! through `serve_connection` over an in-memory pipe: arbitrary requests (method, path, query,
//! headers, body) written as HTTP/1.1, pipelined on one connection, optionally followed by raw
//! bytes. Every answer must be an HTTP response, and the secret key must never be handed out to a
//! client that did not present the server's token (or ask an IMDSv1 server).
#![no_main]

use arbitrary::Arbitrary;
use async_trait::async_trait;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::credential_source::{CredentialSource, CredentialSourceError};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use aws_runas_serve_http::{Mode, ServeSettings, serve_connection};
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const ECS_TOKEN: &str = "fuzz-ecs-token-7f3a";
const PAGE_TOKEN: &str = "fuzz-page-token-91c2";
const SECRET_KEY: &str = "FUZZSECRETKEYdoNotServeWithoutToken";

#[derive(Debug)]
struct Source {
    active: Mutex<Option<String>>,
}

#[async_trait]
impl CredentialSource for Source {
    fn active_profile(&self) -> Option<String> {
        self.active.lock().unwrap().clone()
    }

    async fn credentials(
        &self,
        profile: Option<&str>,
    ) -> Result<Credentials, CredentialSourceError> {
        let name = match profile {
            Some(p) => p.to_string(),
            None => self.active_profile().ok_or(CredentialSourceError::NotFound(None))?,
        };
        match name.as_str() {
            "dev" | "prod" => Ok(Credentials::new(
                "AKIAFUZZ".to_string(),
                Secret::new(SECRET_KEY),
                (name == "dev").then(|| Secret::new("FUZZSESSIONTOKEN")),
                (name == "dev").then(|| Timestamp::from_unix(2_000_000_000)),
            )),
            "mfa" => Err(CredentialSourceError::NeedsMfa {
                profile: name,
                message: "no terminal".to_string(),
            }),
            _ => Err(CredentialSourceError::NotFound(Some(name))),
        }
    }

    fn profiles(&self) -> Vec<String> {
        vec!["dev".into(), "prod".into(), "mfa".into()]
    }

    fn role_arn(&self, profile: &str) -> Option<String> {
        (profile == "dev").then(|| "arn:aws:iam::123456789012:role/dev".to_string())
    }

    fn set_active(&self, profile: &str) -> Result<(), CredentialSourceError> {
        if self.profiles().iter().any(|p| p == profile) {
            *self.active.lock().unwrap() = Some(profile.to_string());
            Ok(())
        } else {
            Err(CredentialSourceError::NotFound(Some(profile.to_string())))
        }
    }

    fn give_mfa_code(&self, code: Secret) -> bool {
        drop(code);
        true
    }
}

#[derive(Debug, Arbitrary)]
enum Method {
    Get,
    Put,
    Post,
    Head,
    Delete,
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum Path {
    Credentials,
    CredentialsOf(String),
    Token,
    ImdsCredentials,
    ImdsCredentialsOf(String),
    Page(u8),
    Other(String),
}

const PAGE_PATHS: [&str; 7] = [
    "/",
    "/index.html",
    "/profiles",
    "/status",
    "/profile",
    "/refresh",
    "/mfa",
];

#[derive(Debug, Arbitrary)]
enum Name {
    Host,
    Authorization,
    ImdsToken,
    ImdsTtl,
    ContentLength,
    TransferEncoding,
    Cookie,
    Origin,
    ForwardedFor,
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum Value {
    EcsToken,
    PageToken,
    PageCookie,
    OurHost,
    Text(String),
}

#[derive(Debug, Arbitrary)]
struct Request {
    method: Method,
    path: Path,
    query: Option<String>,
    token_query: bool,
    headers: Vec<(Name, Value)>,
    body: Vec<u8>,
    declare_length: bool,
}

#[derive(Debug, Arbitrary)]
struct Input {
    ec2: bool,
    imdsv1: bool,
    page: bool,
    active: bool,
    requests: Vec<Request>,
    raw_tail: Vec<u8>,
}

const ADDR: &str = "127.0.0.1:41234";

fn write_request(out: &mut Vec<u8>, r: &Request) {
    let method = match &r.method {
        Method::Get => "GET",
        Method::Put => "PUT",
        Method::Post => "POST",
        Method::Head => "HEAD",
        Method::Delete => "DELETE",
        Method::Other(m) => m,
    };
    let path = match &r.path {
        Path::Credentials => "/credentials".to_string(),
        Path::CredentialsOf(p) => format!("/credentials/{p}"),
        Path::Token => "/latest/api/token".to_string(),
        Path::ImdsCredentials => "/latest/meta-data/iam/security-credentials/".to_string(),
        Path::ImdsCredentialsOf(p) => format!("/latest/meta-data/iam/security-credentials/{p}"),
        Path::Page(i) => PAGE_PATHS[usize::from(*i) % PAGE_PATHS.len()].to_string(),
        Path::Other(p) => p.clone(),
    };
    out.extend_from_slice(format!("{method} {path}").as_bytes());
    match (&r.query, r.token_query) {
        (Some(q), true) => out.extend_from_slice(format!("?{q}&token={PAGE_TOKEN}").as_bytes()),
        (Some(q), false) => out.extend_from_slice(format!("?{q}").as_bytes()),
        (None, true) => out.extend_from_slice(format!("?token={PAGE_TOKEN}").as_bytes()),
        (None, false) => {}
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in &r.headers {
        let name = match name {
            Name::Host => "Host",
            Name::Authorization => "Authorization",
            Name::ImdsToken => "X-aws-ec2-metadata-token",
            Name::ImdsTtl => "X-aws-ec2-metadata-token-ttl-seconds",
            Name::ContentLength => "Content-Length",
            Name::TransferEncoding => "Transfer-Encoding",
            Name::Cookie => "Cookie",
            Name::Origin => "Origin",
            Name::ForwardedFor => "X-Forwarded-For",
            Name::Other(n) => n,
        };
        let value = match value {
            Value::EcsToken => ECS_TOKEN.to_string(),
            Value::PageToken => PAGE_TOKEN.to_string(),
            Value::PageCookie => format!("aws_runas_page={PAGE_TOKEN}"),
            Value::OurHost => ADDR.to_string(),
            Value::Text(t) => t.clone(),
        };
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if r.declare_length {
        out.extend_from_slice(format!("Content-Length: {}\r\n", r.body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&r.body);
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    })
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fuzz_target!(|input: Input| {
    let mut bytes = Vec::new();
    for r in input.requests.iter().take(8) {
        write_request(&mut bytes, r);
    }
    bytes.extend_from_slice(&input.raw_tail);
    let ecs_token_sent = !input.ec2 && contains(&bytes, ECS_TOKEN);
    let mode = if input.ec2 {
        Mode::Ec2 {
            imdsv1: input.imdsv1,
        }
    } else {
        Mode::Ecs {
            path: "/credentials".to_string(),
            token: Secret::new(ECS_TOKEN),
        }
    };
    let settings = ServeSettings {
        mode,
        clock: Arc::new(FixedClock(Timestamp::from_unix(1_900_000_000))),
        log_requests: false,
        header_timeout: Duration::from_secs(5),
        page_token: input.page.then(|| Secret::new(PAGE_TOKEN)),
    };
    let source = Arc::new(Source {
        active: Mutex::new(input.active.then(|| "dev".to_string())),
    });
    let addr: SocketAddr = ADDR.parse().expect("an address");
    let output = runtime().block_on(async move {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let serving = tokio::spawn(serve_connection(server, settings, source, addr));
        let (mut reader, mut writer) = tokio::io::split(&mut client);
        let write = async {
            let _ = writer.write_all(&bytes).await;
            let _ = writer.shutdown().await;
        };
        let mut output = Vec::new();
        let read = reader.read_to_end(&mut output);
        let (_, read) = tokio::join!(write, read);
        let _ = read;
        serving.await.expect("the connection task does not panic");
        output
    });
    if !output.is_empty() {
        assert!(output.starts_with(b"HTTP/1.1 "), "not an HTTP response: {output:?}");
    }
    let imdsv1 = input.ec2 && input.imdsv1;
    if !ecs_token_sent && !imdsv1 {
        assert!(
            !contains(&output, SECRET_KEY),
            "the secret key was served without the token"
        );
    }
});


//! A credential server: the ECS container-credentials API or IMDSv2 over a `CredentialSource`.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod imds;
mod page;
mod routes;

use aws_runas_domain::Secret;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::credential_source::CredentialSource;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;
/// The largest request head (request line and headers) accepted.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How long a client may take to send its request head, by default.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long requests in flight may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// The most connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;

/// Which API the server speaks.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The ECS container-credentials API at `path` (e.g. `/credentials`), every request
    /// authorised by `token` in the `Authorization` header.
    Ecs {
        /// The credentials path; `<path>/<profile>` serves another profile.
        path: String,
        /// The token every request must carry.
        token: Secret,
    },
    /// IMDSv2 (tokens from `PUT /latest/api/token`); `imdsv1` also accepts requests without a
    /// token.
    Ec2 {
        /// Whether requests without a token are served.
        imdsv1: bool,
    },
}

/// How the server behaves.
#[derive(Clone)]
pub struct ServeSettings {
    /// The API.
    pub mode: Mode,
    /// The time, for `LastUpdated` and the expiry shown for long-term keys.
    pub clock: Arc<dyn Clock>,
    /// Whether to log each request at INFO (`serve`) or DEBUG (a wrapped command's endpoint).
    pub log_requests: bool,
    /// How long a client may take to send its request head ([`HEADER_TIMEOUT`] unless a test
    /// wants it shorter).
    pub header_timeout: Duration,
    /// The token that lets a browser into the web page (`GET /?token=…` sets it as a cookie);
    /// `None`: no page (a wrapped command's endpoint).
    pub page_token: Option<Secret>,
}

impl std::fmt::Debug for ServeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The ECS token is a `Secret`, whose `Debug` redacts.
        f.debug_struct("ServeSettings")
            .field("mode", &self.mode)
            .field("log_requests", &self.log_requests)
            .field("header_timeout", &self.header_timeout)
            .field("page", &self.page_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be listened on (in use, not ours, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The listening socket failed.
    #[error("the server on {addr} failed: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A bound, not yet running, credential server.
#[derive(Debug)]
pub struct Server {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    settings: ServeSettings,
}

impl Server {
    /// Listens on `addr` (port 0: any free port); no runtime is needed yet.
    ///
    /// # Errors
    /// [`ServeError::Bind`] naming the address.
    pub fn bind(addr: SocketAddr, settings: ServeSettings) -> Result<Server, ServeError> {
        let bind_err = |source| ServeError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        Ok(Server {
            listener,
            addr,
            settings,
        })
    }

    /// The address listened on (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then stops accepting, lets requests in flight finish
    /// (for at most [`SHUTDOWN_GRACE`]) and returns. Must run inside a tokio runtime with I/O and
    /// time enabled.
    ///
    /// # Errors
    /// [`ServeError::Io`] when the listening socket cannot be used.
    pub async fn run(
        self,
        source: Arc<dyn CredentialSource>,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServeError> {
        let addr = self.addr;
        let io_err = |source| ServeError::Io { addr, source };
        let listener = tokio::net::TcpListener::from_std(self.listener).map_err(io_err)?;
        let builder = connection_builder(self.settings.header_timeout);
        let state = Arc::new(routes::State::new(self.settings, source, addr));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                () = &mut shutdown => break,
                p = Arc::clone(&slots).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // A client that went away between SYN and accept, or too many open files:
                        // neither stops the server.
                        log::debug!("accept on {addr} failed: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let state = Arc::clone(&state);
            let service = hyper::service::service_fn(move |req| {
                let state = Arc::clone(&state);
                async move { Ok::<_, std::convert::Infallible>(state.handle(req).await) }
            });
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    log::debug!("connection from {peer}: {e}");
                }
                drop(permit);
            });
        }
        drop(listener);
        log::debug!("server on {addr} stopping");
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            log::debug!("requests still in flight on {addr} after the grace period were dropped");
        }
        Ok(())
    }
}

/// The HTTP/1 settings of every connection: the header timeout and the size limits.
fn connection_builder(header_timeout: Duration) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(MAX_HEADER_BYTES.max(8192) + 1024);
    builder
}

/// Serves one HTTP/1 connection over `io`, any byte stream, exactly as [`Server::run`] serves each
/// connection it accepts (same limits, checks and routes), `addr` standing for the address
/// listened on; returns when the client closes its side or the connection fails (logged at
/// debug). This drives the server without a socket: the fuzz target in `fuzz/` feeds it
/// arbitrary requests through an in-memory pipe. Must run inside a tokio runtime with time
/// enabled.
pub async fn serve_connection<IO>(
    io: IO,
    settings: ServeSettings,
    source: Arc<dyn CredentialSource>,
    addr: SocketAddr,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let builder = connection_builder(settings.header_timeout);
    let state = Arc::new(routes::State::new(settings, source, addr));
    let service = hyper::service::service_fn(move |req| {
        let state = Arc::clone(&state);
        async move { Ok::<_, std::convert::Infallible>(state.handle(req).await) }
    });
    if let Err(e) = builder.serve_connection(TokioIo::new(io), service).await {
        log::debug!("connection on {addr}: {e}");
    }
}

/// A fresh random token: 32 bytes from the operating system, as 64 hex digits.
///
/// # Panics
/// When the operating system has no randomness to give (nothing sensible can run then).
pub fn random_token() -> Secret {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    Secret::new(data_encoding::HEXLOWER.encode(&bytes))
}

//! `aws-runas update` against a release page on 127.0.0.1 that answers `HEAD` the way a
//! repository host's `/releases/latest` does: a redirect to the latest tag's page.

use crate::support::{Run, assert_one_line_error, runas};
use aws_runas_tests::TestEnv;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Answers every request with `status` and an optional `Location`; records the request lines.
fn release_page(status: u16, location: Option<String>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            record.lock().unwrap().push(first.trim().to_string());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let location = location
                .as_ref()
                .map(|l| format!("Location: {l}\r\n"))
                .unwrap_or_default();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\n{location}Content-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (format!("{base}/owner/aws-runas/releases/latest"), seen)
}

fn update(url: &str) -> Run {
    let env = TestEnv::new("", "");
    runas(
        &env,
        "http://127.0.0.1:9",
        &["update"],
        &[("RUNAS_UPDATE_URL", url)],
    )
}

#[test]
fn a_newer_release_is_announced() {
    let tag_url = "https://example.invalid/owner/aws-runas/releases/tag/v99.1.0";
    let (url, seen) = release_page(302, Some(tag_url.to_string()));
    let run = update(&url);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("New version of aws-runas available: v99.1.0\nDownload available at: {tag_url}\n")
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["HEAD /owner/aws-runas/releases/latest HTTP/1.1"],
        "one HEAD, the redirect not followed"
    );
}

#[test]
fn the_same_or_an_older_release_is_up_to_date() {
    let version = env!("CARGO_PKG_VERSION");
    for tag in [format!("v{version}"), "v0.0.1".to_string()] {
        let (url, _) = release_page(302, Some(format!("https://example.invalid/r/tag/{tag}")));
        let run = update(&url);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stdout,
            format!("aws-runas {version} is up to date (latest release: {tag})\n")
        );
    }
}

#[test]
fn a_failed_check_is_an_error() {
    let (url, _) = release_page(404, None);
    let run = update(&url);
    assert_one_line_error(&run, &["version check failed", &url, "HTTP 404"]);
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{closed}/releases/latest");
    let run = update(&url);
    assert_one_line_error(&run, &["cannot reach", &url]);
}

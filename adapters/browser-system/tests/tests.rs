//! The system opener, with a stand-in `xdg-open` on a private `PATH`: no real browser starts.

#![cfg(all(unix, not(target_os = "macos")))]

use aws_runas_browser_system::SystemBrowser;
use aws_runas_domain::ports::browser::BrowserOpener;
use std::time::Duration;

#[test]
fn the_platform_opener_gets_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("opened");
    let script = dir.path().join("xdg-open");
    aws_runas_tests::write_program(
        &script,
        &format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", record.display()),
    );
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let browser = SystemBrowser::new(Some(path.into()));
    let url = "http://127.0.0.1:8400/authorize?client_id=x&state=y";
    browser.open(url).unwrap();
    let mut opened = String::new();
    for _ in 0..200 {
        opened = std::fs::read_to_string(&record).unwrap_or_default();
        if !opened.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(opened, url);
}

#[test]
fn a_missing_opener_or_odd_scheme_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let browser = SystemBrowser::new(Some(dir.path().as_os_str().to_owned()));
    let e = browser.open("https://example.org/").unwrap_err();
    assert!(e.contains("xdg-open"), "{e}");
    assert!(browser.open("file:///etc/passwd").is_err());
}

#[test]
fn browser_variable_comes_first_with_its_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("opened");
    let script = dir.path().join("my-browser");
    aws_runas_tests::write_program(
        &script,
        &format!(
            "#!/bin/sh\nprintf '%s|%s' \"$1\" \"$2\" > '{}'\n",
            record.display()
        ),
    );
    // No xdg-open on this PATH: only $BROWSER can succeed. The first entry does not exist.
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let browser = SystemBrowser::new(Some(path.into()))
        .with_browser(Some("no-such-browser-here:my-browser --new-tab %s".into()));
    let url = "http://127.0.0.1:8400/authorize?client_id=x";
    browser.open(url).unwrap();
    let mut opened = String::new();
    for _ in 0..200 {
        opened = std::fs::read_to_string(&record).unwrap_or_default();
        if !opened.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(opened, format!("--new-tab|{url}"));
}

//! The system opener, with a stand-in `xdg-open` on a private `PATH`: no real browser starts.

#![cfg(all(unix, not(target_os = "macos")))]

use aws_runas_browser_system::SystemBrowser;
use aws_runas_domain::ports::browser::BrowserOpener;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

#[test]
fn the_platform_opener_gets_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("opened");
    let script = dir.path().join("xdg-open");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
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
fn browser_variable_comes_before_the_platform_opener() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("opened");
    let script = dir.path().join("my-browser");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s|' \"$@\" > '{}'\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // No xdg-open on this PATH: only $BROWSER can succeed.
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let url = "https://signin.example/federation?Action=login&x=1";
    for (value, want) in [
        (
            "no-such-browser:my-browser --new-tab",
            format!("--new-tab|{url}|"),
        ),
        ("my-browser --url=%s --flag", format!("--url={url}|--flag|")),
    ] {
        let _ = std::fs::remove_file(&record);
        let browser =
            SystemBrowser::new(Some(path.clone().into())).with_browser_var(Some(value.into()));
        browser.open(url).unwrap();
        let mut opened = String::new();
        for _ in 0..200 {
            opened = std::fs::read_to_string(&record).unwrap_or_default();
            if !opened.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(opened, want, "BROWSER={value}");
    }
    let none = SystemBrowser::new(Some(dir.path().as_os_str().to_owned()))
        .with_browser_var(Some("no-such-browser".into()));
    let e = none.open(url).unwrap_err();
    assert!(
        e.contains("no-such-browser") && e.contains("xdg-open"),
        "{e}"
    );
}

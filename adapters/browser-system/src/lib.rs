//! A `BrowserOpener` using the operating system's URL opener.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use aws_runas_domain::ports::browser::BrowserOpener;
use std::ffi::OsString;
use std::process::{Command, Stdio};

/// Opens URLs with the platform's opener.
#[derive(Debug, Clone)]
pub struct SystemBrowser {
    path: Option<OsString>,
}

impl SystemBrowser {
    /// An opener that finds `xdg-open` / `open` / `rundll32` on `path` (the process's `PATH`).
    pub fn new(path: Option<OsString>) -> Self {
        SystemBrowser { path }
    }

    fn command(url: &str) -> Command {
        if cfg!(windows) {
            let mut c = Command::new("rundll32");
            c.args(["url.dll,FileProtocolHandler", url]);
            c
        } else if cfg!(target_os = "macos") {
            let mut c = Command::new("open");
            c.arg(url);
            c
        } else {
            let mut c = Command::new("xdg-open");
            c.arg(url);
            c
        }
    }
}

impl BrowserOpener for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err("only http and https addresses are opened".to_string());
        }
        let mut cmd = Self::command(url);
        if let Some(p) = &self.path {
            cmd.env("PATH", p);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let program = cmd.get_program().to_string_lossy().into_owned();
        cmd.spawn()
            .map(drop)
            .map_err(|e| format!("cannot start {program}: {e}"))
    }
}

//! A `BrowserOpener` using the operating system's URL opener.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use aws_runas_domain::ports::browser::BrowserOpener;
use std::ffi::OsString;
use std::process::{Command, Stdio};

/// Opens URLs with the commands of `$BROWSER`, else the platform's opener.
#[derive(Debug, Clone)]
pub struct SystemBrowser {
    path: Option<OsString>,
    browser: Option<String>,
}

impl SystemBrowser {
    /// An opener that finds `xdg-open` / `open` / `rundll32` on `path` (the process's `PATH`).
    pub fn new(path: Option<OsString>) -> Self {
        SystemBrowser {
            path,
            browser: None,
        }
    }

    /// Tries the commands of `browser` (the value of `$BROWSER`) first, as Python's `webbrowser`
    /// (and so the AWS CLI) does: a list separated by the platform's path separator, each a
    /// command line whose `%s` is replaced by the URL (else the URL is its last argument).
    #[must_use]
    pub fn with_browser(mut self, browser: Option<String>) -> Self {
        self.browser = browser.filter(|b| !b.trim().is_empty());
        self
    }

    /// The `$BROWSER` command lines for `url`, in order.
    fn browser_commands(&self, url: &str) -> Vec<Command> {
        let sep = if cfg!(windows) { ';' } else { ':' };
        let Some(list) = &self.browser else {
            return vec![];
        };
        list.split(sep)
            .filter_map(|entry| {
                let mut words: Vec<String> = entry.split_whitespace().map(str::to_string).collect();
                if words.is_empty() {
                    return None;
                }
                if words.iter().any(|w| w.contains("%s")) {
                    for w in &mut words {
                        *w = w.replace("%s", url);
                    }
                } else {
                    words.push(url.to_string());
                }
                let mut c = Command::new(&words[0]);
                c.args(&words[1..]);
                Some(c)
            })
            .collect()
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
        let mut failures = vec![];
        for mut cmd in self
            .browser_commands(url)
            .into_iter()
            .chain([Self::command(url)])
        {
            if let Some(p) = &self.path {
                cmd.env("PATH", p);
            }
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let program = cmd.get_program().to_string_lossy().into_owned();
            // Started, not waited for: the browser keeps running after the login.
            match cmd.spawn() {
                Ok(_) => return Ok(()),
                Err(e) => failures.push(format!("cannot start {program}: {e}")),
            }
        }
        Err(failures.join("; "))
    }
}

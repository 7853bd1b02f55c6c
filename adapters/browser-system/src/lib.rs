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
    browser_var: Option<String>,
}

impl SystemBrowser {
    /// An opener that finds `xdg-open` / `open` / `rundll32` on `path` (the process's `PATH`).
    pub fn new(path: Option<OsString>) -> Self {
        SystemBrowser {
            path,
            browser_var: None,
        }
    }

    /// Also honours `value`, the user's `$BROWSER`: a `:`-separated list of commands tried in
    /// order before the platform's opener. A command with `%s` gets the URL there; any other
    /// gets it as its last argument.
    #[must_use]
    pub fn with_browser_var(mut self, value: Option<String>) -> Self {
        self.browser_var = value.filter(|v| !v.trim().is_empty());
        self
    }

    /// The commands `$BROWSER` names, each with the URL placed.
    fn browser_commands(&self, url: &str) -> Vec<Command> {
        let Some(value) = &self.browser_var else {
            return vec![];
        };
        value
            .split(':')
            .filter_map(|entry| {
                let mut words = entry.split_whitespace();
                let program = words.next()?;
                let mut c = Command::new(program);
                let mut placed = false;
                for w in words {
                    if w.contains("%s") {
                        placed = true;
                        c.arg(w.replace("%s", url));
                    } else {
                        c.arg(w);
                    }
                }
                if !placed {
                    c.arg(url);
                }
                Some(c)
            })
            .collect()
    }

    fn spawn(&self, mut cmd: Command) -> Result<(), String> {
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
        let mut failures = Vec::new();
        for cmd in self.browser_commands(url) {
            match self.spawn(cmd) {
                Ok(()) => return Ok(()),
                Err(e) => failures.push(e),
            }
        }
        self.spawn(Self::command(url)).map_err(|e| {
            failures.push(e);
            failures.join("; ")
        })
    }
}

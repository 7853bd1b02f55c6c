//! A small logger: `LEVEL message` lines on stderr, never stdout.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;

struct StderrLogger(LevelFilter);

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Our own crates log at the chosen level; third-party crates (HTML parsers, HTTP
        // stacks) only their warnings, because their debug output can carry page contents,
        // cookies and assertions.
        let ours = metadata.target().starts_with("aws_runas");
        metadata.level() <= self.0 && (ours || metadata.level() <= Level::Warn)
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            // One write per line: stderr is unbuffered, and a server logs every request from
            // several threads.
            let line = format!("{} {}\n", record.level(), record.args());
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }

    fn flush(&self) {}
}

/// Installs the logger: information by default, `-v` debug, `-vv` trace (including the SDK's).
pub(crate) fn init(verbose: u8) {
    let level = match verbose {
        0 => LevelFilter::Info,
        1 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    };
    if log::set_logger(Box::leak(Box::new(StderrLogger(level)))).is_ok() {
        log::set_max_level(level);
    }
}

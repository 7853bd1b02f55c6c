//! Fake programs for tests: shell scripts written so that running them never fails with
//! "Text file busy".
//!
//! A file a test process holds open for writing is inherited by any child another test thread
//! forks at that moment (until that child calls `exec`); executing the file while such a copy of
//! the descriptor is open fails with `ETXTBSY`. Writing it from a separate `sh` process keeps the
//! descriptor out of the test process altogether.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// Writes `script` to `path` and makes it executable (0755), from a child `sh`.
///
/// # Panics
/// When `sh` cannot be started or cannot write the file (a broken test set-up).
pub fn write_program(path: &Path, script: &str) {
    let mut writer = Command::new("sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("starting sh to write a fake program");
    writer
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(script.as_bytes())
        .expect("writing a fake program");
    let status = writer.wait().expect("waiting for sh");
    assert!(
        status.success(),
        "writing {}: sh exited with {status}",
        path.display()
    );
}

//! Shared helpers: run the binary in a `TestEnv`, and check that secrets stay out of logs.

use aws_runas_tests::{Moto, RecordingProxy, TestEnv};
use std::process::Output;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_aws-runas");

/// One run's result.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `aws-runas args…` in `env`, with STS and IAM at `endpoint`, plus `extra` variables.
pub(crate) fn runas(env: &TestEnv, endpoint: &str, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut cmd = env.command(BIN, endpoint);
    cmd.args(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("run aws-runas").into()
}

/// Asserts a failed run: exit code 1, exactly one line on stderr containing every needle, no panic.
pub(crate) fn assert_one_line_error(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 1, "exit code; stderr: {}", run.stderr);
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one line on stderr: {:?}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing on stdout: {:?}", run.stdout);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for n in needles {
        assert!(
            run.stderr.contains(n),
            "stderr should contain {n:?}: {}",
            run.stderr
        );
    }
}

/// A moto-backed lab: a recording proxy in front of the shared moto server.
pub(crate) struct Lab {
    pub(crate) proxy: RecordingProxy,
}

impl Lab {
    pub(crate) fn new() -> Lab {
        Lab {
            proxy: RecordingProxy::start(Moto::shared().url()),
        }
    }

    pub(crate) fn url(&self) -> &str {
        self.proxy.url()
    }
}

/// The values of `export NAME='value'` lines.
pub(crate) fn exports(stdout: &str) -> std::collections::BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

/// Fails when any secret appears in stderr, or in stdout outside the credential payload lines.
pub(crate) fn assert_no_secret_leaks(run: &Run, secrets: &[&str]) {
    let payload = |l: &str| {
        l.starts_with("export AWS_SECRET_ACCESS_KEY=")
            || l.starts_with("export AWS_SESSION_TOKEN=")
            || l.starts_with("export AWS_SECURITY_TOKEN=")
            || l.starts_with("{\"AccessKeyId\"")
    };
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !run.stderr.contains(s),
            "a secret leaked to stderr: {}",
            run.stderr
        );
        for line in run.stdout.lines().filter(|l| !payload(l)) {
            assert!(
                !line.contains(s),
                "a secret leaked to stdout outside the payload: {line}"
            );
        }
    }
}

/// The real time, for assertions and tokens the binary (with the real clock) must accept.
pub(crate) fn now() -> aws_runas_domain::Timestamp {
    #[allow(clippy::disallowed_methods)] // the binary under test reads the real clock too
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    aws_runas_domain::Timestamp::from_unix(i64::try_from(secs).unwrap())
}

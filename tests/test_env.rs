//! A clean, throw-away environment for running the `aws-runas` binary in a test.
//!
//! The binary must never see the developer's `~/.aws`, environment, terminal or keychain.
//! So a [`TestEnv`] is a temporary directory used as `HOME`, with `.aws/config` and
//! `.aws/credentials` written from strings, and it builds commands that start from an empty
//! environment, read nothing from stdin, and run in a new session (through util-linux's `setsid`)
//! so that they have no controlling terminal.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a `setsid` binary is looked for before `$PATH`.
const SETSID_CANDIDATES: &[&str] = &["/usr/bin/setsid", "/bin/setsid"];

/// A temporary `HOME` with AWS config files, removed when dropped.
///
/// # Examples
///
/// ```no_run
/// use aws_runas_tests::{RecordingProxy, Moto, TestEnv};
///
/// let proxy = RecordingProxy::start(Moto::shared().url());
/// let env = TestEnv::new("[profile dev]\nregion = us-east-1\n", "");
/// let output = env
///     .command("/path/to/aws-runas", proxy.url())
///     .args(["-e", "dev"])
///     .env("AWS_REGION", "us-east-1")
///     .output()
///     .unwrap();
/// assert!(output.status.success());
/// ```
pub struct TestEnv {
    home: tempfile::TempDir,
}

impl TestEnv {
    /// Creates a temporary home whose `.aws/config` and `.aws/credentials` hold `config` and
    /// `credentials` (the credentials file is private to the user, as the AWS CLI makes it).
    ///
    /// # Panics
    ///
    /// If the directory or the files cannot be created.
    pub fn new(config: &str, credentials: &str) -> TestEnv {
        let home = tempfile::Builder::new()
            .prefix("aws-runas-test-home-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary home directory: {e}"));
        let aws = home.path().join(".aws");
        fs::create_dir(&aws).unwrap_or_else(|e| panic!("cannot create {}: {e}", aws.display()));
        let env = TestEnv { home };
        env.write_config(config);
        env.write_credentials(credentials);
        env
    }

    /// The temporary home directory.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// `<home>/.aws/config`.
    pub fn config_file(&self) -> PathBuf {
        self.home().join(".aws").join("config")
    }

    /// `<home>/.aws/credentials`.
    pub fn credentials_file(&self) -> PathBuf {
        self.home().join(".aws").join("credentials")
    }

    /// Replaces the contents of `<home>/.aws/config`.
    ///
    /// # Panics
    ///
    /// If the file cannot be written.
    pub fn write_config(&self, config: &str) {
        write_private(&self.config_file(), config);
    }

    /// Replaces the contents of `<home>/.aws/credentials`.
    ///
    /// # Panics
    ///
    /// If the file cannot be written.
    pub fn write_credentials(&self, credentials: &str) {
        write_private(&self.credentials_file(), credentials);
    }

    /// A command that runs `program` inside this environment, with `endpoint_url` (usually a
    /// [`RecordingProxy::url`](crate::RecordingProxy::url)) as `AWS_ENDPOINT_URL`.
    ///
    /// The environment is cleared, then holds only `HOME`, `PATH` (the test's own),
    /// `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_ENDPOINT_URL` and
    /// `AWS_EC2_METADATA_DISABLED=true`; add more with [`Command::env`].
    /// The working directory is the temporary home, stdin is `/dev/null`, and the program runs
    /// under `setsid --wait`, in a session of its own without a controlling terminal; the exit
    /// status is the program's.
    ///
    /// # Panics
    ///
    /// If no `setsid` binary (util-linux) can be found.
    pub fn command(&self, program: impl AsRef<OsStr>, endpoint_url: &str) -> Command {
        #[allow(clippy::disallowed_methods)] // Tests pass their own PATH on to the child.
        let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
        let mut command = Command::new(setsid(&path));
        command
            .arg("--wait")
            .arg(program)
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", &path)
            .env("AWS_CONFIG_FILE", self.config_file())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_file())
            .env("AWS_ENDPOINT_URL", endpoint_url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .current_dir(self.home())
            .stdin(Stdio::null());
        command
    }
}

impl fmt::Debug for TestEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestEnv")
            .field("home", &self.home())
            .finish()
    }
}

fn write_private(path: &Path, contents: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    file.write_all(contents.as_bytes())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The `setsid` binary: a well-known location, else the first one on `path`.
fn setsid(path: &OsStr) -> PathBuf {
    SETSID_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(path).map(|dir| dir.join("setsid")))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("setsid is not installed: install util-linux (on Debian, apt-get install util-linux)")
        })
}

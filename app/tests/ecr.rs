//! `aws-runas ecr login`, end to end: credentials and ECR's GetAuthorizationToken from moto
//! (through the recording proxy), and fake `docker` / `podman` programs on a private `PATH` that
//! record their arguments, standard input and environment.

use crate::support::{Lab, Run, assert_one_line_error, runas};
use aws_runas_tests::{AccessKey, Moto, TestEnv};

/// moto's password for an account's registry.
fn moto_password(account: &str) -> String {
    format!("{account}-auth-token")
}

struct Setup {
    lab: Lab,
    user: AccessKey,
    env: TestEnv,
    bin: tempfile::TempDir,
}

fn setup() -> Setup {
    let user = Moto::shared().create_user("ecr");
    let config = "[default]\nregion = eu-west-1\n[profile user]\n[profile noregion]\nregion =\n";
    let credentials = format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n[noregion]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret(),
        user.id(),
        user.secret()
    );
    Setup {
        lab: Lab::new(),
        env: TestEnv::new(config, &credentials),
        user,
        bin: tempfile::tempdir().unwrap(),
    }
}

impl Setup {
    /// Puts a fake engine called `name` on the private PATH; it records each call in
    /// `<name>.argv`, `<name>.stdin` and `<name>.env` and exits with `status`.
    fn engine(&self, name: &str, status: i32) {
        let d = self.bin.path().display();
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{d}/{name}.argv'\necho --- >> '{d}/{name}.argv'\ncat >> '{d}/{name}.stdin'\necho --- >> '{d}/{name}.stdin'\nenv >> '{d}/{name}.env'\nexit {status}\n"
        );
        let path = self.bin.path().join(name);
        aws_runas_tests::write_program(&path, &script);
    }

    fn record(&self, name: &str, what: &str) -> String {
        std::fs::read_to_string(self.bin.path().join(format!("{name}.{what}"))).unwrap_or_default()
    }

    /// The calls one engine got: each call's arguments.
    fn calls(&self, name: &str) -> Vec<Vec<String>> {
        self.record(name, "argv")
            .split("---\n")
            .filter(|c| !c.is_empty())
            .map(|c| c.lines().map(str::to_string).collect())
            .collect()
    }

    fn stdins(&self, name: &str) -> Vec<String> {
        self.record(name, "stdin")
            .split("---\n")
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn path(&self) -> String {
        // No /usr/local/bin: a real docker there must not be found.
        format!("{}:/usr/bin:/bin", self.bin.path().display())
    }

    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut all = vec!["ecr", "login"];
        all.extend_from_slice(args);
        let path = self.path();
        let mut vars = vec![("PATH", path.as_str())];
        vars.extend_from_slice(extra);
        let run = runas(&self.env, self.lab.url(), &all, &vars);
        assert!(!run.stderr.contains(self.user.secret()), "{}", run.stderr);
        assert!(!run.stderr.contains("-auth-token"), "{}", run.stderr);
        assert!(!run.stdout.contains("-auth-token"), "{}", run.stdout);
        run
    }
}

fn login_args(host: &str) -> Vec<String> {
    ["login", "--username", "AWS", "--password-stdin", host]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn assert_password_only_on_stdin(s: &Setup, engine: &str) {
    assert!(
        !s.record(engine, "argv").contains("-auth-token"),
        "the password is never an argument"
    );
    assert!(
        !s.record(engine, "env").contains("-auth-token"),
        "the password is never in the environment"
    );
}

#[test]
fn the_profiles_own_registry_by_default() {
    let s = setup();
    s.engine("docker", 0);
    let run = s.run(&["user"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let account = aws_runas_tests::ACCOUNT_ID;
    assert_eq!(
        s.calls("docker"),
        vec![login_args(&format!(
            "{account}.dkr.ecr.eu-west-1.amazonaws.com"
        ))]
    );
    assert_eq!(s.stdins("docker"), vec![moto_password(account)]);
    assert_password_only_on_stdin(&s, "docker");
    assert_eq!(s.lab.proxy.count("GetAuthorizationToken"), 1);
    assert_eq!(s.lab.proxy.count("GetCallerIdentity"), 1);
}

#[test]
fn registries_named_on_the_command_line_one_token_per_region() {
    let s = setup();
    s.engine("docker", 0);
    let run = s.run(
        &[
            "user",
            "210987654321",
            "111122223333.dkr.ecr.us-west-2.amazonaws.com",
            "https://444455556666.dkr.ecr.eu-west-1.amazonaws.com/",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        s.calls("docker"),
        vec![
            login_args("210987654321.dkr.ecr.eu-west-1.amazonaws.com"),
            login_args("111122223333.dkr.ecr.us-west-2.amazonaws.com"),
            login_args("444455556666.dkr.ecr.eu-west-1.amazonaws.com"),
        ]
    );
    assert_eq!(s.lab.proxy.count("GetAuthorizationToken"), 2, "two regions");
    assert_eq!(s.lab.proxy.count("GetCallerIdentity"), 0);
    assert_password_only_on_stdin(&s, "docker");
}

#[test]
fn a_single_registry_with_the_profile_in_the_environment_is_not_ignored() {
    let s = setup();
    s.engine("docker", 0);
    let run = s.run(&["210987654321"], &[("AWS_PROFILE", "user")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        s.calls("docker"),
        vec![login_args("210987654321.dkr.ecr.eu-west-1.amazonaws.com")]
    );
}

#[test]
fn podman_when_docker_is_missing_or_asked_for() {
    let s = setup();
    s.engine("podman", 0);
    let run = s.run(&["user"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.calls("podman").len(), 1);
    assert_password_only_on_stdin(&s, "podman");

    s.engine("docker", 0);
    let run = s.run(&["user"], &[("RUNAS_CONTAINER_CLI", "podman")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.calls("podman").len(), 2);
    assert!(s.calls("docker").is_empty());
}

#[test]
fn the_engines_exit_status_is_ours() {
    let s = setup();
    s.engine("docker", 3);
    let run = s.run(&["user", "210987654321", "111122223333"], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "login to 210987654321.dkr.ecr.eu-west-1.amazonaws.com failed with exit status 3"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(s.calls("docker").len(), 1, "stops at the first failure");
}

#[test]
fn bad_input_is_one_clear_line() {
    let s = setup();
    let run = s.run(&["user"], &[]);
    assert_one_line_error(&run, &["neither docker nor podman", "RUNAS_CONTAINER_CLI"]);
    let run = s.run(&["user"], &[("RUNAS_CONTAINER_CLI", "nerdctl")]);
    assert_one_line_error(&run, &["RUNAS_CONTAINER_CLI", "nerdctl"]);

    s.engine("docker", 0);
    let run = s.run(&["user", "docker.io"], &[]);
    assert_one_line_error(&run, &["\"docker.io\" is not an Amazon ECR registry"]);
    let run = s.run(&["noregion", "210987654321"], &[]);
    assert_one_line_error(&run, &["profile `noregion` has no region"]);
    assert!(s.calls("docker").is_empty());
    assert_eq!(s.lab.proxy.count("GetAuthorizationToken"), 0);
}

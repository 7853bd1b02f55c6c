//! Recorded IdP conversations, replayed: a case directory (`case.json` and the pages and JSON
//! answers it names) is served by a stateful mock that checks every request against the next
//! recorded exchange, and the adapter's login is run against it and checked from end to end.
//!
//! The format of `case.json` is described in `fixtures/idp/README.md`.
//! An adapter's test builds one [`Replay`] (the fixture directory, the hosts its pages are written
//! for, the clock) and lists its cases with [`replay_cases!`](crate::replay_cases); a test that
//! only needs the conversation served (an end-to-end run of the app, say) calls [`Replay::serve`].

use crate::conformance::{check_jar_file, panic_message};
use crate::prompter::{PromptKind, ScriptedPrompter};
use crate::registration::idle_http;
use crate::server::{MockRequest, MockResponse, MockServer};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdpDeps, IdpErrorKind, IdpRegistration, IdpSettings, OidcRequest,
};
use aws_runas_domain::ports::prompter::PromptError;
use aws_runas_domain::{Secret, Timestamp};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long a replayed login may take before the harness calls it hung: far more than any case
/// needs (push waits are bounded at a second or two), far less than forever.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// One case directory's `case.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case shows.
    about: String,
    /// `saml` (the default, or `oidc` when the case has an `oidc` section) runs
    /// `saml_assertion()`, `authenticate` runs `authenticate()`, `oidc` runs `oidc_token()`.
    #[serde(default)]
    method: Option<String>,
    /// The path and query of the configured URL (empty: the bare host).
    start: String,
    /// Settings besides the URL (`username`, `mfa_type`, `<adapter>_*`).
    #[serde(default)]
    settings: BTreeMap<String, String>,
    /// Secrets given up front (`password`, `mfa_code`).
    #[serde(default)]
    up_front: BTreeMap<String, String>,
    /// Run without a cookie jar file (the app always configures one).
    #[serde(default)]
    no_cookie_jar: bool,
    /// For an OIDC login: the client, its redirect URI and the ID token's issuer.
    #[serde(default)]
    oidc: Option<OidcCase>,
    /// The prompter's script, in order.
    #[serde(default)]
    prompts: Vec<Prompt>,
    /// The requests the adapter must make, in order, and the answers.
    exchanges: Vec<Exchange>,
    /// How the login ends.
    expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcCase {
    client_id: String,
    redirect_uri: String,
    /// The `iss` of the ID token a `token` exchange answers (the mock's base URL by default).
    #[serde(default)]
    issuer: Option<String>,
}

/// One scripted answer: `{"line": ..}`, `{"secret": ..}`, or `{"unanswered": "line"}` (or
/// `"secret"`: the question fails as with no terminal), and the label it must be asked with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompt {
    #[serde(default)]
    line: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    unanswered: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

/// A form field's expected value: the (first) value sent, or every value sent, in order (a field
/// a form holds several times).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum FieldValue {
    One(String),
    All(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    /// `METHOD /path` (the query is checked through `query`).
    request: String,
    /// Query parameters the request must carry, with these values.
    #[serde(default)]
    query: BTreeMap<String, String>,
    /// Query parameters the request must not carry.
    #[serde(default)]
    query_absent: Vec<String>,
    /// Form fields the request must carry, with these values (a list: every value, in order).
    #[serde(default)]
    form: BTreeMap<String, FieldValue>,
    /// Form fields the request must not carry.
    #[serde(default)]
    absent: Vec<String>,
    /// Values the request's JSON body must carry, at dotted paths (a string also matches a
    /// number or boolean written that way).
    #[serde(default)]
    json: BTreeMap<String, Value>,
    /// Dotted paths the request's JSON body must not carry.
    #[serde(default)]
    json_absent: Vec<String>,
    /// Headers the request must carry, with these values.
    #[serde(default)]
    request_headers: BTreeMap<String, String>,
    /// Cookies the request must carry.
    #[serde(default)]
    cookies: Vec<String>,
    /// The answer's status (200, or 302 for a redirect, by default).
    #[serde(default)]
    status: Option<u16>,
    /// An HTML page answered (a file of the case's directory).
    #[serde(default)]
    page: Option<String>,
    /// A body answered (a file of the case's directory), `application/json` unless `headers`
    /// names another `Content-Type`.
    #[serde(default)]
    body: Option<String>,
    /// A JSON body answered, written in the case.
    #[serde(default)]
    reply_json: Option<Value>,
    /// The `Location` of a redirect (`{state}` stands for the `state` of the last request that
    /// sent one).
    #[serde(default)]
    location: Option<String>,
    /// Answer with tokens: an ID token carrying the `nonce` of the last request that sent one.
    #[serde(default)]
    token: bool,
    /// Raw `Set-Cookie` values.
    #[serde(default)]
    set_cookies: Vec<String>,
    /// Other headers of the answer.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Answers every request that matches it, once at least, until one does not (a poll whose
    /// count does not matter).
    #[serde(default)]
    repeat: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// The SAML response the login must return.
    #[serde(default)]
    saml: Option<String>,
    /// Or, for `authenticate`, that it succeeds.
    #[serde(default)]
    signed_in: bool,
    /// Or, for `oidc`, the ID token the mock issued.
    #[serde(default)]
    id_token: bool,
    /// Or the error, by its kind ([`IdpErrorKind::as_str`]).
    #[serde(default)]
    error: Option<String>,
    /// Texts the error message must contain.
    #[serde(default)]
    contains: Vec<String>,
    /// Texts the notices shown to the user must contain (all notices joined).
    #[serde(default)]
    notices: Vec<String>,
    /// How many notices must be shown.
    #[serde(default)]
    notice_count: Option<usize>,
}

impl Case {
    fn load(dir: &Path) -> Case {
        let path = dir.join("case.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let case: Case =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let problems = case.problems();
        assert!(
            problems.is_empty(),
            "{}: {}",
            path.display(),
            problems.join("; ")
        );
        case
    }

    /// What is wrong with the case itself.
    fn problems(&self) -> Vec<String> {
        let mut out = vec![];
        if self.about.trim().is_empty() {
            out.push("say what the case shows in `about`".to_string());
        }
        let e = &self.expect;
        let ends = [e.saml.is_some(), e.signed_in, e.id_token, e.error.is_some()];
        if ends.iter().filter(|b| **b).count() != 1 {
            out.push("`expect` names exactly one of saml, signed_in, id_token, error".into());
        }
        if let Some(kind) = &e.error
            && IdpErrorKind::parse(kind).is_none()
        {
            out.push(format!("`expect.error` {kind:?} is no error kind"));
        }
        if e.error.is_none() && !e.contains.is_empty() {
            out.push("`expect.contains` goes with `expect.error`".into());
        }
        match self.method() {
            "saml" | "authenticate" => {}
            "oidc" if self.oidc.is_some() => {}
            other => out.push(format!("unknown method {other:?} (or no `oidc` section)")),
        }
        for p in &self.prompts {
            let given = [p.line.is_some(), p.secret.is_some(), p.unanswered.is_some()];
            if given.iter().filter(|b| **b).count() != 1 {
                out.push("a prompt has one of a line, a secret or unanswered".into());
            }
            if let Some(kind) = &p.unanswered
                && kind != "line"
                && kind != "secret"
            {
                out.push(format!("`unanswered` {kind:?} is neither line nor secret"));
            }
        }
        for ex in &self.exchanges {
            let answers = [
                ex.page.is_some(),
                ex.body.is_some(),
                ex.reply_json.is_some(),
                ex.location.is_some(),
                ex.token,
            ];
            if answers.iter().filter(|b| **b).count() != 1 {
                out.push(format!(
                    "{}: an exchange answers one of page, body, reply_json, location, token",
                    ex.request
                ));
            }
        }
        out
    }

    fn method(&self) -> &str {
        self.method
            .as_deref()
            .unwrap_or(if self.oidc.is_some() { "oidc" } else { "saml" })
    }

    /// Passwords and codes: every secret answer, every all-digit line answer, everything given
    /// up front (user names may show); short ones (a device number) are left out.
    fn secrets(&self) -> Vec<String> {
        self.prompts
            .iter()
            .filter_map(|p| {
                p.secret.clone().or_else(|| {
                    p.line
                        .clone()
                        .filter(|l| l.bytes().all(|b| b.is_ascii_digit()))
                })
            })
            .chain(self.up_front.values().cloned())
            .filter(|s| s.len() >= 6)
            .collect()
    }

    fn prompter(&self) -> ScriptedPrompter {
        self.prompts
            .iter()
            .fold(ScriptedPrompter::new(), |p, prompt| {
                match (&prompt.line, &prompt.secret, prompt.unanswered.as_deref()) {
                    (Some(answer), ..) => p.line(answer.clone()),
                    (None, Some(answer), _) => p.secret(answer.clone()),
                    (None, None, Some("secret")) => {
                        p.fail(PromptKind::Secret, PromptError::NoTerminal)
                    }
                    (None, None, Some(_)) => p.fail(PromptKind::Line, PromptError::NoTerminal),
                    (None, None, None) => p,
                }
            })
    }
}

/// The replay of an adapter's case directories: where they are, which hosts their pages are
/// written for, and the clock and extra answer headers their logins run with.
///
/// ```no_run
/// # async fn example(reg: &'static aws_runas_domain::ports::idp::IdpRegistration) {
/// use aws_runas_idp_testkit::Replay;
///
/// let replay = Replay::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/idp/adfs"))
///     .adapter(reg)
///     .host("https://adfs.example.test");
/// replay.check("forms-login").await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Replay {
    dir: PathBuf,
    adapter: Option<&'static IdpRegistration>,
    hosts: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    now: Timestamp,
}

impl Replay {
    /// The cases under `dir` (one directory each), with no host rebased yet and the clock at
    /// 2026-01-01T00:00:00Z.
    pub fn new(dir: impl Into<PathBuf>) -> Replay {
        Replay {
            dir: dir.into(),
            adapter: None,
            hosts: vec![],
            headers: vec![],
            now: Timestamp::from_unix(1_767_225_600),
        }
    }

    /// The adapter [`Replay::check`] logs in with.
    pub fn adapter(mut self, reg: &'static IdpRegistration) -> Replay {
        self.adapter = Some(reg);
        self
    }

    /// A host the pages are written for (`https://idp.example.test`): every mention in a page,
    /// JSON answer or redirect points at the mock server instead.
    pub fn host(self, url: &str) -> Replay {
        self.host_at(url, "")
    }

    /// A host the pages name (an AWS sign-in endpoint, say) that must point at `path` of the mock
    /// server, so that a request the adapter should never make is caught there.
    pub fn host_at(mut self, url: &str, path: &str) -> Replay {
        self.hosts.push((url.to_string(), path.to_string()));
        // Longer hosts first, so that a host that is a prefix of another never cuts it.
        self.hosts
            .sort_by_key(|(host, _)| std::cmp::Reverse(host.len()));
        self
    }

    /// A header every answer carries (the request id a real IdP adds).
    pub fn header(mut self, name: &str, value: &str) -> Replay {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The instant the logins run at.
    pub fn now(mut self, now: Timestamp) -> Replay {
        self.now = now;
        self
    }

    /// The directory of the cases.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Serves the case `name` on a fresh mock server, for a test that drives the login itself.
    ///
    /// With `saml`, every SAML response in the answers (the case's `expect.saml`, and the value
    /// of every `SAMLResponse` input) is replaced by `saml`, so that a real STS can take it.
    ///
    /// # Panics
    /// When the case cannot be read or is not well formed.
    pub fn serve(&self, name: &str, saml: Option<&str>) -> Served {
        let case = Case::load(&self.dir.join(name));
        let server = MockServer::start();
        let base = server.base_url();
        let mut hosts = self.hosts.clone();
        let issuer = case
            .oidc
            .as_ref()
            .and_then(|o| o.issuer.clone())
            .unwrap_or_else(|| base.clone());
        for (_, path) in &mut hosts {
            *path = format!("{base}{path}");
        }
        let swap = saml.map(|real| (case.expect.saml.clone(), real.to_string()));
        let mock = Arc::new(Mock {
            dir: self.dir.join(name),
            hosts,
            headers: self.headers.clone(),
            swap,
            issuer,
            audience: case.oidc.as_ref().map(|o| o.client_id.clone()),
            now: self.now,
            queue: Mutex::new(
                case.exchanges
                    .iter()
                    .cloned()
                    .map(|exchange| Pending {
                        exchange,
                        used: false,
                    })
                    .collect(),
            ),
            problems: Mutex::default(),
            oidc: Mutex::default(),
        });
        for method in ["GET", "POST", "HEAD", "PUT", "DELETE"] {
            let mock = mock.clone();
            server.route(method, "/*", move |r| mock.answer(r));
        }
        Served {
            start: server.url(&case.start),
            server,
            mock,
            case,
        }
    }

    /// Replays the case `name` with the adapter and checks everything: each request against its
    /// exchange, that no exchange is left, the outcome (the SAML response of the case, the ID
    /// token the mock issued, or an error of the named kind containing the named texts), the
    /// notices, the prompts and their labels; no secret of the case in the error, the notices,
    /// the prompt labels, the adapter's `Debug` or a request's URL; the cookie jar, if written,
    /// of mode 0600; no panic; no hang.
    ///
    /// # Panics
    /// With one line per failed check.
    pub async fn check(&self, name: &str) {
        if let Err(failures) = self.run(name).await {
            panic!("{name}:\n  {}", failures.join("\n  "));
        }
    }

    /// As [`Replay::check`], returning the failed checks.
    ///
    /// # Errors
    /// One line per failed check.
    ///
    /// # Panics
    /// When no adapter is set or the case is not well formed.
    pub async fn run(&self, name: &str) -> Result<(), Vec<String>> {
        let reg = self
            .adapter
            .expect("Replay::adapter names the adapter to check");
        let served = self.serve(name, None);
        let case = served.case.clone();
        let prompter = Arc::new(case.prompter());
        let dir = tempfile::tempdir().expect("a temporary directory");
        let jar = dir.path().join(".aws_runas.cookies");
        let deps = IdpDeps::new(
            prompter.clone(),
            Arc::new(FixedClock(self.now)),
            HttpSettings {
                cookie_jar: (!case.no_cookie_jar).then(|| jar.clone()),
                ..idle_http()
            },
        );
        let mut pairs = vec![(IdpSettings::URL.to_string(), served.url().to_string())];
        pairs.extend(case.settings.clone());
        let secret = |key: &str| case.up_front.get(key).map(|v| Secret::new(v.as_str()));
        let settings =
            IdpSettings::from_pairs(pairs).with_secrets(secret("password"), secret("mfa_code"));
        let adapter = reg
            .build(&settings, deps)
            .map_err(|e| vec![format!("the adapter could not be built: {e}")])?;

        let method = case.method().to_string();
        let oidc = case.oidc.clone();
        // The adapter runs in its own task, so that a panic (a scripted prompter asked something
        // unexpected, say) is reported with the rest and the hang guard can abort it.
        let mut task = tokio::spawn(async move {
            let result = match (method.as_str(), oidc) {
                ("authenticate", _) => adapter.authenticate().await.map(|()| Outcome::SignedIn),
                ("oidc", Some(o)) => adapter
                    .oidc_token(&OidcRequest {
                        client_id: o.client_id,
                        redirect_uri: o.redirect_uri,
                        scopes: vec!["profile".into()],
                    })
                    .await
                    .map(|t| Outcome::IdToken(t.0.expose().to_string())),
                _ => adapter
                    .saml_assertion()
                    .await
                    .map(|a| Outcome::Saml(a.0.expose().to_string())),
            };
            (format!("{adapter:?}"), result)
        });
        let mut failures: Vec<String> = vec![];
        let (debug, result) = match tokio::time::timeout(HANG_GUARD, &mut task).await {
            Ok(Ok((debug, result))) => (debug, Some(result)),
            Ok(Err(join)) => {
                failures.push(format!("the adapter panicked: {}", panic_message(join)));
                (String::new(), None)
            }
            Err(_) => {
                task.abort();
                failures.push(format!(
                    "the adapter hangs (no answer within {HANG_GUARD:?})"
                ));
                (String::new(), None)
            }
        };

        failures.extend(served.problems());
        if let Some(p) = prompter.problems() {
            failures.push(format!("prompter: {p}"));
        }
        let labels = prompter.labels();
        for (i, prompt) in case.prompts.iter().enumerate() {
            if let Some(want) = &prompt.label
                && labels.get(i) != Some(want)
            {
                failures.push(format!(
                    "question {} was asked with the label {:?}, expected {want:?}",
                    i + 1,
                    labels.get(i)
                ));
            }
        }

        let mut secrets = case.secrets();
        secrets.extend(served.mock.lock_oidc().id_token.clone());
        let expect = &case.expect;
        match result {
            None => {}
            Some(Ok(outcome)) => match (&outcome, expect) {
                (
                    Outcome::Saml(got),
                    Expect {
                        saml: Some(want), ..
                    },
                ) => {
                    if got != want {
                        failures.push("the SAML response is not the one on the page".into());
                    }
                }
                (
                    Outcome::SignedIn,
                    Expect {
                        signed_in: true, ..
                    },
                ) => {}
                (Outcome::IdToken(got), Expect { id_token: true, .. }) => {
                    if served.mock.lock_oidc().id_token.as_ref() != Some(got) {
                        failures.push("the ID token is not the one the mock issued".into());
                    }
                }
                (outcome, expect) => failures.push(format!(
                    "expected {}, got {}",
                    describe_expect(expect),
                    outcome.describe()
                )),
            },
            Some(Err(e)) => {
                let message = e.to_string();
                match &expect.error {
                    Some(kind) if e.kind().as_str() == kind => {}
                    _ => failures.push(format!(
                        "expected {}, got an error of kind {}: {}",
                        describe_expect(expect),
                        e.kind(),
                        redacted(&message, &secrets)
                    )),
                }
                for text in &expect.contains {
                    if !message.contains(text.as_str()) {
                        failures.push(format!(
                            "the error {:?} does not contain {text:?}",
                            redacted(&message, &secrets)
                        ));
                    }
                }
                if secrets.iter().any(|s| message.contains(s.as_str())) {
                    failures.push(format!(
                        "the error shows a secret: {}",
                        redacted(&message, &secrets)
                    ));
                }
            }
        }
        if let Some(count) = expect.notice_count
            && prompter.notices().len() != count
        {
            failures.push(format!(
                "{} notices were shown, expected {count}",
                prompter.notices().len()
            ));
        }
        for r in served.server().requests() {
            if secrets
                .iter()
                .any(|s| in_url(s, r.target(), r.path(), &r.query_params()))
            {
                failures.push(format!(
                    "{} {} carries a secret in its URL",
                    r.method(),
                    redacted(r.path(), &secrets)
                ));
            }
        }
        let notices = prompter.notices().join("\n");
        for text in &expect.notices {
            if !notices.contains(text.as_str()) {
                failures.push(format!("the notices {notices:?} do not contain {text:?}"));
            }
        }
        let shown = format!("{notices}\n{labels:?}\n{debug}");
        if secrets.iter().any(|s| shown.contains(s.as_str())) {
            failures.push("a notice, a prompt label or the adapter's Debug shows a secret".into());
        }
        check_jar_file(&jar, &mut failures);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures)
        }
    }

    /// Fails unless `listed` names every case directory, and only those.
    ///
    /// # Panics
    /// As above.
    pub fn assert_listed(&self, listed: &[&str]) {
        let mut listed: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
        listed.sort_unstable();
        let mut found: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", self.dir.display()))
            .filter_map(Result::ok)
            .filter(|e| e.path().join("case.json").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        found.sort_unstable();
        assert_eq!(
            found,
            listed,
            "the case directories of {} and the tests listed differ",
            self.dir.display()
        );
    }
}

/// One test per case directory, and one that every case directory has its test.
///
/// ```text
/// aws_runas_idp_testkit::replay_cases! {
///     replay();
///     forms_login_from_the_bare_host => "forms-login",
///     bad_password_is_tried_once => "bad-password",
/// }
/// ```
#[macro_export]
macro_rules! replay_cases {
    ($replay:expr; $($test:ident => $dir:literal,)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                $replay.check($dir).await;
            }
        )*

        #[test]
        fn every_case_directory_has_a_test() {
            $replay.assert_listed(&[$($dir),*]);
        }
    };
}

/// What a replayed login returned.
#[derive(Debug)]
enum Outcome {
    Saml(String),
    SignedIn,
    IdToken(String),
}

impl Outcome {
    fn describe(&self) -> &'static str {
        match self {
            Outcome::Saml(_) => "a SAML response",
            Outcome::SignedIn => "a sign-in",
            Outcome::IdToken(_) => "an ID token",
        }
    }
}

fn describe_expect(e: &Expect) -> String {
    match (&e.saml, e.signed_in, e.id_token, &e.error) {
        (Some(_), ..) => "the SAML response of the case".into(),
        (_, true, ..) => "a sign-in".into(),
        (_, _, true, _) => "an ID token".into(),
        (.., Some(kind)) => format!("an error of kind {kind}"),
        _ => "nothing".into(),
    }
}

/// Whether `secret` travels in a request's URL (its `target`, `path` and decoded `query`):
/// anywhere in it, or, for an all-digit code (which an id in the URL may contain by chance), as a
/// whole query value or path segment.
fn in_url(secret: &str, target: &str, path: &str, query: &[(String, String)]) -> bool {
    if secret.bytes().all(|b| b.is_ascii_digit()) {
        query.iter().any(|(_, v)| v == secret) || path.split('/').any(|s| s == secret)
    } else {
        target.contains(secret) || query.iter().any(|(_, v)| v.contains(secret))
    }
}

/// `text` with every secret blanked out, for a failure message.
fn redacted(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "<secret>"))
}

/// A case served on a mock server.
#[derive(Debug)]
pub struct Served {
    server: MockServer,
    start: String,
    mock: Arc<Mock>,
    case: Case,
}

impl Served {
    /// The URL the login starts at (the mock's, with the case's `start`).
    pub fn url(&self) -> &str {
        &self.start
    }

    /// The mock server.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// A setting of the case (`username`, `mfa_type`, ...).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.case.settings.get(key).map(String::as_str)
    }

    /// The user name: the `username` setting, or the first line the prompter answers.
    pub fn username(&self) -> Option<&str> {
        self.setting(IdpSettings::USERNAME)
            .or_else(|| self.case.prompts.iter().find_map(|p| p.line.as_deref()))
    }

    /// The password: given up front, or the first secret the prompter answers.
    pub fn password(&self) -> Option<&str> {
        self.case
            .up_front
            .get("password")
            .map(String::as_str)
            .or_else(|| self.case.prompts.iter().find_map(|p| p.secret.as_deref()))
    }

    /// A prompter with the case's script.
    pub fn prompter(&self) -> ScriptedPrompter {
        self.case.prompter()
    }

    /// What went wrong so far: requests that are not the next exchange or lack what it wants,
    /// exchanges never made, handlers that panicked.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.mock.lock_problems().clone();
        let left: Vec<String> = self
            .mock
            .lock_queue()
            .iter()
            .filter(|p| !(p.exchange.repeat && p.used))
            .map(|p| p.exchange.request.clone())
            .collect();
        if !left.is_empty() {
            out.push(format!("exchanges never made: {left:?}"));
        }
        out.extend(
            self.server
                .handler_panics()
                .into_iter()
                .map(|p| format!("the mock panicked: {p}")),
        );
        out
    }

    /// Fails when [`Served::problems`] has any.
    ///
    /// # Panics
    /// As above.
    pub fn assert_finished(&self) {
        let problems = self.problems();
        assert!(problems.is_empty(), "replay:\n  {}", problems.join("\n  "));
    }
}

/// An exchange being replayed.
#[derive(Debug)]
struct Pending {
    exchange: Exchange,
    /// Whether a repeated exchange has answered at least once.
    used: bool,
}

/// What the mock remembers of an OIDC login: the last `state` and `nonce` sent, and the ID token
/// it issued.
#[derive(Debug, Default)]
struct OidcState {
    state: Option<String>,
    nonce: Option<String>,
    id_token: Option<String>,
}

/// The stateful mock behind a served case.
#[derive(Debug)]
struct Mock {
    dir: PathBuf,
    /// Fixture hosts and what they become (the mock's base URL and a path).
    hosts: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// The fixture's SAML response and the one to answer instead.
    swap: Option<(Option<String>, String)>,
    issuer: String,
    audience: Option<String>,
    now: Timestamp,
    queue: Mutex<VecDeque<Pending>>,
    problems: Mutex<Vec<String>>,
    oidc: Mutex<OidcState>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Mock {
    fn lock_queue(&self) -> MutexGuard<'_, VecDeque<Pending>> {
        lock(&self.queue)
    }

    fn lock_problems(&self) -> MutexGuard<'_, Vec<String>> {
        lock(&self.problems)
    }

    fn lock_oidc(&self) -> MutexGuard<'_, OidcState> {
        lock(&self.oidc)
    }

    fn problem(&self, p: String) {
        self.lock_problems().push(p);
    }

    /// `text` with the fixture hosts pointing at the mock (and the SAML response swapped).
    fn rebase(&self, text: &str) -> String {
        let mut text = self
            .hosts
            .iter()
            .fold(text.to_string(), |t, (host, to)| t.replace(host, to));
        if let Some((fake, real)) = &self.swap {
            if let Some(fake) = fake {
                text = text.replace(fake.as_str(), real);
            }
            text = swap_saml(&text, real);
        }
        text
    }

    fn file(&self, file: &str) -> Option<String> {
        let path = self.dir.join(file);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(self.rebase(&text)),
            Err(e) => {
                self.problem(format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }

    /// Answers `r` with the next exchange, after checking it.
    fn answer(&self, r: &MockRequest) -> MockResponse {
        if let Some(state) = r.query_param("state") {
            let mut o = self.lock_oidc();
            o.state = Some(state);
            o.nonce = r.query_param("nonce");
        }
        let got = format!("{} {}", r.method(), r.path());
        let next = {
            let mut queue = self.lock_queue();
            if queue
                .front()
                .is_some_and(|p| p.exchange.repeat && p.used && p.exchange.request != got)
            {
                queue.pop_front();
            }
            match queue.front_mut() {
                Some(p) if p.exchange.repeat => {
                    p.used = true;
                    Some(p.exchange.clone())
                }
                _ => queue.pop_front().map(|p| p.exchange),
            }
        };
        let Some(ex) = next else {
            self.problem(format!("unexpected request {got} after the last exchange"));
            return MockResponse::new(500);
        };
        if got != ex.request {
            self.problem(format!("expected {}, got {got}", ex.request));
            return MockResponse::new(500);
        }
        self.check_request(&got, &ex, r);
        self.respond(&got, &ex)
    }

    fn check_request(&self, got: &str, ex: &Exchange, r: &MockRequest) {
        for (param, want) in &ex.query {
            match r.query_param(param) {
                Some(v) if &v == want => {}
                Some(v) => self.problem(format!(
                    "{got}: the query parameter {param} is {v:?}, expected {want:?}"
                )),
                None => self.problem(format!("{got}: the query parameter {param} is missing")),
            }
        }
        for param in &ex.query_absent {
            if r.query_param(param).is_some() {
                self.problem(format!(
                    "{got}: the query parameter {param} must not be sent"
                ));
            }
        }
        for (field, want) in &ex.form {
            let sent: Vec<String> = r
                .form()
                .into_iter()
                .filter(|(name, _)| name == field)
                .map(|(_, value)| value)
                .collect();
            let right = match want {
                FieldValue::One(value) => sent.first() == Some(value),
                FieldValue::All(values) => &sent == values,
            };
            if !right {
                // Form values may be secrets: never quoted.
                let what = if sent.is_empty() {
                    "is missing"
                } else {
                    "has the wrong value"
                };
                self.problem(format!("{got}: the field {field} {what}"));
            }
        }
        for field in &ex.absent {
            if r.form_value(field).is_some() {
                self.problem(format!("{got}: the field {field} must not be sent"));
            }
        }
        if !ex.json.is_empty() || !ex.json_absent.is_empty() {
            match serde_json::from_str::<Value>(r.body()) {
                Ok(body) => {
                    for (path, want) in &ex.json {
                        match json_at(&body, path) {
                            Some(v) if json_matches(v, want) => {}
                            Some(_) => {
                                self.problem(format!("{got}: the JSON value {path} is not {want}"))
                            }
                            None => {
                                self.problem(format!("{got}: the JSON value {path} is missing"))
                            }
                        }
                    }
                    for path in &ex.json_absent {
                        if json_at(&body, path).is_some() {
                            self.problem(format!("{got}: the JSON value {path} must not be sent"));
                        }
                    }
                }
                Err(e) => self.problem(format!("{got}: the body is not JSON: {e}")),
            }
            let media = r
                .header("content-type")
                .and_then(|t| t.split(';').next())
                .map(str::trim);
            if !media.is_some_and(|m| m == "application/json" || m.ends_with("+json")) {
                self.problem(format!("{got}: the body is not sent as JSON ({media:?})"));
            }
        }
        for (header, want) in &ex.request_headers {
            if r.header(header) != Some(want.as_str()) {
                self.problem(format!(
                    "{got}: the header {header} is {:?}, expected {want:?}",
                    r.header(header)
                ));
            }
        }
        for cookie in &ex.cookies {
            if r.cookie(cookie).is_none() {
                self.problem(format!("{got}: the cookie {cookie} is missing"));
            }
        }
    }

    fn respond(&self, got: &str, ex: &Exchange) -> MockResponse {
        let content_type = ex
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone());
        let typed = |default: &str, body: String| {
            MockResponse::new(200)
                .header(
                    "Content-Type",
                    content_type.clone().unwrap_or_else(|| default.to_string()),
                )
                .body(body)
        };
        let response = if let Some(page) = &ex.page {
            match self.file(page) {
                Some(text) => typed("text/html; charset=utf-8", text),
                None => return MockResponse::new(500),
            }
        } else if let Some(file) = &ex.body {
            match self.file(file) {
                Some(text) => typed("application/json", text),
                None => return MockResponse::new(500),
            }
        } else if let Some(json) = &ex.reply_json {
            typed("application/json", self.rebase(&json.to_string()))
        } else if let Some(location) = &ex.location {
            let state = self.lock_oidc().state.clone().unwrap_or_default();
            MockResponse::redirect(self.rebase(location).replace("{state}", &state))
        } else if ex.token {
            let mut o = self.lock_oidc();
            let token = self.mint(o.nonce.as_deref());
            o.id_token = Some(token.clone());
            typed(
                "application/json",
                serde_json::json!({
                    "access_token": "fake-access-0001",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": token,
                })
                .to_string(),
            )
        } else {
            self.problem(format!("{got}: the exchange says no answer"));
            return MockResponse::new(500);
        };
        let mut response = match ex.status {
            Some(status) => response.with_status(status),
            None => response,
        };
        for cookie in &ex.set_cookies {
            response = response.set_cookie(cookie.clone());
        }
        for (name, value) in ex
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-type"))
            .chain(self.headers.iter().map(|(n, v)| (n, v)))
        {
            response = response.header(name.clone(), value.clone());
        }
        response
    }

    /// An ID token as a token endpoint answers it, unsigned (the cases publish no JWKS).
    fn mint(&self, nonce: Option<&str>) -> String {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"fake-kid-0001"}"#);
        let now = self.now.unix();
        let mut claims = serde_json::json!({
            "iss": self.issuer,
            "aud": self.audience.clone().unwrap_or_default(),
            "sub": "6c1d9a9e-fake-user-0001",
            "preferred_username": "jane.doe",
            "iat": now,
            "exp": now + 300,
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.ZmFrZS1zaWduYXR1cmU")
    }
}

/// The value at a dotted path of a JSON body.
fn json_at<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    body.get(path)
        .or_else(|| path.split('.').try_fold(body, |v, k| v.get(k)))
}

/// Whether `got` is `want`, a string `want` also matching a scalar written that way.
fn json_matches(got: &Value, want: &Value) -> bool {
    got == want
        || match (got, want) {
            (Value::String(_), _) => false,
            (got, Value::String(w)) => serde_json::from_str::<Value>(w).is_ok_and(|w| w == *got),
            _ => false,
        }
}

/// Puts `saml` in the value of every `SAMLResponse` input of `page` (pages may entity-encode
/// their fake one, so a plain replacement is not enough).
fn swap_saml(page: &str, saml: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    while let Some(at) = rest.find("name=\"SAMLResponse\"") {
        let open = rest[..at].rfind('<').unwrap_or(0);
        let close = at + rest[at..].find('>').unwrap_or(rest.len() - at);
        let tag = &rest[open..close];
        let tag = match tag.find("value=\"") {
            Some(v) => {
                let start = v + "value=\"".len();
                let end = start + tag[start..].find('"').unwrap_or(0);
                format!("{}{saml}{}", &tag[..start], &tag[end..])
            }
            None => tag.to_string(),
        };
        out.push_str(&rest[..open]);
        out.push_str(&tag);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_found_at_dotted_paths_and_compared_loosely() {
        let body: Value =
            serde_json::from_str(r#"{"a":{"b":"x","n":2},"c.d":true,"t":true}"#).unwrap();
        assert_eq!(json_at(&body, "a.b"), Some(&Value::from("x")));
        assert_eq!(json_at(&body, "c.d"), Some(&Value::from(true)));
        assert_eq!(json_at(&body, "a.z"), None);
        assert!(json_matches(&Value::from(2), &Value::from("2")));
        assert!(json_matches(&Value::from(2), &Value::from(2)));
        assert!(!json_matches(&Value::from("2"), &Value::from(2)));
        assert!(!json_matches(&Value::from(true), &Value::from("false")));
    }

    #[test]
    fn saml_inputs_get_the_new_response() {
        let page = r#"<form><input type="hidden" name="SAMLResponse" value="ZmFrZQ&#x3d;&#x3d;" /><input name="RelayState" value="x"/></form>"#;
        let swapped = swap_saml(page, "UkVBTA==");
        assert!(
            swapped.contains(r#"name="SAMLResponse" value="UkVBTA==""#),
            "{swapped}"
        );
        assert!(
            swapped.contains(r#"name="RelayState" value="x""#),
            "{swapped}"
        );
    }

    #[test]
    fn a_case_says_how_it_ends_exactly_once() {
        let case: Case = serde_json::from_str(
            r#"{"about":"x","start":"/","exchanges":[{"request":"GET /","page":"a.html","location":"/b"}],
                "expect":{"saml":"x","error":"authentication"}}"#,
        )
        .unwrap();
        let problems = case.problems().join("; ");
        assert!(problems.contains("exactly one of saml"), "{problems}");
        assert!(
            problems.contains("\"authentication\" is no error kind"),
            "{problems}"
        );
        assert!(
            problems.contains("GET /: an exchange answers one of"),
            "{problems}"
        );
    }

    #[test]
    fn codes_are_in_a_url_as_whole_values_and_passwords_anywhere() {
        let pair = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let ids = pair("execution", "fake00000001");
        assert!(!in_url(
            "000000",
            "/login?execution=fake00000001",
            "/login",
            &ids
        ));
        let otp = pair("otp", "000000");
        assert!(in_url("000000", "/login?otp=000000", "/login", &otp));
        assert!(in_url(
            "000000",
            "/verify/000000/x",
            "/verify/000000/x",
            &[]
        ));
        let encoded = pair("q", "jane:fake pw");
        assert!(in_url(
            "fake pw",
            "/login?q=jane%3Afake%20pw",
            "/login",
            &encoded
        ));
        assert!(in_url("fake-pw", "/login/fake-pw", "/login/fake-pw", &[]));
        assert!(!in_url(
            "fake-pw",
            "/login?q=jane",
            "/login",
            &pair("q", "jane")
        ));
    }

    #[test]
    fn secrets_are_passwords_codes_and_what_is_given_up_front() {
        let case: Case = serde_json::from_str(
            r#"{"about":"x","start":"/","exchanges":[],"expect":{"signed_in":true},
                "up_front":{"mfa_code":"975310"},
                "prompts":[{"line":"jane.doe"},{"secret":"fake-password-0001"},{"line":"2"},{"line":"123456"}]}"#,
        )
        .unwrap();
        assert_eq!(case.secrets(), ["fake-password-0001", "123456", "975310"]);
    }
}

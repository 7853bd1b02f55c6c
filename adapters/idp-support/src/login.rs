//! What every login asks the user and shows the user: the second-factor choice
//! ([`MfaChoice`]), the user name, password and one-time codes, each asked at most as often as
//! needed ([`LoginAnswers`]), and the IdP's own words in error messages, without a secret
//! ([`quote`]).

use crate::settings::LoginSettings;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::IdpError;
use aws_runas_domain::ports::prompter::Prompter;
use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The longest IdP message [`quote`] shows, in characters.
pub const MAX_QUOTE: usize = 300;

/// Which second factor a login uses when the IdP offers several (`mfa_type`).
///
/// What each choice means in detail is the adapter's to say (its README); the words are shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MfaChoice {
    /// Whatever the IdP offers, the adapter's preferred factor first.
    Auto,
    /// No second factor is expected; what an adapter does when the IdP asks for one anyway is
    /// the adapter's choice.
    None,
    /// One-time codes only.
    Code,
    /// Push approvals only.
    Push,
}

impl MfaChoice {
    /// Every choice, in the order messages list them.
    pub const ALL: [MfaChoice; 4] = [
        MfaChoice::Auto,
        MfaChoice::None,
        MfaChoice::Code,
        MfaChoice::Push,
    ];

    /// The configured word: `auto`, `none`, `code` or `push`.
    pub fn as_str(self) -> &'static str {
        match self {
            MfaChoice::Auto => "auto",
            MfaChoice::None => "none",
            MfaChoice::Code => "code",
            MfaChoice::Push => "push",
        }
    }

    /// The choice `text` names, ignoring case and surrounding spaces.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        MfaChoice::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for MfaChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MfaChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        MfaChoice::parse(&text).ok_or_else(|| {
            D::Error::invalid_value(Unexpected::Str(&text), &"one of auto, none, code, push")
        })
    }
}

/// `: "<message>"` for an error message that quotes the IdP, or an empty string when `message`
/// is empty or contains one of `secrets` (an IdP that echoes what it was sent must not put a
/// password or code on the screen).
///
/// The message is trimmed, cut at [`MAX_QUOTE`] characters (then ending in `…`) and quoted as a
/// Rust string, so control characters are escaped.
///
/// # Examples
///
/// ```
/// use aws_runas_domain::Secret;
/// use aws_runas_idp_support::quote;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(
///     format!("the login was refused{}", quote(" Invalid credentials. ", [&password])),
///     "the login was refused: \"Invalid credentials.\""
/// );
/// assert_eq!(quote("no user jane with password hunter2", [&password]), "");
/// assert_eq!(quote("", [&password]), "");
/// ```
pub fn quote<'a>(message: &str, secrets: impl IntoIterator<Item = &'a Secret>) -> String {
    let message = message.trim();
    if message.is_empty()
        || secrets
            .into_iter()
            .any(|s| !s.is_empty() && message.contains(s.expose()))
    {
        return String::new();
    }
    let mut shown: String = message.chars().take(MAX_QUOTE).collect();
    if message.chars().count() > MAX_QUOTE {
        shown.push('…');
    }
    format!(": {shown:?}")
}

/// The answers of one login: the user name, the password and one-time codes, each from the
/// settings or given up front when it was, else asked through the prompter, at most once (codes:
/// once per question).
///
/// It works through `&self`, so that an adapter keeps it in its login struct; everything asked
/// is remembered for the life of the value (one login).
/// `Debug` shows whether secrets were given, never a secret.
///
/// # Examples
///
/// ```
/// # use aws_runas_domain::Secret;
/// # use aws_runas_domain::ports::prompter::{PromptError, Prompter};
/// # use std::sync::Arc;
/// # #[derive(Debug)]
/// # struct Terminal;
/// # impl Prompter for Terminal {
/// #     fn read_line(&self, _: &str) -> Result<String, PromptError> { Ok("271828".into()) }
/// #     fn read_secret(&self, _: &str) -> Result<Secret, PromptError> { Err(PromptError::NoTerminal) }
/// #     fn notice(&self, _: &str) {}
/// # }
/// use aws_runas_idp_support::LoginAnswers;
///
/// let answers = LoginAnswers::new(
///     Arc::new(Terminal),
///     Some("jane"),
///     Some(Secret::new("hunter2")),
///     Some(Secret::new("314159")),
/// );
/// assert_eq!(answers.username().unwrap(), "jane");
/// assert_eq!(answers.password().unwrap().expose(), "hunter2");
/// assert_eq!(answers.code("MFA code: ").unwrap().expose(), "314159"); // given up front
/// assert_eq!(answers.code("MFA code: ").unwrap().expose(), "271828"); // asked
/// assert_eq!(answers.quote("wrong code 271828"), "");
/// ```
pub struct LoginAnswers {
    prompter: Arc<dyn Prompter>,
    configured_username: Option<String>,
    password_given: Option<Secret>,
    code_given: Option<Secret>,
    asked: Mutex<Asked>,
}

/// What has been asked so far.
#[derive(Default)]
struct Asked {
    username: Option<String>,
    password: Option<Secret>,
    codes: Vec<Secret>,
    code_given_used: bool,
}

impl LoginAnswers {
    /// Answers from `username` (configured; trimmed, empty counts as not set), the `password`
    /// and `mfa_code` given up front, and `prompter` for the rest.
    pub fn new(
        prompter: Arc<dyn Prompter>,
        username: Option<&str>,
        password: Option<Secret>,
        mfa_code: Option<Secret>,
    ) -> Self {
        LoginAnswers {
            prompter,
            configured_username: username
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            password_given: password,
            code_given: mfa_code,
            asked: Mutex::new(Asked::default()),
        }
    }

    /// Answers for `login`: its user name and the secrets given up front.
    pub fn for_login(prompter: Arc<dyn Prompter>, login: &LoginSettings) -> Self {
        LoginAnswers::new(
            prompter,
            login.username(),
            login.password().cloned(),
            login.mfa_code().cloned(),
        )
    }

    /// The prompter, for notices.
    pub fn prompter(&self) -> &Arc<dyn Prompter> {
        &self.prompter
    }

    /// The user name: configured, else asked once (`Username: `), trimmed.
    ///
    /// # Errors
    /// A prompt error ([`IdpError::from`] a [`PromptError`](aws_runas_domain::ports::prompter::PromptError))
    /// when the question gets no answer.
    pub fn username(&self) -> Result<String, IdpError> {
        if let Some(u) = &self.configured_username {
            return Ok(u.clone());
        }
        if let Some(u) = &self.asked().username {
            return Ok(u.clone());
        }
        let username = self.prompter.read_line("Username: ")?.trim().to_string();
        self.asked().username = Some(username.clone());
        Ok(username)
    }

    /// The user name for messages: configured or asked so far, else `the user`.
    pub fn who(&self) -> String {
        self.configured_username
            .clone()
            .or_else(|| self.asked().username.clone())
            .unwrap_or_else(|| "the user".to_string())
    }

    /// The password: given up front, else asked once (`Password: `, without echo).
    ///
    /// # Errors
    /// As [`LoginAnswers::username`].
    pub fn password(&self) -> Result<Secret, IdpError> {
        if let Some(p) = &self.password_given {
            return Ok(p.clone());
        }
        if let Some(p) = &self.asked().password {
            return Ok(p.clone());
        }
        let password = self.prompter.read_secret("Password: ")?;
        self.asked().password = Some(password.clone());
        Ok(password)
    }

    /// A one-time code: the code given up front answers the first question; every later one
    /// (a code that was refused, a second factor) is asked with `label` (`MFA code: `), trimmed.
    ///
    /// # Errors
    /// As [`LoginAnswers::username`].
    pub fn code(&self, label: &str) -> Result<Secret, IdpError> {
        {
            let mut asked = self.asked();
            if !asked.code_given_used {
                asked.code_given_used = true;
                if let Some(code) = &self.code_given {
                    return Ok(code.clone());
                }
            }
        }
        let code = Secret::new(self.prompter.read_line(label)?.trim());
        self.asked().codes.push(code.clone());
        Ok(code)
    }

    /// Whether a code was given up front and has not answered a question yet (adapters then
    /// prefer a code factor over a push).
    pub fn has_code_up_front(&self) -> bool {
        self.code_given.is_some() && !self.asked().code_given_used
    }

    /// [`quote`] with every secret of this login: the password and codes given up front or
    /// asked so far.
    pub fn quote(&self, message: &str) -> String {
        let asked = self.asked();
        let secrets = self
            .password_given
            .iter()
            .chain(&self.code_given)
            .chain(&asked.password)
            .chain(&asked.codes);
        quote(message, secrets)
    }

    fn asked(&self) -> MutexGuard<'_, Asked> {
        // A panic elsewhere while the lock was held leaves the answers as they were: still valid.
        self.asked.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for LoginAnswers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginAnswers")
            .field("username_configured", &self.configured_username.is_some())
            .field("password_given", &self.password_given.is_some())
            .field("mfa_code_given", &self.code_given.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::{IdpErrorKind, IdpSettings};
    use aws_runas_domain::ports::prompter::PromptError;
    use aws_runas_idp_testkit::{PromptKind, ScriptedPrompter};

    fn answers(
        prompter: &Arc<ScriptedPrompter>,
        username: Option<&str>,
        password: Option<&str>,
        code: Option<&str>,
    ) -> LoginAnswers {
        LoginAnswers::new(
            prompter.clone(),
            username,
            password.map(Secret::new),
            code.map(Secret::new),
        )
    }

    #[test]
    fn mfa_choices_read_in_any_case_and_say_their_word() {
        for (text, want) in [
            ("auto", MfaChoice::Auto),
            (" NONE ", MfaChoice::None),
            ("Code", MfaChoice::Code),
            ("pUsH", MfaChoice::Push),
        ] {
            assert_eq!(MfaChoice::parse(text), Some(want), "{text}");
            assert_eq!(MfaChoice::parse(want.as_str()), Some(want));
            assert_eq!(want.to_string(), want.as_str());
        }
        assert_eq!(MfaChoice::parse("sms"), None);
        assert_eq!(MfaChoice::parse(""), None);
    }

    #[test]
    fn a_bad_mfa_choice_lists_the_choices() {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            "sms".into_deserializer();
        let e = MfaChoice::deserialize(de).unwrap_err().to_string();
        assert!(e.contains("\"sms\""), "{e}");
        assert!(e.contains("one of auto, none, code, push"), "{e}");
    }

    #[test]
    fn the_user_name_is_configured_or_asked_once() {
        let prompter = Arc::new(ScriptedPrompter::new());
        let configured = answers(&prompter, Some(" jane "), None, None);
        assert_eq!(configured.who(), "jane");
        assert_eq!(configured.username().unwrap(), "jane");
        assert!(prompter.questions().is_empty());

        let prompter = Arc::new(ScriptedPrompter::new().line("  bob  "));
        let asked = answers(&prompter, Some(""), None, None);
        assert_eq!(asked.who(), "the user");
        assert_eq!(asked.username().unwrap(), "bob");
        assert_eq!(asked.username().unwrap(), "bob");
        assert_eq!(asked.who(), "bob");
        assert_eq!(prompter.labels(), vec!["Username: "]);
        assert_eq!(prompter.problems(), None);
    }

    #[test]
    fn the_password_is_given_or_asked_once() {
        let prompter = Arc::new(ScriptedPrompter::new());
        let given = answers(&prompter, None, Some("hunter2"), None);
        assert_eq!(given.password().unwrap().expose(), "hunter2");
        assert!(prompter.questions().is_empty());

        let prompter = Arc::new(ScriptedPrompter::new().secret("s3cret-pw"));
        let asked = answers(&prompter, None, None, None);
        assert_eq!(asked.password().unwrap().expose(), "s3cret-pw");
        assert_eq!(asked.password().unwrap().expose(), "s3cret-pw");
        assert_eq!(prompter.labels(), vec!["Password: "]);
        assert_eq!(prompter.problems(), None);
    }

    #[test]
    fn the_code_given_up_front_answers_the_first_question_only() {
        let prompter = Arc::new(ScriptedPrompter::new().line(" 222222 ").line("333333"));
        let a = answers(&prompter, None, None, Some("111111"));
        assert!(a.has_code_up_front());
        assert_eq!(a.code("MFA code: ").unwrap().expose(), "111111");
        assert!(!a.has_code_up_front());
        assert_eq!(a.code("MFA code: ").unwrap().expose(), "222222");
        assert_eq!(a.code("Okta Verify code: ").unwrap().expose(), "333333");
        assert_eq!(prompter.labels(), vec!["MFA code: ", "Okta Verify code: "]);
        assert_eq!(prompter.problems(), None);

        let prompter = Arc::new(ScriptedPrompter::new().line("444444"));
        let none = answers(&prompter, None, None, None);
        assert!(!none.has_code_up_front());
        assert_eq!(none.code("Code: ").unwrap().expose(), "444444");
        assert_eq!(prompter.labels(), vec!["Code: "]);
    }

    #[test]
    fn an_unanswered_question_is_a_prompt_error_and_is_asked_again_next_time() {
        let prompter = Arc::new(
            ScriptedPrompter::new()
                .fail(PromptKind::Line, PromptError::NoTerminal)
                .line("bob"),
        );
        let a = answers(&prompter, None, None, None);
        let e = a.username().unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Prompt);
        assert_eq!(e.prompt_error(), Some(&PromptError::NoTerminal));
        assert_eq!(a.username().unwrap(), "bob");
    }

    #[test]
    fn answers_are_made_from_login_settings() {
        let settings = IdpSettings::from_pairs([
            (IdpSettings::URL, "https://sso.example.test/"),
            (IdpSettings::USERNAME, "jane"),
        ])
        .with_secrets(Some(Secret::new("hunter2")), Some(Secret::new("123456")));
        let spec = crate::settings::SettingsSpec::new("corpsso", "saml_auth_url");
        let read =
            crate::settings::read_settings::<crate::settings::NoOwnSettings>(&settings, &spec)
                .unwrap();
        let prompter = Arc::new(ScriptedPrompter::new());
        let a = LoginAnswers::for_login(prompter.clone(), read.login());
        assert_eq!(a.username().unwrap(), "jane");
        assert_eq!(a.password().unwrap().expose(), "hunter2");
        assert_eq!(a.code("MFA code: ").unwrap().expose(), "123456");
        assert!(prompter.questions().is_empty());
    }

    #[test]
    fn quotes_are_bounded_and_escaped() {
        assert_eq!(
            quote("  Invalid credentials  ", []),
            ": \"Invalid credentials\""
        );
        assert_eq!(quote(" \n ", []), "");
        assert_eq!(
            quote("two\nlines\u{1b}[31m", []),
            ": \"two\\nlines\\u{1b}[31m\""
        );
        let long = "é".repeat(MAX_QUOTE + 5);
        let q = quote(&long, []);
        assert_eq!(q.chars().filter(|c| *c == 'é').count(), MAX_QUOTE);
        assert!(q.ends_with("…\""), "{q}");
        let exact = "x".repeat(MAX_QUOTE);
        assert!(!quote(&exact, []).contains('…'));
        // An empty secret is no reason to hide a message.
        assert_eq!(quote("fine", [&Secret::new("")]), ": \"fine\"");
    }

    #[test]
    fn quotes_leave_out_every_secret_of_the_login() {
        let prompter = Arc::new(ScriptedPrompter::new().secret("asked-pw").line("654321"));
        let a = answers(&prompter, None, None, Some("123456"));
        assert_eq!(a.quote("Wrong password"), ": \"Wrong password\"");
        assert_eq!(
            a.quote("code 123456 is wrong"),
            "",
            "the code given up front"
        );
        a.password().unwrap();
        assert_eq!(a.quote("user asked-pw unknown"), "", "the password asked");
        a.code("MFA code: ").unwrap();
        a.code("MFA code: ").unwrap();
        assert_eq!(a.quote("code 654321 expired"), "", "a code asked");
        assert_eq!(a.quote("code expired"), ": \"code expired\"");

        let given = answers(&prompter, None, Some("given-pw"), None);
        assert_eq!(
            given.quote("echo given-pw"),
            "",
            "the password given up front"
        );
    }

    #[test]
    fn debug_shows_whether_secrets_were_given_and_nothing_else() {
        let prompter = Arc::new(ScriptedPrompter::new().line("999999"));
        let a = answers(&prompter, Some("jane"), Some("hunter2"), Some("123456"));
        a.code("MFA code: ").unwrap();
        a.code("MFA code: ").unwrap();
        let shown = format!("{a:?}");
        for hidden in ["hunter2", "123456", "999999"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(shown.contains("password_given: true"), "{shown}");
        assert!(shown.contains("mfa_code_given: true"), "{shown}");
    }
}

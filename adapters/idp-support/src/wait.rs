//! Waiting for the user at another device (a push to approve, an SMS to arrive): the user is told
//! what to do, sees a progress line while the wait goes on, and the wait ends by a bound.

use aws_runas_domain::ports::idp::IdpError;
use aws_runas_domain::ports::prompter::Prompter;
use std::future::Future;
use std::time::Duration;

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll<T> {
    /// Done.
    Ready(T),
    /// Not yet; poll again after the given interval (or the wait's default).
    Pending(Option<Duration>),
}

/// A wait for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// What the user must do, e.g. "approve the sign-in on your phone (tap 42)".
    pub what: String,
    /// The default pause between polls.
    pub interval: Duration,
    /// The longest wait before giving up.
    pub bound: Duration,
}

/// How often a progress line is shown while waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The default bound of a wait, overridden by `mfa_wait_timeout`.
pub const DEFAULT_WAIT_BOUND: Duration = Duration::from_secs(120);

/// Tells the user what to do, then polls until `poll` is ready, the bound runs out, or `poll` fails.
/// A progress line is shown every few seconds. Ctrl-C ends the process as usual (nothing is
/// cached until the whole login succeeds).
///
/// # Errors
/// What `poll` returns; [`IdpError::mfa_timeout`] when the bound runs out, saying what was
/// awaited and how to wait longer.
pub async fn wait_for<T, F, Fut>(
    prompter: &dyn Prompter,
    wait: &Wait,
    mut poll: F,
) -> Result<T, IdpError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, IdpError>>,
{
    prompter.notice(&format!(
        "Waiting for you to {} (up to {}s)…",
        wait.what,
        wait.bound.as_secs()
    ));
    let start = tokio::time::Instant::now();
    let mut last_progress = start;
    loop {
        let pause = match poll().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(next) => next.unwrap_or(wait.interval),
        };
        let waited = start.elapsed();
        if waited >= wait.bound {
            return Err(IdpError::mfa_timeout(format!(
                "gave up after {}s waiting for you to {}; set mfa_wait_timeout (or RUNAS_MFA_WAIT_TIMEOUT) to wait longer",
                wait.bound.as_secs(),
                wait.what
            )));
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            prompter.notice(&format!(
                "… still waiting ({}s of {}s)",
                waited.as_secs(),
                wait.bound.as_secs()
            ));
            last_progress = tokio::time::Instant::now();
        }
        tokio::time::sleep(pause.min(wait.bound.saturating_sub(waited))).await;
    }
}

/// Reads a wait bound from settings text: Go-style durations (`90s`, `2m`) or plain seconds.
pub fn parse_wait_bound(text: Option<&str>) -> Result<Duration, IdpError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(DEFAULT_WAIT_BOUND);
    };
    match aws_runas_domain::duration::parse_go_duration(text) {
        Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs.unsigned_abs())),
        _ => Err(IdpError::configuration(format!(
            "invalid mfa_wait_timeout {text:?}: expected a duration such as 90s or 2m"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Notes(Mutex<Vec<String>>);

    impl Prompter for Notes {
        fn read_line(
            &self,
            _: &str,
        ) -> Result<String, aws_runas_domain::ports::prompter::PromptError> {
            Err(aws_runas_domain::ports::prompter::PromptError::NoTerminal)
        }
        fn read_secret(
            &self,
            _: &str,
        ) -> Result<aws_runas_domain::Secret, aws_runas_domain::ports::prompter::PromptError>
        {
            Err(aws_runas_domain::ports::prompter::PromptError::NoTerminal)
        }
        fn notice(&self, message: &str) {
            self.0.lock().unwrap().push(message.to_string());
        }
    }

    fn wait(bound_ms: u64) -> Wait {
        Wait {
            what: "approve the push on your phone (tap 42)".into(),
            interval: Duration::from_millis(10),
            bound: Duration::from_millis(bound_ms),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn polls_until_ready_and_says_what_to_do() {
        let notes = Notes::default();
        let mut n = 0;
        let got = wait_for(&notes, &wait(10_000), || {
            n += 1;
            let ready = n == 3;
            async move {
                Ok(if ready {
                    Poll::Ready(n)
                } else {
                    Poll::Pending(None)
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(got, 3);
        assert!(notes.0.lock().unwrap()[0].contains("tap 42"));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_bound_with_progress_on_the_way() {
        let notes = Notes::default();
        let e = wait_for(
            &notes,
            &Wait {
                interval: Duration::from_secs(1),
                ..wait(12_000)
            },
            || async { Ok(Poll::<()>::Pending(None)) },
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::MfaTimeout);
        let m = e.to_string();
        assert!(
            m.contains("gave up after 12s") && m.contains("mfa_wait_timeout"),
            "{m}"
        );
        assert!(
            notes
                .0
                .lock()
                .unwrap()
                .iter()
                .any(|n| n.contains("still waiting"))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_poll_ends_the_wait() {
        let e = wait_for(&Notes::default(), &wait(10_000), || async {
            Err::<Poll<()>, _>(IdpError::mfa_rejected("push rejected"))
        })
        .await
        .unwrap_err();
        assert_eq!(e, IdpError::mfa_rejected("push rejected"));
    }

    #[test]
    fn wait_bounds_parse() {
        assert_eq!(parse_wait_bound(None).unwrap(), DEFAULT_WAIT_BOUND);
        assert_eq!(
            parse_wait_bound(Some("90s")).unwrap(),
            Duration::from_secs(90)
        );
        assert_eq!(parse_wait_bound(Some("1")).unwrap(), Duration::from_secs(1));
        assert!(parse_wait_bound(Some("soon")).is_err());
    }
}

//! A `Prompter` that answers from a script, records what it was asked and told, and fails the
//! test when asked something the script does not expect.

use aws_runas_domain::Secret;
use aws_runas_domain::ports::prompter::{PromptError, Prompter};
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Which prompter method a scripted answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// [`Prompter::read_line`] (echoed).
    Line,
    /// [`Prompter::read_secret`] (not echoed).
    Secret,
    /// Either of them (for an MFA code, which adapters may read either way).
    Either,
}

/// One question the prompter was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// [`PromptKind::Line`] or [`PromptKind::Secret`]: the method called.
    pub kind: PromptKind,
    /// The label shown.
    pub label: String,
}

#[derive(Debug)]
struct Scripted {
    kind: PromptKind,
    answer: Result<String, PromptError>,
    optional: bool,
}

#[derive(Debug, Default)]
struct State {
    script: VecDeque<Scripted>,
    asked: Vec<Question>,
    notices: Vec<String>,
    unexpected: Vec<String>,
}

/// A scripted [`Prompter`].
///
/// Answers are handed out in order.
/// A question with no scripted answer left, or of the wrong kind, is recorded as unexpected and
/// panics, so the test fails even where the adapter would have retried; [`Self::assert_finished`]
/// also reports it, for adapters that catch panics.
///
/// ```
/// use aws_runas_domain::ports::prompter::Prompter;
/// use aws_runas_idp_testkit::ScriptedPrompter;
///
/// let p = ScriptedPrompter::new().secret("hunter2").either("123456");
/// assert_eq!(p.read_secret("Password: ").unwrap().expose(), "hunter2");
/// assert_eq!(p.read_line("Code: ").unwrap(), "123456");
/// p.assert_finished();
/// ```
#[derive(Debug, Default)]
pub struct ScriptedPrompter {
    state: Mutex<State>,
}

impl ScriptedPrompter {
    /// A prompter with an empty script.
    pub fn new() -> Self {
        ScriptedPrompter::default()
    }

    fn push(self, kind: PromptKind, answer: Result<String, PromptError>, optional: bool) -> Self {
        self.lock().script.push_back(Scripted {
            kind,
            answer,
            optional,
        });
        self
    }

    /// Expects a [`Prompter::read_line`] and answers `answer`.
    pub fn line(self, answer: impl Into<String>) -> Self {
        self.push(PromptKind::Line, Ok(answer.into()), false)
    }

    /// Expects a [`Prompter::read_secret`] and answers `answer`.
    pub fn secret(self, answer: impl Into<String>) -> Self {
        self.push(PromptKind::Secret, Ok(answer.into()), false)
    }

    /// Expects either method and answers `answer`.
    pub fn either(self, answer: impl Into<String>) -> Self {
        self.push(PromptKind::Either, Ok(answer.into()), false)
    }

    /// Like [`Self::secret`], but the adapter may finish without asking (a failure scenario where
    /// the adapter may fail before or after prompting).
    pub fn optional_secret(self, answer: impl Into<String>) -> Self {
        self.push(PromptKind::Secret, Ok(answer.into()), true)
    }

    /// Expects a question of `kind` and fails it with `error` (for example
    /// [`PromptError::NoTerminal`]).
    pub fn fail(self, kind: PromptKind, error: PromptError) -> Self {
        self.push(kind, Err(error), false)
    }

    /// Every question asked, in order.
    pub fn questions(&self) -> Vec<Question> {
        self.lock().asked.clone()
    }

    /// The labels of every question asked, in order.
    pub fn labels(&self) -> Vec<String> {
        self.lock().asked.iter().map(|q| q.label.clone()).collect()
    }

    /// Every notice shown, in order.
    pub fn notices(&self) -> Vec<String> {
        self.lock().notices.clone()
    }

    /// How many required answers are still unused.
    pub fn remaining(&self) -> usize {
        self.lock().script.iter().filter(|s| !s.optional).count()
    }

    /// Descriptions of the questions nobody expected.
    pub fn unexpected(&self) -> Vec<String> {
        self.lock().unexpected.clone()
    }

    /// A description of what went wrong with the script, or `None`: unexpected questions, or
    /// required answers left unused.
    pub fn problems(&self) -> Option<String> {
        let state = self.lock();
        let mut out = vec![];
        if !state.unexpected.is_empty() {
            out.push(format!("unexpected questions: {:?}", state.unexpected));
        }
        let left: Vec<String> = state
            .script
            .iter()
            .filter(|s| !s.optional)
            .map(|s| format!("{:?}", s.kind))
            .collect();
        if !left.is_empty() {
            out.push(format!("scripted answers never asked for: {left:?}"));
        }
        (!out.is_empty()).then(|| out.join("; "))
    }

    /// Panics when a question was unexpected or a required answer was never asked for.
    ///
    /// # Panics
    /// As above.
    pub fn assert_finished(&self) {
        if let Some(problem) = self.problems() {
            panic!("scripted prompter: {problem}");
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn answer(&self, kind: PromptKind, label: &str) -> Result<String, PromptError> {
        let mut state = self.lock();
        state.asked.push(Question {
            kind,
            label: label.to_string(),
        });
        let fits = state
            .script
            .front()
            .is_some_and(|s| s.kind == kind || s.kind == PromptKind::Either);
        if fits {
            let scripted = state.script.pop_front().expect("checked above");
            return scripted.answer;
        }
        let problem = match state.script.front() {
            Some(next) => format!(
                "{kind:?} {label:?} asked while the script expects {:?}",
                next.kind
            ),
            None => format!("{kind:?} {label:?} asked after the script ran out"),
        };
        state.unexpected.push(problem.clone());
        drop(state);
        panic!("scripted prompter: {problem}");
    }
}

impl Prompter for ScriptedPrompter {
    fn read_line(&self, label: &str) -> Result<String, PromptError> {
        self.answer(PromptKind::Line, label)
    }

    fn read_secret(&self, label: &str) -> Result<Secret, PromptError> {
        self.answer(PromptKind::Secret, label).map(Secret::new)
    }

    fn notice(&self, message: &str) {
        self.lock().notices.push(message.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_order_and_records() {
        let p = ScriptedPrompter::new()
            .line("jane")
            .secret("pw")
            .fail(PromptKind::Either, PromptError::NoTerminal)
            .optional_secret("unused");
        assert_eq!(p.remaining(), 3);
        assert_eq!(p.read_line("Username: ").unwrap(), "jane");
        assert_eq!(p.read_secret("Password: ").unwrap().expose(), "pw");
        p.notice("approve the push");
        assert_eq!(
            p.read_secret("Code: ").unwrap_err(),
            PromptError::NoTerminal
        );
        assert_eq!(p.labels(), vec!["Username: ", "Password: ", "Code: "]);
        assert_eq!(p.notices(), vec!["approve the push"]);
        assert_eq!(p.questions()[1].kind, PromptKind::Secret);
        assert_eq!(p.problems(), None);
        p.assert_finished();
    }

    #[test]
    fn unexpected_questions_fail_the_test() {
        let p = ScriptedPrompter::new().secret("pw");
        let wrong_kind = std::panic::catch_unwind(|| p.read_line("Username: "));
        assert!(wrong_kind.is_err());
        assert_eq!(p.read_secret("Password: ").unwrap().expose(), "pw");
        let past_end = std::panic::catch_unwind(|| p.read_secret("Password: "));
        assert!(past_end.is_err());
        assert_eq!(p.unexpected().len(), 2);
        assert!(p.problems().unwrap().contains("after the script ran out"));
        let unused = ScriptedPrompter::new().either("123456");
        assert!(unused.problems().unwrap().contains("never asked for"));
    }
}

//! Turning the SDK's errors into the ports' errors, with the operation, the endpoint and the cause.
//!
//! The SDK's own `Display` of an error is often just "service error"; what the user needs is
//! AWS's error code and message, or for a transport failure the endpoint and the root cause.
//! The cause chain is written out the way `DisplayErrorContext` does, but without the `Debug`
//! dump it appends: for a response that could not be parsed that dump holds the raw response,
//! which may carry credentials.

use aws_runas_domain::ports::iam::IamError;
use aws_runas_domain::ports::sts::StsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::error::Error;

/// What went wrong, independent of which port reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// AWS answered with an error code.
    Rejected {
        /// AWS's error code.
        code: String,
        /// AWS's message (may be empty).
        message: String,
    },
    /// The endpoint could not be reached, or did not answer in time.
    Network(String),
    /// Anything else: a request that could not be built, an answer that could not be read.
    Unexpected(String),
}

impl Failure {
    /// Sorts an SDK error.
    pub(crate) fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + Error + 'static,
    {
        match err {
            SdkError::ServiceError(ctx) => {
                let service_err = ctx.err();
                match service_err.code() {
                    Some(code) => Failure::Rejected {
                        code: code.to_string(),
                        message: service_err.message().unwrap_or_default().to_string(),
                    },
                    None => unreadable(ctx.raw().status().as_u16()),
                }
            }
            SdkError::ResponseError(ctx) => unreadable(ctx.raw().status().as_u16()),
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                Failure::Network(cause_chain(err))
            }
            _ => Failure::Unexpected(cause_chain(err)),
        }
    }

    /// As an STS error for `operation` sent to `endpoint`.
    pub(crate) fn into_sts(self, operation: &str, endpoint: &str) -> StsError {
        match self {
            Failure::Rejected { code, message } => StsError::Rejected {
                operation: operation.to_string(),
                code,
                message,
            },
            Failure::Network(message) => StsError::Network {
                operation: operation.to_string(),
                endpoint: endpoint.to_string(),
                message,
            },
            Failure::Unexpected(message) => StsError::Unexpected {
                operation: operation.to_string(),
                message,
            },
        }
    }

    /// As an IAM error for `operation` sent to `endpoint`.
    pub(crate) fn into_iam(self, operation: &str, endpoint: &str) -> IamError {
        let message = match self {
            Failure::Rejected { code, message } if message.is_empty() => code,
            Failure::Rejected { code, message } => format!("{code}: {message}"),
            Failure::Network(message) => format!("cannot reach {endpoint}: {message}"),
            Failure::Unexpected(message) => message,
        };
        IamError {
            operation: operation.to_string(),
            message,
        }
    }
}

/// An answer that is neither a result nor an AWS error document.
///
/// The parser's complaint is left out: for a successful status the body holds credentials, and
/// a parse error may quote a piece of it.
fn unreadable(status: u16) -> Failure {
    if (200..300).contains(&status) {
        Failure::Unexpected(format!("unreadable answer with HTTP status {status}"))
    } else {
        Failure::Unexpected(format!(
            "unrecognised error answer with HTTP status {status}"
        ))
    }
}

/// Every message in the error's source chain, joined by `": "`, leaving out a message that the
/// previous one already ends with (hyper and the SDK often repeat their cause's text).
pub(crate) fn cause_chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        let repeated = parts.last().is_some_and(|prev| prev.ends_with(&text));
        if !text.is_empty() && !repeated {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn Error + 'static))
        }
    }

    #[test]
    fn cause_chain_joins_and_skips_repeats() {
        let err = Layer(
            "dispatch failure",
            Some(Box::new(Layer(
                "io error: connection refused",
                Some(Box::new(Layer(
                    "connection refused",
                    Some(Box::new(Layer("", None))),
                ))),
            ))),
        );
        assert_eq!(
            cause_chain(&err),
            "dispatch failure: io error: connection refused"
        );
    }

    #[test]
    fn iam_messages_carry_code_and_endpoint() {
        let rejected = Failure::Rejected {
            code: "AccessDenied".into(),
            message: "no".into(),
        };
        assert_eq!(
            rejected.into_iam("iam:GetPolicy", "https://iam").message,
            "AccessDenied: no"
        );
        let bare = Failure::Rejected {
            code: "Throttling".into(),
            message: String::new(),
        };
        assert_eq!(
            bare.into_iam("iam:GetPolicy", "https://iam").message,
            "Throttling"
        );
        let net = Failure::Network("refused".into())
            .into_iam("iam:ListMFADevices", "https://iam.amazonaws.com");
        assert_eq!(
            net.to_string(),
            "iam:ListMFADevices failed: cannot reach https://iam.amazonaws.com: refused"
        );
    }

    #[test]
    fn sts_errors_keep_the_operation() {
        let err = Failure::Network("timed out".into())
            .into_sts("sts:AssumeRole", "https://sts.us-east-1.amazonaws.com");
        assert_eq!(
            err.to_string(),
            "sts:AssumeRole to https://sts.us-east-1.amazonaws.com failed: timed out"
        );
    }
}

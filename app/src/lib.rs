//! The aws-runas command-line tool: the composition root that wires the adapters to the domain.
//!
//! The binary (`src/main.rs`) only parses arguments and maps errors to exit codes; this library
//! holds the rest so tests can call it in-process.
//!
//! It is also aws-runas as a Rust library: [`CredentialProvider`] gives the credentials of a
//! profile the command line's way (same files, chains, logins, cache and locks) and implements
//! the AWS SDK's `ProvideCredentials`; `docs/library.md` explains it.

pub mod cli;
pub mod completion;
pub mod console;
pub mod diagnose;
pub mod ecr;
pub mod env;
pub mod exec;
pub mod idp;
mod library;
mod logging;
pub mod manpages;
pub mod output;
mod prompt;
pub mod providers;
pub mod serve;
pub mod service;
mod sso;
pub mod update;
pub mod wire;

mod adapters;

pub use aws_runas_domain::ports::prompter::{PromptError, Prompter};
pub use aws_runas_domain::{Credentials, Secret, Timestamp};
pub use library::{
    Builder, CallbackPrompter, CredentialProvider, Error, ErrorKind, Question, sdk_credentials,
};
pub use providers::providers_table;

use clap::Parser;
use std::process::ExitCode;

/// Parses the command line, runs, and prints any error as one line on stderr.
pub fn main_entry() -> ExitCode {
    clap_complete::CompleteEnv::with_factory(completion::completion_command)
        .var(completion::COMPLETE_VAR)
        .complete();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let split = cli::split_args(&args);
    let subcommand = split
        .positionals
        .first()
        .and_then(|w| w.to_str())
        .is_some_and(cli::is_subcommand);
    let (parsed, positionals) = if subcommand {
        (cli::Cli::try_parse_from(&args), vec![])
    } else {
        (cli::Cli::try_parse_from(&split.flags), split.positionals)
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments")
                .trim();
            eprintln!("aws-runas: {}", first.trim_start_matches("error: "));
            return ExitCode::FAILURE;
        }
    };
    logging::init(cli.verbose);
    let penv = env::ProcessEnv::capture();
    match wire::run(&cli, &positionals, &penv) {
        Ok(code) => code,
        Err(e) if e.is::<wire::NothingToDo>() => {
            let mut usage = <cli::Cli as clap::CommandFactory>::command();
            eprintln!("{}", usage.render_usage());
            eprintln!("aws-runas: {e}; see aws-runas --help");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("aws-runas: {}", one_line(&error_text(&e)));
            match e.downcast_ref::<exec::CommandFailed>() {
                Some(failed) => ExitCode::from(failed.code),
                None => ExitCode::FAILURE,
            }
        }
    }
}

/// The error and its causes, each cause added only when the text so far does not already say it
/// (library errors often include their source in their own message).
pub(crate) fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

//! The aws-runas command-line tool: the composition root that wires the adapters to the domain.
//!
//! The binary (`src/main.rs`) only parses arguments and maps errors to exit codes; this library
//! holds the rest so tests can call it in-process.

pub mod cli;
mod logging;
pub mod output;
pub mod providers;
pub mod wire;

mod adapters;

pub use providers::providers_table;

use clap::Parser;
use std::process::ExitCode;

/// Parses `std::env::args`, runs, and prints any error as one line on stderr.
pub fn main_entry() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
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
    let penv = wire::ProcessEnv::capture();
    match wire::run(cli, &penv) {
        Ok(code) => code,
        Err(e) if e.is::<wire::NothingToDo>() => {
            eprintln!("aws-runas: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("aws-runas: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

//! `aws-runas man-pages DIR` (hidden): writes the manual pages generated from the clap
//! definitions, `aws-runas.1` and one `aws-runas-<subcommand>.1` per subcommand, for packages.

use crate::cli::Cli;
use anyhow::{Context as _, Result};
use clap::CommandFactory as _;
use std::path::Path;
use std::process::ExitCode;

/// Writes the pages into `dir` (created when missing).
///
/// # Errors
/// The directory or a page cannot be written; the message names the directory.
pub fn write(dir: &Path) -> Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
    Ok(ExitCode::SUCCESS)
}

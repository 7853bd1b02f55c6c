//! The command line: clap definitions.

use clap::{ArgAction, Parser, Subcommand, ValueEnum};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Shell `export` lines.
    Env,
    /// `credential_process` JSON (Version 1).
    Json,
}

/// Turn a named AWS profile into temporary AWS credentials, printed for your shell or handed to a command.
#[derive(Debug, Parser)]
#[command(
    name = "aws-runas",
    version,
    disable_version_flag = true,
    override_usage = "aws-runas [global options] [subcommand] profile [arguments...]",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// GetSessionToken lifetime, Go syntax such as 12h or 90m [env: SESSION_TOKEN_DURATION]
    #[arg(short = 'd', long = "duration", value_name = "DURATION")]
    pub duration: Option<String>,

    /// Role credential lifetime, Go syntax such as 1h or 8h [env: CREDENTIALS_DURATION]
    #[arg(short = 'a', long = "role-duration", value_name = "DURATION")]
    pub role_duration: Option<String>,

    /// MFA one-time code (otherwise you are asked on the terminal)
    #[arg(
        short = 'o',
        long = "otp",
        env = "MFA_CODE",
        hide_env_values = true,
        value_name = "CODE"
    )]
    pub otp: Option<String>,

    /// MFA device serial number or ARN [env: MFA_SERIAL]
    #[arg(short = 'M', long = "mfa-serial", value_name = "SERIAL")]
    pub mfa_serial: Option<String>,

    /// External id for AssumeRole [env: EXTERNAL_ID]
    #[arg(short = 'X', long = "external-id", value_name = "ID")]
    pub external_id: Option<String>,

    /// Output format
    #[arg(
        short = 'O',
        long = "output",
        env = "RUNAS_OUTPUT_FORMAT",
        value_enum,
        ignore_case = true,
        default_value = "env"
    )]
    pub output: OutputFormat,

    /// Drop cached role credentials before fetching (the MFA session is kept)
    #[arg(short = 'r', long = "refresh")]
    pub refresh: bool,

    /// Print when the credentials expire, on stderr
    #[arg(short = 'e', long = "expiration")]
    pub expiration: bool,

    /// More logging on stderr (-v debug, -vv trace)
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,

    /// Print the version
    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    /// Profile name, or a role ARN to assume with credentials from the environment or [default]
    #[arg(value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Command to run with the credentials in its environment
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,

    /// Subcommand.
    #[command(subcommand)]
    pub subcommand: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the identity-provider adapters linked into this binary
    Providers,
}

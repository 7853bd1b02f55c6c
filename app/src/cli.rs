//! The command line: clap definitions for the global flags and subcommands, and the Go-style
//! split of the arguments into aws-runas's own flags and the rest.
//!
//! Flags stop at the first positional word: `aws-runas -r p aws s3 ls --region x` gives `-r` to
//! aws-runas and `aws s3 ls --region x` to the command. The app then decides whether that first
//! word is the profile (it names a profile or a role ARN) or the start of the command (when the
//! profile comes from `AWS_PROFILE`).

use aws_runas_domain::Secret;
use clap::{ArgAction, CommandFactory, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::fmt;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Shell lines that set the variables.
    Env,
    /// `credential_process` JSON (Version 1).
    Json,
}

/// Shell syntaxes for `-O env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellKind {
    /// POSIX sh, bash, zsh, ksh, dash: `export NAME='value'`.
    #[value(
        alias = "bash",
        alias = "zsh",
        alias = "ksh",
        alias = "dash",
        alias = "ash"
    )]
    Sh,
    /// fish: `set -gx NAME 'value';`.
    Fish,
    /// PowerShell: `$Env:NAME = 'value'`.
    #[value(alias = "powershell")]
    Pwsh,
    /// Windows cmd.exe: `set "NAME=value"`.
    Cmd,
}

/// Turn a named AWS profile into temporary AWS credentials, printed for your shell or handed to a command.
#[derive(Parser)]
#[command(
    name = "aws-runas",
    version,
    disable_version_flag = true,
    override_usage = "aws-runas [global options] [subcommand] profile [arguments...]",
    after_help = "The first word after the options is the profile (a profile name or a role ARN); every word after it \
                  is the command to run, flags included. Without a profile word, AWS_PROFILE (or AWS_DEFAULT_PROFILE) \
                  names the profile."
)]
pub struct Cli {
    /// GetSessionToken lifetime, Go syntax such as 12h or 90m [env: SESSION_TOKEN_DURATION]
    #[arg(short = 'd', long = "duration", value_name = "DURATION")]
    pub duration: Option<String>,

    /// Role credential lifetime, Go syntax such as 1h or 8h [env: CREDENTIALS_DURATION]
    #[arg(short = 'a', long = "role-duration", value_name = "DURATION")]
    pub role_duration: Option<String>,

    /// MFA one-time code (otherwise you are asked on the terminal) [env: MFA_CODE]
    #[arg(short = 'o', long = "otp", value_name = "CODE", value_parser = secret)]
    pub otp: Option<Secret>,

    /// MFA device serial number or ARN [env: MFA_SERIAL]
    #[arg(short = 'M', long = "mfa-serial", value_name = "SERIAL")]
    pub mfa_serial: Option<String>,

    /// External id for AssumeRole [env: EXTERNAL_ID]
    #[arg(short = 'X', long = "external-id", value_name = "ID")]
    pub external_id: Option<String>,

    /// SAML identity-provider URL [env: SAML_AUTH_URL]
    #[arg(short = 'S', long = "saml-url", value_name = "URL")]
    pub saml_url: Option<String>,

    /// OIDC identity-provider URL [env: WEB_AUTH_URL]
    #[arg(short = 'W', long = "web-url", value_name = "URL")]
    pub web_url: Option<String>,

    /// OIDC client id [env: WEB_CLIENT_ID]
    #[arg(short = 'C', long = "web-client", value_name = "ID")]
    pub web_client: Option<String>,

    /// OIDC redirect URI [env: WEB_REDIRECT_URI]
    #[arg(short = 'T', long = "web-redirect", value_name = "URI")]
    pub web_redirect: Option<String>,

    /// User name at the identity provider [env: RUNAS_USERNAME, SAML_USERNAME, WEB_USERNAME]
    #[arg(short = 'U', long = "username", value_name = "NAME")]
    pub username: Option<String>,

    /// Password at the identity provider, in plain text [env: RUNAS_PASSWORD, SAML_PASSWORD, WEB_PASSWORD]
    #[arg(
        short = 'P',
        long = "password",
        value_name = "PASSWORD",
        value_parser = secret
    )]
    pub password: Option<Secret>,

    /// Identity-provider adapter by name, see `aws-runas providers` [env: RUNAS_PROVIDER, SAML_PROVIDER, WEB_PROVIDER]
    #[arg(short = 'R', long = "provider", value_name = "NAME")]
    pub provider: Option<String>,

    /// Second factor at the identity provider: auto, none, code or push [env: MFA_TYPE]
    #[arg(short = 't', long = "mfa-type", value_name = "TYPE")]
    pub mfa_type: Option<String>,

    /// Role to assume first with the SAML or OIDC login [env: JUMP_ROLE_ARN]
    #[arg(short = 'J', long = "jump-role", value_name = "ARN")]
    pub jump_role: Option<String>,

    /// Where questions go: terminal, zenity, kdialog, osascript, wincred, ykman or auto [env: RUNAS_PROMPT]
    #[arg(long = "prompt", value_name = "DRIVER")]
    pub prompt: Option<String>,

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

    /// Shell syntax of the env output (default: from $SHELL, or cmd on Windows without it)
    #[arg(
        long = "shell",
        env = "RUNAS_SHELL",
        value_enum,
        ignore_case = true,
        value_name = "SHELL"
    )]
    pub shell: Option<ShellKind>,

    /// Print the source profile's session (GetSessionToken) credentials instead of the role's [env: RUNAS_SESSION_CREDENTIALS]
    #[arg(short = 's', long = "session")]
    pub session: bool,

    /// Give the command static credentials in its environment instead of a local credential endpoint [env: RUNAS_ENV_CREDENTIALS]
    #[arg(short = 'E', long = "env")]
    pub env_credentials: bool,

    /// Also write the credentials to the credentials file as [<profile>-awsrunas] [env: RUNAS_WRITE_CREDENTIALS]
    #[arg(short = 'c', long = "write-credentials")]
    pub write_credentials: bool,

    /// Drop cached role credentials before fetching (the MFA session is kept)
    #[arg(short = 'r', long = "refresh")]
    pub refresh: bool,

    /// Print when the credentials expire, on stderr
    #[arg(short = 'e', long = "expiration")]
    pub expiration: bool,

    /// Print the caller identity of the credentials, on stderr
    #[arg(short = 'w', long = "whoami")]
    pub whoami: bool,

    /// Shortcut for `list mfa`
    #[arg(short = 'm', long = "list-mfa")]
    pub list_mfa: bool,

    /// Shortcut for `list roles`
    #[arg(short = 'l', long = "list-roles")]
    pub list_roles: bool,

    /// More logging on stderr (-v debug, -vv trace)
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,

    /// Print the version
    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    /// Subcommand.
    #[command(subcommand)]
    pub subcommand: Option<Command>,
}

/// Parses a secret argument: any text, kept as a [`Secret`] from the moment it is read.
fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

impl fmt::Debug for Cli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `otp` and `password` are `Secret`s, whose `Debug` redacts.
        f.debug_struct("Cli")
            .field("duration", &self.duration)
            .field("role_duration", &self.role_duration)
            .field("otp", &self.otp)
            .field("mfa_serial", &self.mfa_serial)
            .field("external_id", &self.external_id)
            .field("saml_url", &self.saml_url)
            .field("web_url", &self.web_url)
            .field("web_client", &self.web_client)
            .field("web_redirect", &self.web_redirect)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("provider", &self.provider)
            .field("mfa_type", &self.mfa_type)
            .field("jump_role", &self.jump_role)
            .field("prompt", &self.prompt)
            .field("output", &self.output)
            .field("shell", &self.shell)
            .field("session", &self.session)
            .field("env_credentials", &self.env_credentials)
            .field("write_credentials", &self.write_credentials)
            .field("refresh", &self.refresh)
            .field("expiration", &self.expiration)
            .field("whoami", &self.whoami)
            .field("list_mfa", &self.list_mfa)
            .field("list_roles", &self.list_roles)
            .field("verbose", &self.verbose)
            .field("subcommand", &self.subcommand)
            .finish_non_exhaustive()
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the role ARNs or MFA devices of an IAM profile
    #[command(alias = "ls")]
    List {
        /// What to list.
        #[command(subcommand)]
        what: ListWhat,
    },
    /// List the identity-provider adapters linked into this binary
    Providers,
    /// Store the identity-provider password of a profile (obfuscated in the credentials file, or in the OS keyring)
    #[command(alias = "passwd", alias = "pw")]
    Password {
        /// Profile (default: AWS_PROFILE)
        profile: Option<String>,
    },
    /// Log in to IAM Identity Center (AWS SSO), or log out, sharing the AWS CLI's token cache
    Sso {
        /// What to do.
        #[command(subcommand)]
        action: SsoAction,
    },
    /// Serve credentials to AWS SDKs on this machine: the ECS container API or EC2 instance metadata
    Serve {
        /// Which API.
        #[command(subcommand)]
        what: ServeWhat,
    },
    /// Open the AWS console signed in as a profile (or print the sign-in URL)
    Console {
        /// Write the sign-in URL to stdout instead of opening a browser
        #[arg(long)]
        print: bool,
        /// The console page to land on: a URL, or a path such as /s3/home
        #[arg(long, value_name = "URL")]
        destination: Option<String>,
        /// The console's region (default: the profile's)
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// Console session length, Go syntax such as 1h (roles assumed directly: 15m to 12h;
        /// long-term keys: 15m to 36h, default 12h)
        #[arg(long, value_name = "DURATION")]
        duration: Option<String>,
        /// Profile (default: AWS_PROFILE)
        profile: Option<String>,
    },
    /// Log docker (or podman) in to Amazon ECR registries with a profile's credentials
    Ecr {
        /// What to do.
        #[command(subcommand)]
        what: EcrWhat,
    },
    /// Check the set-up of a profile: files, environment, chain, region, identity provider, cache, clock
    #[command(alias = "diag")]
    Diagnose {
        /// Profile (default: AWS_PROFILE, else [default])
        profile: Option<String>,
    },
    /// Check for a newer release (RUNAS_UPDATE_URL, else the project's repository)
    #[command(hide = true)]
    Update,
    /// Write the manual pages (aws-runas.1 and one per subcommand) into a directory
    #[command(hide = true)]
    ManPages {
        /// The directory.
        dir: std::path::PathBuf,
    },
    /// Print the shell completion script for bash, zsh, fish or powershell
    Completion {
        /// The shell.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

/// `list` subcommands.
#[derive(Debug, Subcommand)]
pub enum ListWhat {
    /// The MFA devices of the IAM user behind the profile
    Mfa {
        /// Profile (default: AWS_PROFILE)
        profile: Option<String>,
    },
    /// The roles the IAM user's policies allow it to assume
    Roles {
        /// Profile (default: AWS_PROFILE)
        profile: Option<String>,
    },
}

/// `sso` subcommands.
#[derive(Debug, Subcommand)]
pub enum SsoAction {
    /// Log in (in the browser, or with a device code) and cache the token where the AWS CLI does
    Login {
        /// An IAM Identity Center profile (default: AWS_PROFILE)
        #[arg(conflicts_with = "sso_session")]
        profile: Option<String>,
        /// Log in to this [sso-session NAME] instead of a profile's
        #[arg(long = "sso-session", value_name = "NAME")]
        sso_session: Option<String>,
        /// Use the device grant: show a URL and a code to confirm on any device
        #[arg(long = "use-device-code")]
        use_device_code: bool,
        /// Do not open a browser; only show the URL
        #[arg(long = "no-browser")]
        no_browser: bool,
    },
    /// Log out: end the session at IAM Identity Center and remove the cached token and credentials
    Logout {
        /// An IAM Identity Center profile (default: every cached login of the config file)
        #[arg(conflicts_with = "sso_session")]
        profile: Option<String>,
        /// Log out of this [sso-session NAME]
        #[arg(long = "sso-session", value_name = "NAME")]
        sso_session: Option<String>,
    },
}

/// `serve` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServeWhat {
    /// The ECS container-credentials API (AWS_CONTAINER_CREDENTIALS_FULL_URI), token-protected, on 127.0.0.1:12319
    Ecs {
        /// Port on 127.0.0.1 (0: any free port) [default: from AWS_CONTAINER_CREDENTIALS_FULL_URI, else 12319]
        #[arg(short = 'p', long = "port", value_name = "PORT")]
        port: Option<u16>,
        /// Profile served at /credentials (default: AWS_PROFILE); others at /credentials/<profile>
        profile: Option<String>,
    },
    /// EC2 instance metadata credentials (IMDSv2, AWS_EC2_METADATA_SERVICE_ENDPOINT) on 127.0.0.1:12320
    Ec2 {
        /// Port on 127.0.0.1 (0: any free port) [default: from AWS_EC2_METADATA_SERVICE_ENDPOINT, else 12320]
        #[arg(short = 'p', long = "port", value_name = "PORT")]
        port: Option<u16>,
        /// Also answer requests without an IMDSv2 token
        #[arg(long = "imdsv1")]
        imdsv1: bool,
        /// Profile served (default: AWS_PROFILE)
        profile: Option<String>,
    },
}

/// `ecr` subcommands.
#[derive(Debug, Subcommand)]
pub enum EcrWhat {
    /// `docker login` to ECR: the profile's own account and region, or each registry named
    Login {
        /// The profile (default: AWS_PROFILE), then registries: account ids or
        /// <account>.dkr.ecr.<region>.amazonaws.com hosts
        #[arg(value_name = "PROFILE | REGISTRY")]
        words: Vec<String>,
    },
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// bash
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
    /// PowerShell
    Powershell,
}

/// The words of a command line, split Go-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The program name and aws-runas's own flags (with their values).
    pub flags: Vec<OsString>,
    /// Every word from the first positional on.
    pub positionals: Vec<OsString>,
}

/// Splits `args` (program name first) at the first positional word.
///
/// A `--` before the first positional ends the flags and is dropped; flags that take a value take
/// the next word (or the rest of a short cluster: `-a1h`, `-va 1h`).
pub fn split_args(args: &[OsString]) -> Split {
    let cmd = Cli::command();
    let takes_value = |arg: &clap::Arg| arg.get_action().takes_values();
    let mut i = 1;
    while i < args.len() {
        let Some(word) = args[i].to_str() else { break };
        if word == "--" {
            return Split {
                flags: args[..i].to_vec(),
                positionals: args[i + 1..].to_vec(),
            };
        }
        if let Some(long) = word.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or_default();
            let needs = !long.contains('=')
                && cmd
                    .get_arguments()
                    .any(|a| a.get_long() == Some(name) && takes_value(a));
            i += if needs { 2 } else { 1 };
            continue;
        }
        if let Some(cluster) = word.strip_prefix('-').filter(|c| !c.is_empty()) {
            let mut extra = 0;
            for (pos, c) in cluster.char_indices() {
                if cmd
                    .get_arguments()
                    .any(|a| a.get_short() == Some(c) && takes_value(a))
                {
                    if pos + c.len_utf8() == cluster.len() {
                        extra = 1;
                    }
                    break;
                }
            }
            i += 1 + extra;
            continue;
        }
        break;
    }
    let i = i.min(args.len());
    Split {
        flags: args[..i].to_vec(),
        positionals: args[i..].to_vec(),
    }
}

/// Whether `word` is a subcommand name or alias.
pub fn is_subcommand(word: &str) -> bool {
    Cli::command()
        .get_subcommands()
        .any(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
        || word == "help"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> (Vec<String>, Vec<String>) {
        let args: Vec<OsString> = std::iter::once("aws-runas")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect();
        let s = split_args(&args);
        let strings = |v: Vec<OsString>| {
            v.into_iter()
                .map(|o| o.into_string().unwrap())
                .collect::<Vec<_>>()
        };
        (strings(s.flags)[1..].to_vec(), strings(s.positionals))
    }

    #[test]
    fn grammar_table() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("p", &[], &["p"]),
            ("-r p", &["-r"], &["p"]),
            ("p -r", &[], &["p", "-r"]),
            (
                "p aws s3 ls --region x",
                &[],
                &["p", "aws", "s3", "ls", "--region", "x"],
            ),
            ("-a 1h p cmd", &["-a", "1h"], &["p", "cmd"]),
            ("-a1h p", &["-a1h"], &["p"]),
            ("-va 1h p", &["-va", "1h"], &["p"]),
            ("-vse p", &["-vse"], &["p"]),
            ("--role-duration 2h p", &["--role-duration", "2h"], &["p"]),
            ("--role-duration=2h p", &["--role-duration=2h"], &["p"]),
            ("-O json -- p -x", &["-O", "json"], &["p", "-x"]),
            ("-o 123456 p", &["-o", "123456"], &["p"]),
            ("-vv", &["-vv"], &[]),
            ("list roles p", &[], &["list", "roles", "p"]),
            (
                "-e p -- aws s3 ls",
                &["-e"],
                &["p", "--", "aws", "s3", "ls"],
            ),
        ];
        for (line, flags, rest) in cases {
            let (f, r) = split(line);
            let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            assert_eq!((f, r), (own(flags), own(rest)), "{line}");
        }
    }

    #[test]
    fn subcommands_are_known() {
        for w in [
            "list",
            "ls",
            "providers",
            "completion",
            "help",
            "password",
            "passwd",
            "pw",
            "sso",
            "console",
            "ecr",
            "diagnose",
            "diag",
            "update",
            "man-pages",
        ] {
            assert!(is_subcommand(w), "{w}");
        }
        assert!(!is_subcommand("my-profile"));
    }
}

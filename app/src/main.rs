//! The `aws-runas` binary: see the library for everything it does.

#![allow(clippy::disallowed_methods)] // the composition root reads the environment and the clock

fn main() -> std::process::ExitCode {
    aws_runas::main_entry()
}

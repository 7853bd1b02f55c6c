//! Binary-level tests of `aws-runas`: every run is a real child process with a cleared
//! environment, a temporary `HOME` and no controlling terminal; STS and IAM come from moto.

mod completion;
mod console;
mod crash;
mod diagnose;
mod e2e;
mod ecr;
mod errors;
mod everyday;
mod idp_settings;
mod library;
mod package;
mod prompts;
mod providers;
mod redaction;
mod saml;
mod secrets;
mod serve;
mod shells;
mod sso;
mod support;
mod update;
mod vendors;
mod webid;

//! Integration tests of `FileCache` through the `CredentialCache` port, on temporary directories.

mod concurrency;
mod files;
mod locks;
mod processes;
mod support;

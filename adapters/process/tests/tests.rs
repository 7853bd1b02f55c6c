//! Integration tests of the `credential_process` runner: real `sh` children with a cleared environment.

mod runner;

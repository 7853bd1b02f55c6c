//! Cross-crate scenarios for aws-runas live in the `integration` test binary.

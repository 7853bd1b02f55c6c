//! Cross-crate scenarios: registry, tidy rules and the conformance vectors.

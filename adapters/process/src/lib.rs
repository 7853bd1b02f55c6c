//! aws-runas process adapter (being written).

//! aws-runas config-file adapter (being written).

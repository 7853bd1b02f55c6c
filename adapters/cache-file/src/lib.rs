//! aws-runas cache-file adapter (being written).

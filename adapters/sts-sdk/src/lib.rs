//! aws-runas sts-sdk adapter (being written).

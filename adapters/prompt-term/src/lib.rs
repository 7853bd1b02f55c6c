//! aws-runas prompt-term adapter (being written).

//! Entry points for the fuzz targets in `fuzz/`: the decoders of this crate's files run over
//! arbitrary bytes, without touching a file. Not meant for other callers.

use serde_json::Value;

/// Reads `bytes` as a credential-cache file is read and, when they hold a complete entry, returns
/// the bytes that entry would be written back as.
pub fn credential_cache_round_trip(bytes: &[u8]) -> Option<Vec<u8>> {
    crate::format::decode(bytes).map(|entry| crate::format::encode(&entry))
}

/// Reads `bytes` as an IAM Identity Center token file is read and, when they hold a complete
/// token, returns the bytes that token would be written back as (fields it does not know kept).
pub fn sso_token_round_trip(bytes: &[u8]) -> Option<Vec<u8>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => {
            crate::sso::decode(&m).map(|token| crate::sso::encode(&token, m.clone()))
        }
        _ => None,
    }
}

//! Turning parse results into comparable forms: JSON shaped like the AWS vectors' output, and
//! text for the fixture snapshots.

use aws_runas_config_file::{ParseMode, parse_profile_text};
use aws_runas_domain::ProfileSet;
use aws_runas_domain::ports::profile_store::ProfileStoreError;
use serde_json::{Map, Value, json};
use std::fmt::Write;
use std::path::Path;

/// Parses in-memory file texts as `config` and `credentials`.
pub(crate) fn parse(
    config: Option<&str>,
    credentials: Option<&str>,
    mode: ParseMode,
) -> Result<ProfileSet, ProfileStoreError> {
    parse_profile_text(
        config.map(|text| (Path::new("config"), text)),
        credentials.map(|text| (Path::new("credentials"), text)),
        mode,
    )
}

/// `{"profiles": {name: {key: value}}, "sso_sessions": {…}}`, as in the vectors' output.
pub(crate) fn to_vector_json(set: &ProfileSet) -> Value {
    let sections = |sections: &mut dyn Iterator<Item = &aws_runas_domain::Section>| {
        let mut out = Map::new();
        for section in sections {
            let properties: Map<String, Value> = section
                .properties()
                .map(|(k, p)| (k.to_string(), Value::from(p.value())))
                .collect();
            out.insert(section.name().to_string(), Value::Object(properties));
        }
        Value::Object(out)
    };
    json!({
        "profiles": sections(&mut set.profiles()),
        "sso_sessions": sections(&mut set.sso_sessions()),
    })
}

/// A readable dump with origins, for snapshots.
pub(crate) fn to_text(result: &Result<ProfileSet, ProfileStoreError>) -> String {
    let set = match result {
        Ok(set) => set,
        Err(e) => return format!("error: {e}\n"),
    };
    let mut out = String::new();
    for (kind, sections) in [
        ("profile", set.profiles().collect::<Vec<_>>()),
        ("sso-session", set.sso_sessions().collect()),
    ] {
        for section in sections {
            writeln!(out, "{kind} {:?}", section.name()).unwrap();
            for (key, property) in section.properties() {
                let origin = property
                    .origin()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                writeln!(out, "  {key} = {:?}  @ {origin}", property.value()).unwrap();
            }
        }
    }
    if out.is_empty() {
        out.push_str("(no profiles)\n");
    }
    out
}

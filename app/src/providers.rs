//! `aws-runas providers`: the table of identity-provider adapters linked into the binary.

use aws_runas_domain::ports::idp::Registry;

/// Renders the registry as an aligned table, one adapter per row, sorted by name.
pub fn providers_table(registry: &Registry) -> String {
    let mut rows = vec![[
        "NAME".to_string(),
        "ALIASES".into(),
        "PROTOCOLS".into(),
        "MFA".into(),
        "CRATE".into(),
    ]];
    for r in registry.iter() {
        let join = |items: Vec<&str>| {
            if items.is_empty() {
                "-".to_string()
            } else {
                items.join(",")
            }
        };
        rows.push([
            r.name().to_string(),
            join(r.aliases().to_vec()),
            join(r.protocols().iter().map(|p| p.as_str()).collect()),
            join(r.mfa().iter().map(|m| m.as_str()).collect()),
            r.crate_name().to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if rows.len() == 1 {
        out.push_str("(no identity-provider adapters are linked into this build)\n");
    }
    out
}

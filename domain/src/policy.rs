//! Which roles an IAM policy lets its holder assume, for `list roles`.
//!
//! A statement counts when its `Effect` is `Allow` and its `Action` is exactly `sts:AssumeRole`
//! (a string, or an element of a list); its `Resource` entries that are IAM role ARNs without
//! wildcards are the roles. `sts:*` and `*` actions are not expanded: they say nothing about
//! which roles are meant.

use crate::names::RoleArn;
use serde_json::Value;
use std::collections::BTreeSet;

/// The role ARNs a set of policy documents allows assuming, sorted and without duplicates.
/// Documents that are not JSON are skipped (and counted in the second value).
pub fn assumable_roles<'a>(documents: impl IntoIterator<Item = &'a str>) -> (Vec<String>, usize) {
    let mut roles = BTreeSet::new();
    let mut unreadable = 0;
    for doc in documents {
        match serde_json::from_str::<Value>(doc) {
            Ok(v) => collect(v.get("Statement").unwrap_or(&Value::Null), &mut roles),
            Err(_) => unreadable += 1,
        }
    }
    (roles.into_iter().collect(), unreadable)
}

fn collect(statement: &Value, roles: &mut BTreeSet<String>) {
    match statement {
        Value::Array(items) => items.iter().for_each(|s| collect(s, roles)),
        Value::Object(s) => {
            let allows = s.get("Effect").and_then(Value::as_str) == Some("Allow");
            let assume = strings(s.get("Action")).any(|a| a == "sts:AssumeRole");
            if allows && assume {
                for r in strings(s.get("Resource")) {
                    let r = r.trim();
                    if !r.contains('*') && RoleArn::parse(r).is_ok() {
                        roles.insert(r.to_string());
                    }
                }
            }
        }
        _ => {}
    }
}

fn strings(v: Option<&Value>) -> Box<dyn Iterator<Item = &str> + '_> {
    match v {
        Some(Value::String(s)) => Box::new(std::iter::once(s.as_str())),
        Some(Value::Array(items)) => Box::new(items.iter().filter_map(Value::as_str)),
        _ => Box::new(std::iter::empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_assume_role_statements_only() {
        let docs = [
            r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/b"}}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","sts:AssumeRole"],"Resource":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/a"," arn:aws-cn:iam::123456789012:role/path/c "]}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/denied"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"arn:aws:iam::123456789012:role/wild-action"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":["*","arn:aws:iam::123456789012:role/x*","arn:aws:s3:::bucket"]}]}"#,
            r#"{"Statement":[]}"#,
            r#"{}"#,
            "not json",
        ];
        let (roles, unreadable) = assumable_roles(docs);
        assert_eq!(
            roles,
            [
                "arn:aws-cn:iam::123456789012:role/path/c",
                "arn:aws:iam::123456789012:role/a",
                "arn:aws:iam::123456789012:role/b"
            ]
        );
        assert_eq!(unreadable, 1);
    }
}

//! Rewriting one section of a profile file as text, leaving every other byte alone.
//!
//! The rewrite works on lines, not on a parsed model, so that comments, blank lines, ordering,
//! spacing and other sections survive exactly; only the target section's own lines change.

use crate::error::ConfigFileError;
use crate::parse::{ParseMode, SectionKey, header_name};

/// How [`replace_section`] treats the keys already in the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionEdit {
    /// The section's entries become exactly the given pairs; its other keys and the comments
    /// between them are dropped.
    /// Used for `--write-credentials`, where stale keys (an old session token) must go.
    Replace,
    /// The given keys are set: an existing entry is rewritten in place (later duplicates of the
    /// key are removed), a new key is added after the section's last entry, and every other line
    /// of the section is kept.
    /// Used by the password store, which shares a section with keys it does not own.
    Merge,
}

/// Returns `text` with the section `section` set to `pairs`.
///
/// `section` is the text between the brackets: `my-profile-awsrunas` or an identity-provider
/// URL for the credentials file, `profile my-profile` for the config file.
/// A header matches when it names the same section after the usual normalisation (surrounding
/// blanks, and the blanks between a prefix and the name, do not matter).
///
/// * The section's text runs from its header to the next header. Blank and comment lines
///   directly after the header, and those just before the next header, frame the section rather
///   than belong to its entries, and are kept.
/// * Only the first section with that name is edited. Later duplicates are left as they are;
///   readers merge duplicates, so their keys still count (collapsing them is not done because it
///   would move or delete text the user wrote).
/// * When the section is absent it is appended at the end, after a blank line when the text
///   does not already end with one.
/// * New lines use the text's line ending (the first one found; `\n` when there is none), so a
///   CRLF file stays CRLF.
/// * Entries are written as `key = value`, in the order given.
///
/// # Errors
/// [`ConfigFileError::InvalidSection`] when `section` cannot be written as a header that reads
/// back as the same name; [`ConfigFileError::InvalidEntry`] when a key is not an AWS identifier
/// or a value would not read back unchanged (a line break, leading or trailing blanks, or a
/// ` #` / ` ;` that would start a comment).
///
/// # Examples
/// ```
/// use aws_runas_config_file::{SectionEdit, replace_section};
///
/// let text = "# mine\n[other]\nk = v\n\n[dev-awsrunas]\naws_access_key_id = OLD\n";
/// let new = replace_section(text, "dev-awsrunas", &[("aws_access_key_id", "NEW")], SectionEdit::Replace)
///     .unwrap();
/// assert_eq!(new, "# mine\n[other]\nk = v\n\n[dev-awsrunas]\naws_access_key_id = NEW\n");
/// ```
pub fn replace_section(
    text: &str,
    section: &str,
    pairs: &[(&str, &str)],
    edit: SectionEdit,
) -> Result<String, ConfigFileError> {
    validate(section, pairs)?;
    let eol = line_ending(text);
    let target = SectionKey::parse(section);
    let lines = split_lines(text);
    let found = lines.iter().position(|line| {
        is_header(line.content)
            && header_name(line.content, ParseMode::AwsRunas)
                .is_some_and(|name| SectionKey::parse(name) == target)
    });
    let Some(header) = found else {
        return Ok(append_section(text, section, pairs, eol));
    };
    let end = lines[header + 1..]
        .iter()
        .position(|line| is_header(line.content))
        .map_or(lines.len(), |p| header + 1 + p);
    let mut body_end = end;
    while body_end > header + 1 && is_trailer(lines[body_end - 1].content) {
        body_end -= 1;
    }
    let mut body_start = header + 1;
    while body_start < body_end && is_trailer(lines[body_start].content) {
        body_start += 1;
    }

    let mut out = String::with_capacity(text.len() + 64 * pairs.len());
    for line in &lines[..body_start] {
        push_line(&mut out, line.full, eol);
    }
    match edit {
        SectionEdit::Replace => {
            for (key, value) in pairs {
                push_entry(&mut out, key, value, eol);
            }
        }
        SectionEdit::Merge => merge_body(&mut out, &lines[body_start..body_end], pairs, eol),
    }
    for line in &lines[body_end..] {
        out.push_str(line.full);
    }
    Ok(out)
}

/// One line of the text: with its line ending (`full`) and without (`content`).
#[derive(Debug)]
struct Line<'a> {
    full: &'a str,
    content: &'a str,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .enumerate()
        .map(|(index, full)| {
            let content = full.strip_suffix('\n').unwrap_or(full);
            let content = content.strip_suffix('\r').unwrap_or(content);
            // A byte-order mark stays in the output but does not hide a header.
            let content = if index == 0 {
                content.trim_start_matches('\u{feff}')
            } else {
                content
            };
            Line { full, content }
        })
        .collect()
}

/// `\r\n` when the first line ending is one, else `\n`.
fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(index) if text[..index].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

fn is_header(content: &str) -> bool {
    content.starts_with('[')
}

fn is_blank(content: &str) -> bool {
    content.trim_matches([' ', '\t']).is_empty()
}

/// A blank line or an unindented comment: text that may introduce the next section.
fn is_trailer(content: &str) -> bool {
    is_blank(content) || content.starts_with(['#', ';'])
}

/// The (lower-cased) key of an unindented `key = value` line.
fn entry_key(content: &str) -> Option<String> {
    if content.starts_with([' ', '\t']) || is_trailer(content) {
        return None;
    }
    let line = content.trim_matches([' ', '\t']);
    let (key, _) = line.split_once('=')?;
    let key = key.trim_matches([' ', '\t']);
    (!key.is_empty()).then(|| key.to_ascii_lowercase())
}

/// The body of a section with the given keys set in place and the rest kept.
fn merge_body(out: &mut String, body: &[Line<'_>], pairs: &[(&str, &str)], eol: &str) {
    let mut written = vec![false; pairs.len()];
    // While true, indented lines continue an entry that was just replaced, and are dropped.
    let mut dropping_continuation = false;
    for line in body {
        let content = line.content;
        if dropping_continuation {
            if content.starts_with([' ', '\t']) && !is_blank(content) {
                continue;
            }
            if !is_blank(content) {
                dropping_continuation = false;
            }
        }
        if let Some(key) = entry_key(content)
            && let Some(index) = pairs.iter().position(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            if !written[index] {
                let (key, value) = pairs[index];
                push_entry(out, key, value, eol);
                written[index] = true;
            }
            dropping_continuation = true;
            continue;
        }
        push_line(out, line.full, eol);
    }
    for ((key, value), done) in pairs.iter().zip(written) {
        if !done {
            push_entry(out, key, value, eol);
        }
    }
}

fn append_section(text: &str, section: &str, pairs: &[(&str, &str)], eol: &str) -> String {
    let mut out = String::with_capacity(text.len() + section.len() + 64 * pairs.len());
    out.push_str(text);
    if !text.is_empty() {
        if !text.ends_with('\n') {
            out.push_str(eol);
        }
        if !ends_with_blank_line(&out) {
            out.push_str(eol);
        }
    }
    out.push('[');
    out.push_str(section);
    out.push(']');
    out.push_str(eol);
    for (key, value) in pairs {
        push_entry(&mut out, key, value, eol);
    }
    out
}

/// Whether the last line of `text` (which ends with a line ending) is blank.
fn ends_with_blank_line(text: &str) -> bool {
    let without_eol = text.strip_suffix('\n').unwrap_or(text);
    let without_eol = without_eol.strip_suffix('\r').unwrap_or(without_eol);
    let last = without_eol.rsplit('\n').next().unwrap_or("");
    is_blank(
        last.strip_suffix('\r')
            .unwrap_or(last)
            .trim_start_matches('\u{feff}'),
    )
}

/// A line of the edited section, given a line ending if it had none (the last line of a file).
fn push_line(out: &mut String, full: &str, eol: &str) {
    out.push_str(full);
    if !full.ends_with('\n') {
        out.push_str(eol);
    }
}

fn push_entry(out: &mut String, key: &str, value: &str, eol: &str) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(value);
    out.push_str(eol);
}

/// Refuses names and entries that would not read back as written.
fn validate(section: &str, pairs: &[(&str, &str)]) -> Result<(), ConfigFileError> {
    let bad_section = |reason| ConfigFileError::InvalidSection {
        section: section.to_string(),
        reason,
    };
    if section.trim_matches([' ', '\t']).is_empty() {
        return Err(bad_section("the name is empty"));
    }
    if section.contains(['[', ']', '\r', '\n']) {
        return Err(bad_section("the name contains a bracket or a line break"));
    }
    if section.starts_with([' ', '\t']) || section.ends_with([' ', '\t']) {
        return Err(bad_section("the name starts or ends with a blank"));
    }
    for (key, value) in pairs {
        let bad_entry = |reason| ConfigFileError::InvalidEntry {
            section: section.to_string(),
            key: (*key).to_string(),
            reason,
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
        {
            return Err(bad_entry(
                "the key is not an AWS identifier (letters, digits and _-/.%@:+)",
            ));
        }
        if value.contains(['\r', '\n']) {
            return Err(bad_entry("the value contains a line break"));
        }
        if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
            return Err(bad_entry("the value starts or ends with a blank"));
        }
        let mut after_blank = false;
        for c in value.chars() {
            if after_blank && (c == '#' || c == ';') {
                return Err(bad_entry(
                    "the value contains a blank followed by `#` or `;`, which starts a comment",
                ));
            }
            after_blank = c.is_whitespace();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(text: &str, section: &str, pairs: &[(&str, &str)]) -> String {
        replace_section(text, section, pairs, SectionEdit::Replace).unwrap()
    }

    fn merge(text: &str, section: &str, pairs: &[(&str, &str)]) -> String {
        replace_section(text, section, pairs, SectionEdit::Merge).unwrap()
    }

    #[test]
    fn replace_keeps_everything_outside_the_section() {
        let text = "; top\n[a]\nx = 1 ; note\n\n[b]\n# about b\nold = 1\nother = 2\n\n# about c\n[c]\ny = 2";
        let out = replace(text, "b", &[("new", "3")]);
        assert_eq!(
            out,
            "; top\n[a]\nx = 1 ; note\n\n[b]\n# about b\nnew = 3\n\n# about c\n[c]\ny = 2"
        );
    }

    #[test]
    fn replace_drops_comments_between_entries() {
        let out = replace("[b]\nk = 1\n# inside\nj = 2\n", "b", &[("k", "9")]);
        assert_eq!(out, "[b]\nk = 9\n");
    }

    #[test]
    fn replace_of_the_last_section_without_final_newline() {
        assert_eq!(replace("[a]\nk = 1", "a", &[("k", "2")]), "[a]\nk = 2\n");
        assert_eq!(replace("[a]", "a", &[("k", "2")]), "[a]\nk = 2\n");
    }

    #[test]
    fn header_comment_and_spacing_are_kept() {
        let out = replace(
            "[ profile   dev ] # mine\nk = 1\n",
            "profile dev",
            &[("k", "2")],
        );
        assert_eq!(out, "[ profile   dev ] # mine\nk = 2\n");
    }

    #[test]
    fn only_the_first_duplicate_is_replaced() {
        let out = replace("[a]\nk = 1\n[b]\n[a]\nk = 3\n", "a", &[("k", "2")]);
        assert_eq!(out, "[a]\nk = 2\n[b]\n[a]\nk = 3\n");
    }

    #[test]
    fn absent_section_is_appended_after_one_blank_line() {
        assert_eq!(replace("", "a", &[("k", "1")]), "[a]\nk = 1\n");
        assert_eq!(
            replace("[b]\nj = 2", "a", &[("k", "1")]),
            "[b]\nj = 2\n\n[a]\nk = 1\n"
        );
        assert_eq!(
            replace("[b]\nj = 2\n", "a", &[("k", "1")]),
            "[b]\nj = 2\n\n[a]\nk = 1\n"
        );
        assert_eq!(
            replace("[b]\nj = 2\n\n", "a", &[("k", "1")]),
            "[b]\nj = 2\n\n[a]\nk = 1\n"
        );
        assert_eq!(replace("\n", "a", &[("k", "1")]), "\n[a]\nk = 1\n");
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = "[b]\r\nj = 2\r\n\r\n[a]\r\nk = 1\r\n";
        assert_eq!(
            replace(text, "a", &[("k", "2"), ("l", "3")]),
            "[b]\r\nj = 2\r\n\r\n[a]\r\nk = 2\r\nl = 3\r\n"
        );
        assert_eq!(
            replace("[b]\r\nj = 2", "a", &[("k", "1")]),
            "[b]\r\nj = 2\r\n\r\n[a]\r\nk = 1\r\n"
        );
    }

    #[test]
    fn merge_replaces_in_place_and_appends_new_keys_after_the_last_entry() {
        let text = "[u]\n# pw\nsaml_password = old\nother = kept\n\n# next\n[v]\n";
        let out = merge(text, "u", &[("saml_password", "new"), ("added", "1")]);
        assert_eq!(
            out,
            "[u]\n# pw\nsaml_password = new\nother = kept\nadded = 1\n\n# next\n[v]\n"
        );
    }

    #[test]
    fn merge_matches_keys_case_insensitively_and_removes_later_duplicates() {
        let text = "[u]\nKey = 1\n  continued\nx = 2\nkey = 3\n";
        assert_eq!(merge(text, "u", &[("key", "9")]), "[u]\nkey = 9\nx = 2\n");
    }

    #[test]
    fn merge_into_an_absent_section_appends_it() {
        assert_eq!(merge("[a]\n", "b", &[("k", "1")]), "[a]\n\n[b]\nk = 1\n");
    }

    #[test]
    fn section_with_url_name_is_found() {
        let text = "[https://idp.example.com/app?x=1#frag]\nsaml_password = a\n";
        let out = merge(
            text,
            "https://idp.example.com/app?x=1#frag",
            &[("saml_password", "b")],
        );
        assert_eq!(
            out,
            "[https://idp.example.com/app?x=1#frag]\nsaml_password = b\n"
        );
    }

    #[test]
    fn byte_order_mark_is_kept() {
        assert_eq!(
            replace("\u{feff}[a]\nk = 1\n", "a", &[("k", "2")]),
            "\u{feff}[a]\nk = 2\n"
        );
    }

    #[test]
    fn unwritable_input_is_refused_without_echoing_the_value() {
        let err =
            replace_section("", "a", &[("k", "se cret #x")], SectionEdit::Replace).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("cannot write key `k` in section [a]:"),
            "{message}"
        );
        assert!(!message.contains("se cret"), "{message}");
        for value in ["a\nb", " a", "a\t", "x ;y"] {
            assert!(
                replace_section("", "a", &[("k", value)], SectionEdit::Merge).is_err(),
                "{value:?}"
            );
        }
        for key in ["", "a b", "k=v", "[x]"] {
            assert!(
                replace_section("", "a", &[(key, "v")], SectionEdit::Merge).is_err(),
                "{key:?}"
            );
        }
        for section in ["", " a", "a]", "a\nb"] {
            assert!(
                replace_section("", section, &[], SectionEdit::Merge).is_err(),
                "{section:?}"
            );
        }
        assert_eq!(replace("", "a", &[("k", "v=w#x;y")]), "[a]\nk = v=w#x;y\n");
    }
}

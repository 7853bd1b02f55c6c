//! The profile-file parser: the AWS shared-config grammar, plus aws-runas's extensions in
//! [`ParseMode::AwsRunas`].
//!
//! Parsing runs in two steps, as in the AWS SDKs.
//! First each file is read line by line into raw sections (header text plus `key = value`
//! entries with their line numbers); only this step can fail.
//! Then the raw sections are classified by file kind and mode (profile, sso-session, or
//! ignored) and merged into a [`ProfileSet`], config file first, so that values from the
//! credentials file win.

use aws_runas_domain::ports::profile_store::ProfileStoreError;
use aws_runas_domain::{Origin, ProfileSet, Property};
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

/// Which grammar the files are read with.
///
/// The application uses [`ParseMode::AwsRunas`]; [`ParseMode::Strict`] exists to prove the
/// parser against the AWS conformance vectors and for callers that want exactly what the AWS
/// SDKs see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    /// Exactly the AWS shared-config grammar, as pinned down by the AWS SDKs' parser tests.
    Strict,
    /// The AWS grammar plus what aws-runas has always accepted.
    ///
    /// * In the config file a bare `[name]` section is a profile too (the original looks up
    ///   `[name]` as well as `[profile name]`). When the file has both, the `[profile name]`
    ///   sections win and the bare ones are ignored, the rule AWS applies to `[default]`.
    /// * In the credentials file any section name without whitespace is kept, because the
    ///   password store keys sections by identity-provider URL, which may hold `?`, `=` or `&`.
    /// * A header's name runs to the first `]` that is followed by nothing but whitespace or a
    ///   comment, so a URL containing `#` or `;` can be a section name.
    AwsRunas,
}

/// Which of the two shared files a text came from; they have different section rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Config,
    Credentials,
}

const WHITESPACE: &[char] = &[' ', '\t'];
const COMMENT: &[char] = &['#', ';'];
const PROFILE_PREFIX: &str = "profile";
const SSO_SESSION_PREFIX: &str = "sso-session";
const DEFAULT: &str = "default";

/// Parses the texts of the config and credentials files into one set of profiles.
///
/// Either file may be absent (`None`), which is the same as empty.
/// The paths are used only to name the file in errors and in each property's [`Origin`].
/// Values from the credentials file replace values of the same key from the config file.
///
/// # Errors
/// [`ProfileStoreError::Parse`] for the first line that the grammar rejects, naming the file
/// and the 1-based line; the config file is checked first.
///
/// # Examples
/// ```
/// use aws_runas_config_file::{ParseMode, parse_profile_text};
/// use std::path::Path;
///
/// let config = "[profile dev]\nregion = eu-west-1\n";
/// let credentials = "[dev]\naws_access_key_id = AKIDEXAMPLE\n";
/// let set = parse_profile_text(
///     Some((Path::new("config"), config)),
///     Some((Path::new("credentials"), credentials)),
///     ParseMode::Strict,
/// )
/// .unwrap();
/// let dev = set.profile("dev").unwrap();
/// assert_eq!(dev.get("region"), Some("eu-west-1"));
/// assert_eq!(dev.property("aws_access_key_id").unwrap().origin().unwrap().line, 2);
/// ```
pub fn parse_profile_text(
    config: Option<(&Path, &str)>,
    credentials: Option<(&Path, &str)>,
    mode: ParseMode,
) -> Result<ProfileSet, ProfileStoreError> {
    let parsed_config = match config {
        Some((path, text)) => Some((path, parse_raw(text, mode).map_err(|e| e.into_error(path))?)),
        None => None,
    };
    let parsed_credentials = match credentials {
        Some((path, text)) => Some((path, parse_raw(text, mode).map_err(|e| e.into_error(path))?)),
        None => None,
    };
    let mut set = ProfileSet::new();
    if let Some((path, sections)) = parsed_config {
        merge_in(&mut set, &sections, FileKind::Config, mode, path);
    }
    if let Some((path, sections)) = parsed_credentials {
        merge_in(&mut set, &sections, FileKind::Credentials, mode, path);
    }
    Ok(set)
}

/// A section as written: its header text (between the brackets) and its entries in order.
#[derive(Debug)]
struct RawSection<'a> {
    header: &'a str,
    properties: Vec<RawProperty<'a>>,
}

/// One `key = value` entry, with continuation lines already joined to the value.
#[derive(Debug)]
struct RawProperty<'a> {
    key: Cow<'a, str>,
    value: Cow<'a, str>,
    line: usize,
}

/// A grammar error before the file name is known.
#[derive(Debug)]
struct LineError {
    line: usize,
    message: Cow<'static, str>,
}

impl LineError {
    fn new(line: usize, message: impl Into<Cow<'static, str>>) -> LineError {
        LineError {
            line,
            message: message.into(),
        }
    }

    fn into_error(self, file: &Path) -> ProfileStoreError {
        ProfileStoreError::Parse {
            file: file.to_path_buf(),
            line: self.line,
            message: self.message.into_owned(),
        }
    }
}

/// Splits one file into raw sections, rejecting lines the grammar does not allow.
fn parse_raw(text: &str, mode: ParseMode) -> Result<Vec<RawSection<'_>>, LineError> {
    // A byte-order mark (as some Windows editors write) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<RawSection<'_>> = Vec::new();
    // The entry that continuation lines extend: its index in the current section, and whether
    // it opened a block of sub-properties (an empty value).
    let mut open: Option<(usize, bool)> = None;
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if is_blank(line) || line.starts_with(COMMENT) {
            continue;
        }
        if line.starts_with('[') {
            let header = header_name(line, mode)
                .ok_or_else(|| LineError::new(number, "Profile definition must end with ']'"))?;
            sections.push(RawSection {
                header,
                properties: Vec::new(),
            });
            open = None;
        } else if line.starts_with(WHITESPACE) {
            let Some(section) = sections.last_mut() else {
                return Err(LineError::new(
                    number,
                    "Expected a profile definition, found continuation",
                ));
            };
            let Some((entry, is_subproperty)) = open else {
                return Err(LineError::new(
                    number,
                    "Expected a property definition, found continuation",
                ));
            };
            if is_subproperty {
                split_property(line).map_err(|e| e.at(number, "sub-property"))?;
            }
            let value = section.properties[entry].value.to_mut();
            value.push('\n');
            value.push_str(line.trim_matches(WHITESPACE));
        } else {
            let Some(section) = sections.last_mut() else {
                return Err(LineError::new(number, "Expected a profile definition"));
            };
            let (key, value) = split_property(line).map_err(|e| e.at(number, "property"))?;
            open = Some((section.properties.len(), value.is_empty()));
            section.properties.push(RawProperty {
                key: lowercase(key),
                value: Cow::Borrowed(value),
                line: number,
            });
        }
    }
    Ok(sections)
}

/// Why a line is not a `key = value` definition.
#[derive(Debug)]
enum PropertyError {
    NoEquals,
    NoName,
}

impl PropertyError {
    /// The AWS wording, for a `property` or a `sub-property`.
    fn at(self, line: usize, what: &'static str) -> LineError {
        let message = match (self, what) {
            (PropertyError::NoEquals, _) => format!("Expected an '=' sign defining a {what}"),
            (PropertyError::NoName, "property") => "Property did not have a name".to_string(),
            (PropertyError::NoName, _) => "Sub-property did not have a name".to_string(),
        };
        LineError::new(line, message)
    }
}

/// Splits `key = value`, after dropping a comment that follows whitespace; both sides trimmed.
fn split_property(line: &str) -> Result<(&str, &str), PropertyError> {
    let line = strip_comment(line, true);
    let (key, value) = line.split_once('=').ok_or(PropertyError::NoEquals)?;
    let key = key.trim_matches(WHITESPACE);
    if key.is_empty() {
        return Err(PropertyError::NoName);
    }
    Ok((key, value.trim_matches(WHITESPACE)))
}

/// The line trimmed, and cut at the first `#` or `;` that starts a comment.
///
/// In a property line a comment must follow whitespace (`value#x` keeps `#x`); in a header any
/// comment character starts one.
fn strip_comment(line: &str, needs_whitespace: bool) -> &str {
    let line = line.trim_matches(WHITESPACE);
    let mut after_whitespace = false;
    for (index, c) in line.char_indices() {
        if COMMENT.contains(&c) && (after_whitespace || !needs_whitespace) {
            return line[..index].trim_matches(WHITESPACE);
        }
        after_whitespace = c.is_whitespace();
    }
    line
}

/// The text between the brackets of a header line, or `None` when it has no closing `]`.
pub(crate) fn header_name(line: &str, mode: ParseMode) -> Option<&str> {
    match mode {
        ParseMode::Strict => strip_comment(line, false)
            .strip_prefix('[')?
            .strip_suffix(']'),
        ParseMode::AwsRunas => {
            let inner = line.trim_matches(WHITESPACE).strip_prefix('[')?;
            inner
                .match_indices(']')
                .map(|(index, _)| index)
                .find_map(|index| {
                    let after = inner[index + 1..].trim_matches(WHITESPACE);
                    (after.is_empty() || after.starts_with(COMMENT)).then(|| &inner[..index])
                })
        }
    }
}

/// A header split into an optional prefix (`profile`, `sso-session`, …) and a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SectionKey<'a> {
    pub(crate) prefix: Option<&'a str>,
    pub(crate) name: &'a str,
}

impl SectionKey<'_> {
    /// Splits at the first space or tab: `profile  foo` is (`profile`, `foo`), `foo` has no prefix.
    pub(crate) fn parse(header: &str) -> SectionKey<'_> {
        let header = header.trim_matches(WHITESPACE);
        match header.split_once(WHITESPACE) {
            Some((prefix, name)) => SectionKey {
                prefix: Some(prefix.trim()),
                name: name.trim(),
            },
            None => SectionKey {
                prefix: None,
                name: header.trim(),
            },
        }
    }
}

/// What a section is, once the file kind and mode are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target<'a> {
    Profile { name: &'a str, prefixed: bool },
    SsoSession(&'a str),
    Ignored,
}

fn classify(key: SectionKey<'_>, kind: FileKind, mode: ParseMode) -> Target<'_> {
    let name = key.name;
    match (kind, key.prefix) {
        (FileKind::Config, Some(prefix)) if is_identifier(name, mode) => match prefix {
            PROFILE_PREFIX => Target::Profile {
                name,
                prefixed: true,
            },
            SSO_SESSION_PREFIX => Target::SsoSession(name),
            // Other section kinds (`services`, …) hold no profile data we use.
            _ => Target::Ignored,
        },
        (FileKind::Config, None) if name == DEFAULT => Target::Profile {
            name,
            prefixed: false,
        },
        (FileKind::Config, None) if mode == ParseMode::AwsRunas && is_identifier(name, mode) => {
            Target::Profile {
                name,
                prefixed: false,
            }
        }
        (FileKind::Credentials, None) => {
            let keep = match mode {
                ParseMode::Strict => is_identifier(name, mode),
                ParseMode::AwsRunas => !name.is_empty(),
            };
            if keep {
                Target::Profile {
                    name,
                    prefixed: false,
                }
            } else {
                Target::Ignored
            }
        }
        _ => Target::Ignored,
    }
}

/// The AWS identifier rule: ASCII letters and digits and `_ - / . % @ : +`.
///
/// The AWS rule accepts the empty string; aws-runas mode does not.
fn is_identifier(name: &str, mode: ParseMode) -> bool {
    (mode == ParseMode::Strict || !name.is_empty())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

fn lowercase(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

fn is_blank(line: &str) -> bool {
    line.trim_matches(WHITESPACE).is_empty()
}

/// Merges one file's sections into the set, in file order, so later values win.
fn merge_in(
    set: &mut ProfileSet,
    sections: &[RawSection<'_>],
    kind: FileKind,
    mode: ParseMode,
    file: &Path,
) {
    let targets: Vec<Target<'_>> = sections
        .iter()
        .map(|s| classify(SectionKey::parse(s.header), kind, mode))
        .collect();
    // `[profile x]` replaces `[x]` outright (only `default` can be bare in strict mode); the
    // rule is per file, so a credentials-file `[x]` still merges in.
    let prefixed: HashSet<&str> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Profile {
                name,
                prefixed: true,
            } => Some(*name),
            _ => None,
        })
        .collect();
    for (section, target) in sections.iter().zip(targets) {
        let destination = match target {
            Target::Profile {
                name,
                prefixed: false,
            } if prefixed.contains(name) => continue,
            Target::Profile { name, .. } => set.profile_mut(name),
            Target::SsoSession(name) => set.sso_session_mut(name),
            Target::Ignored => continue,
        };
        for property in &section.properties {
            // Keys outside the identifier alphabet are ignored, as the SDKs do.
            if is_identifier(&property.key, ParseMode::Strict) {
                let origin = Origin {
                    file: file.to_path_buf(),
                    line: property.line,
                };
                destination.set(
                    &property.key,
                    Property::new(property.value.as_ref(), Some(origin)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(config: &str, mode: ParseMode) -> Result<ProfileSet, ProfileStoreError> {
        parse_profile_text(Some((Path::new("config"), config)), None, mode)
    }

    #[test]
    fn continuation_keeps_the_origin_of_its_key() {
        let set = parse("[profile a]\nkey = one\n  two\n", ParseMode::Strict).unwrap();
        let property = set.profile("a").unwrap().property("key").unwrap();
        assert_eq!(property.value(), "one\ntwo");
        assert_eq!(property.origin().unwrap().line, 2);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let set = parse("\u{feff}[profile a]\nk = v", ParseMode::Strict).unwrap();
        assert_eq!(set.profile("a").unwrap().get("k"), Some("v"));
    }

    #[test]
    fn lone_carriage_return_at_the_end_is_a_line_ending() {
        let set = parse("[profile a]\r\nk = v\r", ParseMode::Strict).unwrap();
        assert_eq!(set.profile("a").unwrap().get("k"), Some("v"));
    }

    #[test]
    fn header_names_per_mode() {
        assert_eq!(header_name("[a#b]", ParseMode::Strict), None);
        assert_eq!(header_name("[a#b]", ParseMode::AwsRunas), Some("a#b"));
        assert_eq!(
            header_name("[x;y] ; note", ParseMode::AwsRunas),
            Some("x;y")
        );
        assert_eq!(
            header_name("[profile foo]# c", ParseMode::Strict),
            Some("profile foo")
        );
        assert_eq!(
            header_name("[profile foo]# c", ParseMode::AwsRunas),
            Some("profile foo")
        );
        assert_eq!(header_name("[a] junk", ParseMode::AwsRunas), None);
        assert_eq!(header_name("[a]b]", ParseMode::AwsRunas), Some("a]b"));
    }

    #[test]
    fn section_keys_split_at_the_first_blank() {
        assert_eq!(
            SectionKey::parse(" profile \t foo "),
            SectionKey {
                prefix: Some("profile"),
                name: "foo"
            }
        );
        assert_eq!(
            SectionKey::parse("foo"),
            SectionKey {
                prefix: None,
                name: "foo"
            }
        );
    }

    #[test]
    fn empty_bare_section_is_a_profile_only_in_strict_credentials() {
        let strict =
            parse_profile_text(None, Some((Path::new("c"), "[]\nk = v")), ParseMode::Strict)
                .unwrap();
        assert_eq!(strict.profile("").and_then(|p| p.get("k")), Some("v"));
        let runas = parse_profile_text(
            None,
            Some((Path::new("c"), "[]\nk = v")),
            ParseMode::AwsRunas,
        )
        .unwrap();
        assert!(runas.is_empty());
    }

    #[test]
    fn error_names_file_and_line() {
        let err = parse("# one\n[profile a]\nbroken line\n", ParseMode::AwsRunas).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config:3: Expected an '=' sign defining a property"
        );
    }
}

//! `write_section_atomically` on real files: symbolic links, missing directories, modes,
//! and concurrent writers.

use aws_runas_config_file::{ParseMode, SectionEdit, parse_profile_text, write_section_atomically};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn writes_through_a_symlink_to_the_real_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    let real = dir.path().join("real/credentials");
    fs::write(&real, "# keep me\n[other]\nk = v\n").unwrap();
    fs::create_dir(dir.path().join("home")).unwrap();
    let link = dir.path().join("home/credentials");
    symlink("../real/credentials", &link).unwrap();

    write_section_atomically(
        &link,
        "dev-awsrunas",
        &[("aws_access_key_id", "AKIDEXAMPLE")],
        SectionEdit::Replace,
    )
    .unwrap();

    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert_eq!(
        fs::read_to_string(&real).unwrap(),
        "# keep me\n[other]\nk = v\n\n[dev-awsrunas]\naws_access_key_id = AKIDEXAMPLE\n"
    );
    assert_eq!(mode_of(&real), 0o600);
    assert_eq!(mode_of(&dir.path().join("real/credentials.lock")), 0o600);
    assert!(
        !dir.path().join("home/credentials.lock").exists(),
        "the lock belongs next to the real file"
    );
}

#[test]
fn dangling_symlink_creates_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("credentials");
    symlink(dir.path().join("elsewhere/credentials"), &link).unwrap();
    write_section_atomically(&link, "a", &[("k", "v")], SectionEdit::Merge).unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("elsewhere/credentials")).unwrap(),
        "[a]\nk = v\n"
    );
}

#[test]
fn symlink_loop_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    symlink(dir.path().join("b"), &a).unwrap();
    symlink(&a, dir.path().join("b")).unwrap();
    let err = write_section_atomically(&a, "s", &[("k", "v")], SectionEdit::Replace).unwrap_err();
    assert!(
        err.to_string()
            .contains("too many levels of symbolic links"),
        "{err}"
    );
}

#[test]
fn missing_directories_are_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("home/.aws/credentials");
    write_section_atomically(
        &file,
        "dev-awsrunas",
        &[("aws_session_token", "FAKE")],
        SectionEdit::Replace,
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "[dev-awsrunas]\naws_session_token = FAKE\n"
    );
    assert_eq!(mode_of(&file), 0o600);
    for created in ["home", "home/.aws"] {
        let mode = mode_of(&dir.path().join(created));
        // 0750, less whatever the umask removes.
        assert_eq!(mode & !0o750, 0, "{created} has mode {mode:o}");
        assert_eq!(mode & 0o700, 0o700, "{created} has mode {mode:o}");
    }
}

#[test]
fn rewriting_keeps_other_bytes_and_fixes_the_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    fs::write(&file, "[a]\r\nk = 1\r\n\r\n[b]\r\nj = 2\r\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    write_section_atomically(&file, "a", &[("k", "9")], SectionEdit::Merge).unwrap();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "[a]\r\nk = 9\r\n\r\n[b]\r\nj = 2\r\n"
    );
    assert_eq!(mode_of(&file), 0o600);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn invalid_request_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new-dir/credentials");
    let err = write_section_atomically(&file, "a", &[("k", "two\nlines")], SectionEdit::Replace)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot write key `k` in section [a]: the value contains a line break"
    );
    assert!(!dir.path().join("new-dir").exists());
}

#[test]
fn non_utf8_file_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    fs::write(&file, b"[a]\nk = \xff\n").unwrap();
    let err =
        write_section_atomically(&file, "a", &[("k", "v")], SectionEdit::Replace).unwrap_err();
    assert!(
        err.to_string().ends_with("the file is not valid UTF-8"),
        "{err}"
    );
    assert_eq!(fs::read(&file).unwrap(), b"[a]\nk = \xff\n");
}

#[test]
fn concurrent_writers_of_different_sections_all_land() {
    const WRITERS: usize = 8;
    const ROUNDS: usize = 10;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    fs::write(&file, "# shared by everyone\n").unwrap();
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let file = &file;
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    let section = format!("writer-{writer}-awsrunas");
                    let round = round.to_string();
                    write_section_atomically(
                        file,
                        &section,
                        &[("round", &round)],
                        SectionEdit::Replace,
                    )
                    .unwrap();
                }
            });
        }
    });
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# shared by everyone\n"), "{text}");
    let set = parse_profile_text(None, Some((&file, &text)), ParseMode::AwsRunas).unwrap();
    for writer in 0..WRITERS {
        let section = format!("writer-{writer}-awsrunas");
        assert_eq!(
            set.profile(&section).and_then(|p| p.get("round")),
            Some("9"),
            "{section} missing in:\n{text}"
        );
        assert_eq!(
            text.matches(&format!("[{section}]")).count(),
            1,
            "{section} duplicated in:\n{text}"
        );
    }
}

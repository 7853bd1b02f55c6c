//! `ConfigFileStore` against real files in a temporary directory.

use aws_runas_config_file::{ConfigFileStore, FileLocations, ParseMode};
use aws_runas_domain::ports::profile_store::{ProfileStore, ProfileStoreError};
use std::fs;
use std::path::Path;

fn store_in(dir: &Path, mode: ParseMode) -> ConfigFileStore {
    ConfigFileStore::new(
        FileLocations::new(dir.join("config"), dir.join("credentials")),
        mode,
    )
}

#[test]
fn missing_files_are_empty() {
    let dir = tempfile::tempdir().unwrap();
    let set = store_in(dir.path(), ParseMode::AwsRunas).load().unwrap();
    assert!(set.is_empty());
    assert_eq!(set.sso_sessions().count(), 0);
}

#[test]
fn one_missing_file_does_not_hide_the_other() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("credentials"),
        "[dev]\naws_access_key_id = AKIDEXAMPLE\n",
    )
    .unwrap();
    let set = store_in(dir.path(), ParseMode::Strict).load().unwrap();
    assert_eq!(
        set.profile("dev").unwrap().get("aws_access_key_id"),
        Some("AKIDEXAMPLE")
    );
}

#[test]
fn files_are_merged_and_credentials_win_with_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("config"),
        "[profile dev]\nregion = eu-west-1\naws_access_key_id = FROMCONFIG\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("credentials"),
        "# keys\n[dev]\naws_access_key_id = FROMCREDS\n",
    )
    .unwrap();
    let set = store_in(dir.path(), ParseMode::AwsRunas).load().unwrap();
    let dev = set.profile("dev").unwrap();
    assert_eq!(dev.get("region"), Some("eu-west-1"));
    let key = dev.property("aws_access_key_id").unwrap();
    assert_eq!(key.value(), "FROMCREDS");
    let origin = key.origin().unwrap();
    assert_eq!(
        (origin.file.as_path(), origin.line),
        (dir.path().join("credentials").as_path(), 3)
    );
    let region = dev.property("region").unwrap().origin().unwrap();
    assert_eq!(
        (region.file.as_path(), region.line),
        (dir.path().join("config").as_path(), 2)
    );
}

#[test]
fn unreadable_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be cannot be read (this holds even for root, unlike
    // permission bits).
    fs::create_dir(dir.path().join("config")).unwrap();
    let err = store_in(dir.path(), ParseMode::AwsRunas)
        .load()
        .unwrap_err();
    match &err {
        ProfileStoreError::Io { file, .. } => assert_eq!(file, &dir.path().join("config")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert!(err.to_string().starts_with(&format!(
        "cannot read {}",
        dir.path().join("config").display()
    )));
}

#[test]
fn parse_error_names_the_credentials_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("config"), "[default]\nregion = us-east-1\n").unwrap();
    fs::write(dir.path().join("credentials"), "[dev]\n\n= nameless\n").unwrap();
    let err = store_in(dir.path(), ParseMode::Strict).load().unwrap_err();
    let credentials = dir.path().join("credentials");
    assert_eq!(
        err.to_string(),
        format!("{}:3: Property did not have a name", credentials.display())
    );
}

#[test]
fn paths_are_exposed_for_the_cache_directory() {
    let store = ConfigFileStore::new(
        FileLocations::new("/x/config", "/y/credentials"),
        ParseMode::AwsRunas,
    );
    assert_eq!(store.config_path(), Path::new("/x/config"));
    assert_eq!(store.credentials_path(), Path::new("/y/credentials"));
}

#[test]
fn every_load_reads_the_files_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path(), ParseMode::AwsRunas);
    assert!(store.load().unwrap().profile("a").is_none());
    fs::write(dir.path().join("config"), "[a]\nk = v\n").unwrap();
    assert_eq!(
        store.load().unwrap().profile("a").unwrap().get("k"),
        Some("v")
    );
}

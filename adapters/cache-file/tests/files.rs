//! Entry files: round trips, the exact layout and name, confinement to the directory, corrupt files, modes.

use crate::support::{entry, key, names_in, path_of, temp_cache};
use aws_runas_cache_file::FileCache;
use aws_runas_domain::ports::cache::{
    CacheEntry, CacheError, CacheKey, CacheKind, CredentialCache,
};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use std::fs;

#[test]
fn round_trip() {
    let (_dir, cache) = temp_cache();
    let k = key("dev");
    assert_eq!(cache.load(&k).unwrap(), None);
    cache.store(&k, &entry("one")).unwrap();
    assert_eq!(cache.load(&k).unwrap(), Some(entry("one")));
    cache.store(&k, &entry("two")).unwrap();
    assert_eq!(cache.load(&k).unwrap(), Some(entry("two")));
}

#[test]
fn kinds_do_not_share_files() {
    let (dir, cache) = temp_cache();
    let kinds = [
        CacheKind::SessionToken,
        CacheKind::AssumeRole,
        CacheKind::SamlRole,
        CacheKind::WebRole,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        cache
            .store(&CacheKey::new(kind, "p"), &entry(&i.to_string()))
            .unwrap();
    }
    for (i, kind) in kinds.into_iter().enumerate() {
        assert_eq!(
            cache.load(&CacheKey::new(kind, "p")).unwrap(),
            Some(entry(&i.to_string()))
        );
    }
    assert_eq!(
        names_in(dir.path()),
        [
            ".aws_assume_role_p",
            ".aws_saml_role_p",
            ".aws_session_token_p",
            ".aws_web_role_p"
        ]
    );
}

#[test]
fn plain_profile_gets_the_original_name_and_layout() {
    let (dir, cache) = temp_cache();
    let k = key("my-profile");
    let e = CacheEntry {
        credentials: Credentials::new(
            "ASIAFAKEKEY",
            Secret::new("fake/secret+key"),
            Some(Secret::new("fake-token")),
            Some(Timestamp::from_unix(1_714_568_400)),
        ),
        fingerprint: "abc123".into(),
    };
    cache.store(&k, &e).unwrap();
    assert_eq!(names_in(dir.path()), [".aws_assume_role_my-profile"]);
    let text = fs::read_to_string(dir.path().join(".aws_assume_role_my-profile")).unwrap();
    assert_eq!(
        text,
        "{\"AccessKeyId\":\"ASIAFAKEKEY\",\"Expiration\":\"2024-05-01T13:00:00Z\",\
         \"SecretAccessKey\":\"fake/secret+key\",\"SessionToken\":\"fake-token\",\"Fingerprint\":\"abc123\"}\n"
    );
    assert_eq!(
        cache.describe(&k),
        dir.path()
            .join(".aws_assume_role_my-profile")
            .display()
            .to_string()
    );
}

#[test]
fn long_term_keys_leave_out_token_and_expiration() {
    let (dir, cache) = temp_cache();
    let k = CacheKey::new(CacheKind::SessionToken, "dev_admin");
    let e = CacheEntry {
        credentials: Credentials::new("AKIAFAKE", Secret::new("s"), None, None),
        fingerprint: String::new(),
    };
    cache.store(&k, &e).unwrap();
    let text = fs::read_to_string(dir.path().join(".aws_session_token_dev_admin")).unwrap();
    assert_eq!(
        text,
        "{\"AccessKeyId\":\"AKIAFAKE\",\"SecretAccessKey\":\"s\",\"Fingerprint\":\"\"}\n"
    );
    assert_eq!(cache.load(&k).unwrap(), Some(e));
}

#[test]
fn hostile_names_stay_inside_the_directory() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("cache");
    let cache = FileCache::new(&dir);
    let names = [
        "..",
        ".",
        "../escape",
        "../../escape",
        "a/b",
        "/abs",
        "c:\\x",
        "c:x",
        "100%",
        "%2E%2E",
        "%2F",
        "a\\..\\b",
        "",
        "x.lock",
        "x.tmp",
        " ",
        "\n",
        "é",
    ];
    for (i, name) in names.iter().enumerate() {
        let k = key(name);
        cache.store(&k, &entry(&i.to_string())).unwrap();
        let path = path_of(&cache, &k);
        assert_eq!(
            path.parent(),
            Some(dir.as_path()),
            "{name:?} -> {}",
            path.display()
        );
        let _lock = cache.try_lock(&k).unwrap().expect("free lock");
    }
    // Every name got its own file (and lock file), and each still holds its own entry.
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            cache.load(&key(name)).unwrap(),
            Some(entry(&i.to_string())),
            "{name:?}"
        );
    }
    assert_eq!(names_in(&dir).len(), names.len() * 2);
    assert_eq!(names_in(outer.path()), ["cache"]);
    let expected = [
        (".aws_assume_role_%2E.", ".."),
        (".aws_assume_role_%2E.%2Fescape", "../escape"),
        (".aws_assume_role_a%2Fb", "a/b"),
        (".aws_assume_role_c%3A%5Cx", "c:\\x"),
        (".aws_assume_role_100%25", "100%"),
        (".aws_assume_role_x%2Elock", "x.lock"),
    ];
    for (file, name) in expected {
        assert_eq!(path_of(&cache, &key(name)), dir.join(file));
    }
}

#[test]
fn a_name_ending_in_lock_never_replaces_a_lock_file() {
    let (dir, cache) = temp_cache();
    let _held = cache.try_lock(&key("x")).unwrap().unwrap();
    cache.store(&key("x.lock"), &entry("1")).unwrap();
    assert!(
        cache.try_lock(&key("x")).unwrap().is_none(),
        "the held lock file was replaced"
    );
    assert_eq!(
        names_in(dir.path()),
        [".aws_assume_role_x%2Elock", ".aws_assume_role_x.lock"]
    );
}

#[test]
fn broken_files_are_misses_and_get_replaced() {
    let (_dir, cache) = temp_cache();
    let k = key("p");
    cache.store(&k, &entry("good")).unwrap();
    let good = fs::read_to_string(path_of(&cache, &k)).unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("truncated", good[..good.len() / 2].to_owned()),
        ("not json", "AccessKeyId=ASIA\n".into()),
        (
            "no secret",
            "{\"AccessKeyId\":\"ASIAX\",\"SessionToken\":\"t\"}\n".into(),
        ),
        ("no key id", "{\"SecretAccessKey\":\"s\"}\n".into()),
        (
            "bad expiration",
            good.replace("2024-05-01T13:00:00Z", "soon"),
        ),
        ("binary", "\u{0}\u{1}\u{2}".into()),
    ];
    for (what, contents) in cases {
        fs::write(path_of(&cache, &k), contents).unwrap();
        assert_eq!(cache.load(&k).unwrap(), None, "{what}");
        cache.store(&k, &entry(what)).unwrap();
        assert_eq!(cache.load(&k).unwrap(), Some(entry(what)), "{what}");
    }
}

#[test]
fn a_directory_in_the_way_is_a_miss_not_an_error() {
    let (_dir, cache) = temp_cache();
    let k = key("p");
    fs::create_dir(path_of(&cache, &k)).unwrap();
    assert_eq!(cache.load(&k).unwrap(), None);
}

#[test]
fn incomplete_credentials_are_refused() {
    let (dir, cache) = temp_cache();
    let k = key("p");
    let e = CacheEntry {
        credentials: Credentials::new("ASIAX", Secret::new(""), None, None),
        fingerprint: "f".into(),
    };
    let err = cache.store(&k, &e).unwrap_err();
    assert!(
        matches!(err, CacheError::Io { ref path, .. } if path.ends_with(".aws_assume_role_p")),
        "{err:?}"
    );
    assert!(err.to_string().contains(".aws_assume_role_p"), "{err}");
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[test]
fn remove_deletes_the_entry_and_tolerates_a_missing_one() {
    let (dir, cache) = temp_cache();
    let k = key("p");
    cache.remove(&k).unwrap();
    cache.store(&k, &entry("1")).unwrap();
    drop(cache.try_lock(&k).unwrap());
    cache.remove(&k).unwrap();
    assert_eq!(cache.load(&k).unwrap(), None);
    assert_eq!(
        names_in(dir.path()),
        [".aws_assume_role_p.lock"],
        "the lock file stays"
    );
    cache.remove(&k).unwrap();
}

#[test]
fn missing_directory_is_created_on_store() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("a").join("b");
    let cache = FileCache::new(&dir);
    assert_eq!(cache.load(&key("p")).unwrap(), None);
    assert!(!dir.exists(), "load creates nothing");
    cache.store(&key("p"), &entry("1")).unwrap();
    assert_eq!(cache.load(&key("p")).unwrap(), Some(entry("1")));
    #[cfg(unix)]
    {
        // The umask may narrow 0750 but never widen it.
        let mode = crate::support::mode(&dir);
        assert_eq!(mode & !0o750, 0, "{mode:o}");
    }
}

#[cfg(unix)]
#[test]
fn entry_files_are_owner_only_even_over_a_loose_file() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, cache) = temp_cache();
    let k = key("p");
    let path = path_of(&cache, &k);
    fs::write(&path, "old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    cache.store(&k, &entry("1")).unwrap();
    assert_eq!(crate::support::mode(&path), 0o600);
    drop(cache.lock(&k, std::time::Duration::from_secs(1)).unwrap());
    assert_eq!(
        crate::support::mode(&dir.path().join(".aws_assume_role_p.lock")),
        0o600
    );
}

#[test]
fn errors_name_the_file_and_hide_secrets() {
    let outer = tempfile::tempdir().unwrap();
    // A file where the cache directory should be makes every write fail.
    let blocker = outer.path().join("not-a-dir");
    fs::write(&blocker, "").unwrap();
    let cache = FileCache::new(&blocker);
    let err = cache.store(&key("p"), &entry("leak")).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("not-a-dir"), "{text}");
    assert!(
        !text.contains("fake-secret") && !text.contains("fake-token"),
        "{text}"
    );
    assert!(cache.try_lock(&key("p")).is_err());
    assert_eq!(cache.load(&key("p")).unwrap(), None);
}

//! Entry locks: try_lock, lock with a timeout, release on drop, exclusion between threads.

use crate::support::{key, path_of, temp_cache};
use aws_runas_domain::ports::cache::{CacheError, CredentialCache};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn try_lock_is_refused_while_held_and_granted_after_release() {
    let (_dir, cache) = temp_cache();
    let k = key("p");
    let held = cache.try_lock(&k).unwrap().expect("free lock");
    assert!(cache.try_lock(&k).unwrap().is_none());
    assert!(
        cache.try_lock(&key("other")).unwrap().is_some(),
        "locks are per entry"
    );
    drop(held);
    assert!(cache.try_lock(&k).unwrap().is_some());
}

#[test]
fn lock_times_out_naming_the_lock_file() {
    let (_dir, cache) = temp_cache();
    let k = key("p");
    let _held = cache.try_lock(&k).unwrap().unwrap();
    let err = cache.lock(&k, Duration::from_millis(200)).unwrap_err();
    let lock_file = format!("{}.lock", path_of(&cache, &k).display());
    match &err {
        CacheError::LockTimeout { path, waited_secs } => {
            assert_eq!(path, &lock_file);
            assert_eq!(
                *waited_secs, 1,
                "a sub-second wait is reported as one second"
            );
        }
        other => panic!("expected LockTimeout, got {other:?}"),
    }
    assert!(err.to_string().contains(&lock_file), "{err}");
}

#[test]
fn lock_is_granted_once_the_holder_lets_go() {
    let (_dir, cache) = temp_cache();
    let k = key("p");
    let held = cache.try_lock(&k).unwrap().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            let got = cache.lock(&k, Duration::from_secs(30));
            tx.send(got.is_ok()).unwrap();
        });
        // The waiter must not get the lock while we hold it.
        assert!(
            rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "lock granted while held"
        );
        drop(held);
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(true));
    });
}

#[test]
fn locks_exclude_other_threads_of_the_process() {
    let (_dir, cache) = temp_cache();
    let k = key("p");
    let held = cache.try_lock(&k).unwrap().unwrap();
    std::thread::scope(|s| {
        let refused = s
            .spawn(|| cache.try_lock(&k).unwrap().is_none())
            .join()
            .unwrap();
        assert!(refused, "another thread took a held lock");
    });
    drop(held);
    std::thread::scope(|s| {
        let granted = s
            .spawn(|| cache.try_lock(&k).unwrap().is_some())
            .join()
            .unwrap();
        assert!(granted, "a released lock was refused");
    });
}

#[test]
fn a_lock_guard_can_move_between_threads() {
    let (_dir, cache) = temp_cache();
    let k = key("p");
    let held = cache.try_lock(&k).unwrap().unwrap();
    std::thread::spawn(move || drop(held)).join().unwrap();
    assert!(cache.try_lock(&k).unwrap().is_some());
}

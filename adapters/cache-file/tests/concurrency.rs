//! Many threads sharing one entry: no torn reads, and exactly one refresh per round.

use crate::support::{assert_consistent, entry, key, temp_cache};
use aws_runas_domain::ports::cache::{CacheKey, CacheLock, CredentialCache};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Duration;

const THREADS: usize = 16;
const ROUNDS: usize = 50;
const READERS: usize = 2;

/// Takes the entry's lock the way a caller would: `try_lock` first (even threads), else wait.
fn take_lock(cache: &dyn CredentialCache, k: &CacheKey, t: usize) -> Box<dyn CacheLock> {
    if t.is_multiple_of(2)
        && let Some(held) = cache.try_lock(k).unwrap()
    {
        return held;
    }
    cache.lock(k, Duration::from_secs(60)).unwrap()
}

/// The tag of the entry in the cache, checking that it is whole.
fn current(cache: &dyn CredentialCache, k: &CacheKey) -> Option<String> {
    cache.load(k).unwrap().map(|e| assert_consistent(&e))
}

/// One thread's part in one round: refresh the entry unless someone already did.
fn play_round(
    cache: &dyn CredentialCache,
    k: &CacheKey,
    t: usize,
    round: usize,
    refreshes: &AtomicUsize,
) {
    let want = round.to_string();
    // Once the first store is done the file is always whole, so a miss means a torn file.
    let found = current(cache, k);
    assert!(
        round == 0 || found.is_some(),
        "an entry vanished or was read half-written"
    );
    // The entry of the previous round is stale in this one.
    if found.as_ref() != Some(&want) {
        let held = take_lock(cache, k, t);
        if current(cache, k).as_ref() != Some(&want) {
            refreshes.fetch_add(1, Ordering::SeqCst);
            cache.store(k, &entry(&want)).unwrap();
        }
        drop(held);
    }
    assert_eq!(current(cache, k), Some(want));
}

#[test]
fn threads_refresh_once_per_round_and_never_see_a_torn_file() {
    let (_dir, cache) = temp_cache();
    let k = key("shared");
    let barrier = Barrier::new(THREADS);
    let refreshes: Vec<AtomicUsize> = (0..ROUNDS).map(|_| AtomicUsize::new(0)).collect();
    let done = AtomicBool::new(false);
    let failed = AtomicBool::new(false);
    let first_panic = Mutex::new(None);
    let reads = AtomicUsize::new(0);
    std::thread::scope(|s| {
        // Readers load without locks all the time, to catch a file caught half-written.
        for _ in 0..READERS {
            s.spawn(|| {
                let mut seen = false;
                while !done.load(Ordering::Relaxed) {
                    let got = current(&cache, &k);
                    assert!(
                        got.is_some() || !seen,
                        "an entry vanished or was read half-written"
                    );
                    seen |= got.is_some();
                    reads.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (cache, k, barrier, refreshes) = (&cache, &k, &barrier, &refreshes);
                let (failed, first_panic) = (&failed, &first_panic);
                s.spawn(move || {
                    for (round, count) in refreshes.iter().enumerate() {
                        barrier.wait();
                        // A failing thread keeps meeting the barrier so that the others do not hang.
                        if !failed.load(Ordering::SeqCst)
                            && let Err(panic) = catch_unwind(AssertUnwindSafe(|| {
                                play_round(cache, k, t, round, count)
                            }))
                        {
                            failed.store(true, Ordering::SeqCst);
                            first_panic.lock().unwrap().get_or_insert(panic);
                        }
                        barrier.wait();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("worker panics are caught");
        }
        done.store(true, Ordering::Relaxed);
    });
    if let Some(panic) = first_panic.into_inner().unwrap() {
        std::panic::resume_unwind(panic);
    }
    let counts: Vec<usize> = refreshes.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert_eq!(counts, vec![1; ROUNDS], "refreshes per round");
    assert!(reads.load(Ordering::Relaxed) > 0);
}

use crate::pool::*;
use crate::testutil::THREAD_LOCK;
use crate::KernelError;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn set_threads_validates_and_applies() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(set_num_threads(0), Err(KernelError::InvalidThreads(0)));
    assert_eq!(
        set_num_threads(u32::MAX as usize),
        Err(KernelError::InvalidThreads(u32::MAX as usize))
    );
    assert!(set_num_threads(MAX_THREADS + 1).is_err());
    set_num_threads(3).unwrap();
    assert_eq!(num_threads(), 3);
    let n = install(rayon::current_num_threads);
    assert_eq!(n, 3);
    set_num_threads(2).unwrap();
    assert_eq!(install(rayon::current_num_threads), 2);
}

#[test]
fn parallel_for_covers_range_exactly_once() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    set_num_threads(2).unwrap();
    for &(len, min) in &[
        (0usize, 1usize),
        (1, 1),
        (10, 100),
        (1000, 10),
        (100_003, 1000),
    ] {
        let hits: Vec<AtomicUsize> = (0..len).map(|_| AtomicUsize::new(0)).collect();
        let calls = AtomicUsize::new(0);
        parallel_for(len, min, |r| {
            calls.fetch_add(1, Ordering::Relaxed);
            assert!(r.len() >= min.min(len) || r.end == len);
            for i in r {
                hits[i].fetch_add(1, Ordering::Relaxed);
            }
        });
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        if len < 2 * min {
            assert!(calls.load(Ordering::Relaxed) <= 1);
        }
    }
}

#[test]
fn install_nested_does_not_deadlock() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    set_num_threads(2).unwrap();
    let v = install(|| install(|| 7));
    assert_eq!(v, 7);
    // parallel_for from inside a worker still works (rayon nests in-pool).
    let sum = AtomicUsize::new(0);
    install(|| {
        parallel_for(100_000, 1000, |r| {
            sum.fetch_add(r.len(), Ordering::Relaxed);
        })
    });
    assert_eq!(sum.load(Ordering::Relaxed), 100_000);
}

#[test]
fn set_threads_concurrently_with_work() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let worker = std::thread::spawn(|| {
        let mut total = 0usize;
        for _ in 0..50 {
            let s = AtomicUsize::new(0);
            parallel_for(50_000, 1000, |r| {
                s.fetch_add(r.len(), Ordering::Relaxed);
            });
            total += s.load(Ordering::Relaxed);
        }
        total
    });
    for i in 0..20 {
        set_num_threads(1 + i % 3).unwrap();
    }
    assert_eq!(worker.join().unwrap(), 50 * 50_000);
    set_num_threads(2).unwrap();
}

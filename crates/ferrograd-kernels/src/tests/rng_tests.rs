use crate::rng::philox;
use crate::testutil::THREAD_LOCK;
use crate::{fill_normal, fill_uniform, set_num_threads};

#[test]
fn philox_known_answer() {
    // Random123 known-answer test for philox4x32-10, counter 0 / key 0.
    assert_eq!(
        philox(0, 0),
        [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
    );
}

#[test]
fn deterministic_across_threads_and_chunks() {
    let _g = THREAD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let n = 200_003;
    let mut results = Vec::new();
    for threads in [1, 2, 3] {
        set_num_threads(threads).unwrap();
        let mut u = vec![0.0; n];
        let mut z = vec![0.0; n];
        fill_uniform(&mut u, 1234, 17, -2.0, 3.0);
        fill_normal(&mut z, 1234, 17, 0.5, 2.0);
        results.push((u, z));
    }
    set_num_threads(2).unwrap();
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    // Generating in uneven pieces with matching offsets gives the same stream.
    let (u, z) = &results[0];
    let mut pu = vec![0.0; n];
    let mut pz = vec![0.0; n];
    let cuts = [0, 1, 6, 1001, 77_777, n];
    for w in cuts.windows(2) {
        fill_uniform(&mut pu[w[0]..w[1]], 1234, 17 + w[0] as u64, -2.0, 3.0);
        fill_normal(&mut pz[w[0]..w[1]], 1234, 17 + w[0] as u64, 0.5, 2.0);
    }
    assert_eq!(&pu, u);
    assert_eq!(&pz, z);
    // A different seed gives a different stream.
    let mut other = vec![0.0; 16];
    fill_uniform(&mut other, 1235, 17, -2.0, 3.0);
    assert_ne!(&other[..], &u[..16]);
}

#[test]
fn uniform_range_and_moments() {
    let n = 1_000_000;
    let mut u = vec![0.0; n];
    fill_uniform(&mut u, 7, 0, -1.0, 3.0);
    assert!(u.iter().all(|&v| (-1.0..3.0).contains(&v)));
    let mean = u.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let var = u
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    assert!((var - 16.0 / 12.0).abs() < 0.01, "var {var}");
    // Degenerate / rounding-prone ranges stay half-open.
    let mut w = vec![0.0; 10_000];
    fill_uniform(&mut w, 9, 0, 1.0, 1.000_000_1);
    assert!(w.iter().all(|&v| (1.0..1.000_000_1).contains(&v)));
}

#[test]
fn normal_moments() {
    let n = 1_000_000;
    let mut z = vec![0.0; n];
    fill_normal(&mut z, 99, 5, 3.0, 0.5);
    assert!(z.iter().all(|v| v.is_finite()));
    let mean = z.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let var = z
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    assert!((mean - 3.0).abs() < 0.003, "mean {mean}");
    assert!((var.sqrt() - 0.5).abs() < 0.003, "std {}", var.sqrt());
    // Roughly 68.3% within one sigma.
    let within = z.iter().filter(|&&v| (v - 3.0).abs() < 0.5).count() as f64 / n as f64;
    assert!((within - 0.6827).abs() < 0.003, "within {within}");
}

//! Prints the measured FP32 FMA peak for 1 and 2 threads (several runs).
fn main() {
    for _ in 0..3 {
        for t in [1, 2] {
            println!(
                "threads={t}: {:.1} GFLOP/s",
                ferrograd_kernels::measure_peak_gflops(t)
            );
        }
    }
}

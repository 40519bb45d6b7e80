//! Process-wide engine settings: thread pool, random seed, grad mode, CPU features.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{catch_panic, fg_error, ErrorCode};

/// Sets the size of the engine's single thread pool (all kernels share it).
#[napi(catch_unwind)]
pub fn set_num_threads(threads: i64) -> Result<(), ErrorCode> {
    let threads = usize::try_from(threads).map_err(|_| {
        fg_error(
            ErrorCode::Core("ValueError"),
            format!("setNumThreads: needs a positive integer, got {threads}"),
        )
    })?;
    ferrograd_core::set_num_threads(threads)
        .map_err(|e| fg_error(ErrorCode::Core("ValueError"), format!("setNumThreads: {e}")))
}

/// Current size of the thread pool.
#[napi(catch_unwind)]
pub fn get_num_threads() -> u32 {
    ferrograd_core::num_threads() as u32
}

/// Reseeds the global random generator (like `torch.manual_seed`).
#[napi(catch_unwind)]
pub fn manual_seed(seed: i64) -> Result<(), ErrorCode> {
    if seed < 0 {
        return Err(fg_error(
            ErrorCode::Core("ValueError"),
            format!("manualSeed: seed must be >= 0, got {seed}"),
        ));
    }
    ferrograd_core::manual_seed(seed as u64);
    Ok(())
}

/// Turns autograd recording on/off for the calling JS thread; returns the previous setting.
#[napi(catch_unwind)]
pub fn set_grad_enabled(enabled: bool) -> bool {
    ferrograd_core::set_grad_enabled(enabled)
}

/// Whether autograd recording is on for the calling JS thread.
#[napi(catch_unwind)]
pub fn is_grad_enabled() -> bool {
    ferrograd_core::is_grad_enabled()
}

/// The SIMD instruction set the kernels dispatched to at run time.
#[napi(catch_unwind)]
pub fn simd_level() -> String {
    format!("{:?}", ferrograd_kernels::simd_level())
}

/// Measures the machine's FP32 FMA peak on `threads` threads (GFLOP/s), off the JS thread.
#[napi(catch_unwind, ts_return_type = "Promise<number>")]
pub fn measure_peak_gflops(threads: u32) -> AsyncTask<PeakTask> {
    AsyncTask::new(PeakTask {
        threads: threads.max(1) as usize,
    })
}

pub struct PeakTask {
    threads: usize,
}

impl Task for PeakTask {
    type Output = f64;
    type JsValue = f64;

    fn compute(&mut self) -> Result<Self::Output> {
        let threads = self.threads;
        catch_panic("measurePeakGflops", || {
            Ok(ferrograd_kernels::measure_peak_gflops(threads))
        })
        .map_err(|e| Error::new(Status::GenericFailure, e.reason.clone()))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

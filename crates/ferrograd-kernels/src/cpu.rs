//! Runtime CPU feature detection.
//!
//! The library is compiled for the baseline target (no `target-cpu=native`),
//! so the fast paths are `#[target_feature]` functions selected here at run time.

use std::sync::OnceLock;

/// SIMD instruction set a kernel runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimdLevel {
    /// x86-64 AVX-512F (plus AVX2 and FMA), 16 f32 lanes.
    Avx512,
    /// x86-64 AVX2 + FMA, 8 f32 lanes.
    Avx2Fma,
    /// AArch64 NEON, 4 f32 lanes.
    Neon,
    /// Portable scalar code.
    Scalar,
}

impl SimdLevel {
    /// Ordering used when the environment asks for a *lower* level:
    /// a request is honoured only if it does not exceed the hardware.
    fn rank(self) -> u8 {
        match self {
            SimdLevel::Scalar => 0,
            SimdLevel::Neon | SimdLevel::Avx2Fma => 1,
            SimdLevel::Avx512 => 2,
        }
    }
}

/// Best level the hardware supports, ignoring the environment.
pub(crate) fn hardware_level() -> SimdLevel {
    static HW: OnceLock<SimdLevel> = OnceLock::new();
    *HW.get_or_init(detect_hardware)
}

#[cfg(target_arch = "x86_64")]
fn detect_hardware() -> SimdLevel {
    let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    if avx2 && is_x86_feature_detected!("avx512f") {
        SimdLevel::Avx512
    } else if avx2 {
        SimdLevel::Avx2Fma
    } else {
        SimdLevel::Scalar
    }
}

#[cfg(target_arch = "aarch64")]
fn detect_hardware() -> SimdLevel {
    if std::arch::is_aarch64_feature_detected!("neon") {
        SimdLevel::Neon
    } else {
        SimdLevel::Scalar
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detect_hardware() -> SimdLevel {
    SimdLevel::Scalar
}

/// Applies a `FERROGRAD_SIMD` request: it may only lower the level.
fn apply_override(hw: SimdLevel, request: Option<&str>) -> SimdLevel {
    let wanted = match request.map(|s| s.trim().to_ascii_lowercase()) {
        Some(s) if s == "scalar" => SimdLevel::Scalar,
        Some(s) if s == "avx2" => SimdLevel::Avx2Fma,
        Some(s) if s == "avx512" => SimdLevel::Avx512,
        Some(s) if s == "neon" => SimdLevel::Neon,
        _ => return hw,
    };
    if wanted == SimdLevel::Scalar || (wanted.rank() <= hw.rank() && supported(wanted)) {
        wanted
    } else {
        hw
    }
}

/// The SIMD level kernels use: detected once (cached), optionally lowered by
/// the environment variable `FERROGRAD_SIMD=scalar|avx2|avx512` (for testing
/// fallbacks; requests above the hardware are ignored).
pub fn simd_level() -> SimdLevel {
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let req = std::env::var("FERROGRAD_SIMD").ok();
        apply_override(hardware_level(), req.as_deref())
    })
}

/// Whether this CPU can execute code compiled for `level`.
pub(crate) fn supported(level: SimdLevel) -> bool {
    let hw = hardware_level();
    match level {
        SimdLevel::Scalar => true,
        SimdLevel::Avx512 => hw == SimdLevel::Avx512,
        SimdLevel::Avx2Fma => matches!(hw, SimdLevel::Avx512 | SimdLevel::Avx2Fma),
        SimdLevel::Neon => hw == SimdLevel::Neon,
    }
}

/// Every level this CPU can run, best first (used by tests to cover fallbacks).
#[cfg(test)]
pub(crate) fn available_levels() -> Vec<SimdLevel> {
    [
        SimdLevel::Avx512,
        SimdLevel::Avx2Fma,
        SimdLevel::Neon,
        SimdLevel::Scalar,
    ]
    .into_iter()
    .filter(|&l| supported(l))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_only_lowers() {
        let hw = hardware_level();
        assert_eq!(apply_override(hw, Some("scalar")), SimdLevel::Scalar);
        assert_eq!(apply_override(hw, None), hw);
        assert_eq!(apply_override(hw, Some("bogus")), hw);
        assert_eq!(
            apply_override(SimdLevel::Avx2Fma, Some("avx512")),
            SimdLevel::Avx2Fma
        );
        assert_eq!(
            apply_override(SimdLevel::Scalar, Some("avx2")),
            SimdLevel::Scalar
        );
        assert!(supported(simd_level()));
        assert!(available_levels().contains(&SimdLevel::Scalar));
    }
}

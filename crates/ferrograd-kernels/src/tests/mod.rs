//! Kernel tests against naive f64 references, at every SIMD level.

mod binary_tests;
mod conv_tests;
mod gemm_tests;
mod pool_tests;
mod pooling_tests;
mod recurrent_tests;
mod reduce_tests;
mod rng_tests;
mod softmax_tests;
mod strided_tests;
mod unary_tests;

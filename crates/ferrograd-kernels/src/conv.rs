//! 2-D convolution on NCHW data: the forward product and both backward
//! products, built on im2col and the packed GEMM ([`crate::sgemm`]).
//!
//! # Decision: NCHW activations, `[out, in/groups, kh, kw]` weights
//!
//! This is PyTorch's layout. Weights load from PyTorch checkpoints
//! (safetensors) and the parity fixtures map 1:1, with no transposes at the
//! boundary. It also suits im2col + GEMM: for one image the column matrix
//! `[C·kh·kw, OH·OW]` is filled from contiguous input rows (a stride-1
//! convolution copies whole row segments), and the GEMM result
//! `W[O × C·kh·kw] · col` *is* that image's `[O, OH, OW]` output block, so no
//! output transpose is needed. NHWC would turn im2col into copies of `C`-long
//! pixel vectors (better for large `C`), but every PyTorch-shaped weight and
//! every NCHW tensor crossing the API would need a layout conversion.
//!
//! # Algorithms (per image `n` and group `g`; `K = C/groups·kh·kw`, `P = OH·OW`)
//!
//! * Forward: `Y_tile = W_g[O/g × K] · col_tile[K × cols]` into a scratch
//!   matrix pre-filled with the bias, then copied into each image's block. A
//!   tile is a run of output rows that may span several images (as for the
//!   weight gradient), so the GEMM's `N` is up to `COL_TILE / K` wide instead
//!   of one image's `P`: a 14×14 plane alone fills 6.1 of the micro-kernel's
//!   32-wide tiles (12.5% of the FMAs wasted on the ragged edge).
//! * Input gradient (also the transposed convolution): `col_tile = W_gᵀ ·
//!   dY_tile` (same multi-image tiles, `dY` gathered into a `[O × cols]`
//!   matrix when the tile spans images), then col2im adds every column back
//!   onto the input positions it was read from, image by image.
//!   Benchmark CNN conv2, 1 thread, GEMM alone (64 images of work):
//!   forward `64×196×800` per image 7.6 ms vs `64×1176×800` per 6 images
//!   6.2 ms; input gradient `800×196×64` 6.5 ms vs `800×1176×64` 5.3 ms.
//!   Whole kernels: forward 9.2–9.5 → 7.9–8.1 ms, input gradient 8.8–9.0 →
//!   8.0 ms.
//! * Weight gradient: `dW_g = Σ_tiles dY_tile · col_tileᵀ`. A tile is a run of
//!   output rows that may span several images, so the GEMM's inner dimension
//!   is long: one large GEMM per tile instead of `N` small ones. It is computed
//!   transposed, `dW_gᵀ[K × O/g] += col_tile · dY_tileᵀ`, then transposed once:
//!   the long `K` side becomes the GEMM's rows and `O/g` (32, 64, ...) fills
//!   whole 32-wide register tiles, and only the small `dY` tile needs the
//!   transposing pack (before, all of `col` was packed transposed). conv2 of
//!   the benchmark CNN, 1 thread: weight gradient 10.4 → 8.2–8.7 ms.
//! * 1×1 kernels with stride 1 and no padding skip im2col: `col(X[n,g])` is
//!   `X[n,g]` itself, so the forward and input-gradient GEMMs read or write
//!   the tensors directly.
//! * Stride 1 with output width = input width (`same` padding): all output
//!   rows of one kernel tap read one shifted run of the input plane, so
//!   im2col is one copy per tap and image (plus zeroing the one or two
//!   columns that wrapped around an edge) instead of one per output row, and
//!   col2im one long add. On the benchmark CNN this cut im2col/col2im time
//!   roughly in half (conv2 forward 10.4 → 9.3 ms, input gradient 9.5 →
//!   8.5 ms on 1 thread).
//!
//! # Threads
//!
//! Forward and input gradient: with at least as many images as threads, the
//! pool runs one contiguous block of images per thread (tiles then span
//! images only inside a block), and each thread uses single-threaded GEMMs
//! (so no nested splitting or oversubscription). With fewer images, the
//! tiles run one after another and each GEMM may use all threads. Tiles are
//! cut on one fixed grid of output rows, clipped to the blocks, so each
//! image's rows are always cut at the same places. The weight gradient reduces over images, so it runs tile after
//! tile, with the im2col rows and the GEMM split across the pool. The result
//! is bit-identical for every thread count: each output element always gets
//! the same sequence of operations.
//!
//! # Measured
//!
//! `cargo run --release -p ferrograd-core --example conv_bench` against
//! `scripts/bench_torch_conv.py` (PyTorch 1.13, oneDNN), same shapes and
//! float32, 2-vCPU Zen 5 VM, medians of 30, two runs each. Benchmark CNN
//! features: input `[64, 1, 28, 28]`, conv 5×5×32 `same` + relu + maxpool 2,
//! conv 5×5×64 `same` + relu + maxpool 2; each row is forward + backward.
//!
//! | ms                 | ours, 1 thr | torch, 1 thr | ours, 2 thr | torch, 2 thr |
//! |--------------------|------------:|-------------:|------------:|-------------:|
//! | conv1 (no dX)      | 2.6–2.8     | 1.2–1.3      | 2.5–2.9     | 0.7–0.8      |
//! | relu + pool1       | 8.1–8.2     | 7.3          | 5.1–5.2     | 4.0–5.1      |
//! | conv2              | 28.0–28.7   | 16.1         | 15.6–16.4   | 7.8–8.1      |
//! | relu + pool2       | 3.4–3.6     | 3.2–3.3      | 2.2         | 1.6–1.7      |
//! | whole network      | 42.7–43.1   | 33.1–34.1    | 25.9–26.6   | 14.5–14.7    |
//!
//! Kernels alone, conv2, 1 thread: forward 8.9 ms (144 GFLOP/s), input
//! gradient 8.4–8.6 ms (150), weight gradient 9.8 ms (131); the packed GEMM
//! reaches 176 GFLOP/s on the forward's per-image `64×196×800` product, so
//! the rest is im2col/col2im. oneDNN's direct convolution runs the same
//! three products at ~240 GFLOP/s. conv1's weight gradient (`32×25` output,
//! long inner dimension) does not speed up on 2 threads: the GEMM can only
//! split its 32 rows into uneven register tiles.
//!
//! After multi-image tiles, the transposed weight gradient and the
//! branch-free max pool (`pooling.rs`), one later session on a loaded host
//! (the second vCPU was busy, so only 1-thread rows are comparable; three
//! alternating runs each of the old binary, the new one and torch):
//!
//! | ms, 1 thread   | before       | after       | torch        |
//! |----------------|-------------:|------------:|-------------:|
//! | conv1 (no dX)  | 3.0–3.2      | 2.3–2.5     | 1.6; 9.5 in 2 of 3 runs |
//! | relu + pool1   | 8.5–8.7      | 2.9–3.3     | 8.1–8.8      |
//! | conv2          | 29.2–29.7    | 24.6–25.5   | 16.5–17.2    |
//! | relu + pool2   | 3.7–3.8      | 1.3–1.4     | 3.3          |
//! | whole network  | 43.8–44.9    | 31.4–31.9   | 28.2–29.2 (36.5 once) |
//!
//! Kernels alone, 1 thread, before → after: conv2 forward 9.2–9.5 →
//! 8.0–8.3 ms, input gradient 8.8–9.0 → 7.7–7.8, weight gradient 10.4–10.5
//! → 7.9–8.2; conv1 forward 0.61 → 0.58–0.62, input gradient 0.67–0.69 →
//! 0.67–0.70, weight gradient 1.63–1.69 → 1.13–1.14.
//!
//! Tried and dropped (1 thread, same sessions): forward/input-gradient tiles
//! of 2^19 or 2^18 floats instead of 2^20 (conv2 forward 8.0–8.2 / 8.5–8.9 ms
//! vs 7.8–7.9); capping those tiles at 2048 columns (no change); an 8×48
//! AVX-512 register tile for 64-row products (forward GEMM `64×1176×800`
//! 6.2 ms vs 5.9–6.1 with 14×32); transposing `dY` once per weight-gradient
//! tile so the GEMM packs it by row copies (conv2 weight gradient 8.2–8.4 vs
//! 7.9 ms, conv1 1.50–1.54 vs 1.43); fixed-size row copies in `pack_b`
//! (within noise).
//!
//! # Memory
//!
//! Column matrices are built in tiles of whole output rows, at most
//! [`COL_TILE`] floats (unless a single output row needs more), in a per-thread
//! scratch buffer that is reused across calls. A buffer that cannot be
//! allocated gives [`KernelError::Alloc`].

mod im2col;

use crate::error::KernelError;
use crate::gemm::sgemm_in;
use crate::pool::{num_threads, parallel_rows_mut};
use crate::scratch::{with_scratch, FirstError};
use im2col::{col2im_add, im2col_rows, mask_wrapped_columns};

/// Largest column tile in floats (4 MiB). Large enough that the GEMM's
/// operands dwarf its packing overhead; small enough to bound memory and to
/// keep a weight-gradient tile near the cache (measured with
/// `examples/conv_bench.rs`, 1 thread: conv2 weight gradient 9.9 ms at 2^20
/// vs 11.5 ms at 2^21 and 11.9 ms at 2^22; 2^19 was no better).
const COL_TILE: usize = 1 << 20;

/// Column tiles of the forward and input-gradient products span images only when one output
/// plane is narrower than this. A wider plane already fills the GEMM's `N`, and a tile inside one
/// image multiplies straight into the output (forward) and reads `dY` in place (input gradient):
/// conv1 of the benchmark CNN (`P = 784`, `K = 25`, where those copies cost about as much as 3
/// multiply-adds per element) ran its forward in 0.67–0.72 ms with spanning tiles and 0.61 ms
/// without.
const SPAN_MIN_PLANE: usize = 512;

/// Smallest amount of work (multiply-adds) worth giving one task; below it a
/// fork/join (~15–20 µs on the dev VM) costs more than it saves.
const MIN_TASK_MACS: usize = 1 << 18;

/// Shape and hyper-parameters of one 2-D convolution, in the orientation of
/// the forward product: `input [batch, in_channels, in_h, in_w]`,
/// `weight [out_channels, in_channels/groups, kernel.0, kernel.1]`,
/// `output [batch, out_channels, out_h, out_w]`.
///
/// Output position `(oh, ow)` reads input row `oh·stride.0 + i·dilation.0 - pad.0`
/// for tap row `i` (and likewise for columns); rows outside `0..in_h` are
/// zero padding. The output size is explicit, so the bottom/right padding is
/// implied and may differ from the top/left padding (TensorFlow-style `same`,
/// or the adjoint geometry of a transposed convolution with `output_padding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    /// Number of images `N`.
    pub batch: usize,
    /// Input channels `C`.
    pub in_channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output channels `O`.
    pub out_channels: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
    /// Kernel `(kh, kw)`.
    pub kernel: (usize, usize),
    /// Stride `(sh, sw)`, at least 1.
    pub stride: (usize, usize),
    /// Zero padding before the first row and column `(top, left)`.
    pub pad: (usize, usize),
    /// Dilation `(dh, dw)`, at least 1.
    pub dilation: (usize, usize),
    /// Channel groups; must divide `in_channels` and `out_channels`.
    pub groups: usize,
}

/// Derived sizes of a validated geometry.
#[derive(Clone, Copy)]
struct Sizes {
    /// Channels per group (input, output).
    cg: usize,
    og: usize,
    /// Rows of one group's column matrix: `cg·kh·kw`.
    k: usize,
    in_plane: usize,
    out_plane: usize,
    input_len: usize,
    weight_len: usize,
    output_len: usize,
}

impl Conv2dGeometry {
    /// Validates the parameters and computes every size with overflow checks.
    fn sizes(&self, kernel: &'static str) -> Result<Sizes, KernelError> {
        let bad = |reason| KernelError::InvalidGeometry { kernel, reason };
        let ovf = KernelError::Overflow { kernel };
        if self.stride.0 == 0 || self.stride.1 == 0 {
            return Err(bad("stride must be at least 1"));
        }
        if self.dilation.0 == 0 || self.dilation.1 == 0 {
            return Err(bad("dilation must be at least 1"));
        }
        if self.kernel.0 == 0 || self.kernel.1 == 0 {
            return Err(bad("kernel must be at least 1x1"));
        }
        if self.groups == 0
            || !self.in_channels.is_multiple_of(self.groups)
            || !self.out_channels.is_multiple_of(self.groups)
        {
            return Err(bad("groups must divide both channel counts"));
        }
        // Every coordinate the kernels compute must fit in usize.
        let reach = |out: usize, s: usize, k: usize, d: usize, inp: usize, pad: usize| {
            out.saturating_sub(1)
                .checked_mul(s)
                .and_then(|a| (k - 1).checked_mul(d).and_then(|b| a.checked_add(b)))
                .and(inp.checked_add(pad))
        };
        let (kh, kw) = self.kernel;
        reach(
            self.out_h,
            self.stride.0,
            kh,
            self.dilation.0,
            self.in_h,
            self.pad.0,
        )
        .ok_or(ovf.clone())?;
        reach(
            self.out_w,
            self.stride.1,
            kw,
            self.dilation.1,
            self.in_w,
            self.pad.1,
        )
        .ok_or(ovf.clone())?;
        let mul = |a: usize, b: usize| a.checked_mul(b).ok_or(ovf.clone());
        let cg = self.in_channels / self.groups;
        let og = self.out_channels / self.groups;
        let k = mul(mul(cg, kh)?, kw)?;
        let in_plane = mul(self.in_h, self.in_w)?;
        let out_plane = mul(self.out_h, self.out_w)?;
        Ok(Sizes {
            cg,
            og,
            k,
            in_plane,
            out_plane,
            input_len: mul(mul(self.batch, self.in_channels)?, in_plane)?,
            weight_len: mul(self.out_channels, k)?,
            output_len: mul(mul(self.batch, self.out_channels)?, out_plane)?,
        })
    }

    /// 1×1, stride 1, no padding, same spatial size: the column matrix of an
    /// image is the image itself.
    fn is_pointwise(&self) -> bool {
        self.kernel == (1, 1)
            && self.stride == (1, 1)
            && self.pad == (0, 0)
            && (self.out_h, self.out_w) == (self.in_h, self.in_w)
    }

    /// Multiply-adds of one image's forward product.
    fn macs_per_image(&self, s: &Sizes) -> usize {
        self.out_channels
            .saturating_mul(s.k)
            .saturating_mul(s.out_plane)
    }
}

fn check_len(kernel: &'static str, expected: usize, got: usize) -> Result<(), KernelError> {
    if expected != got {
        return Err(KernelError::BadLength {
            kernel,
            expected,
            got,
        });
    }
    Ok(())
}

/// Output rows per column tile, for column matrices of `col_rows` rows.
fn tile_rows(col_rows: usize, out_w: usize, total_rows: usize) -> usize {
    (COL_TILE / col_rows.saturating_mul(out_w).max(1)).clamp(1, total_rows.max(1))
}

/// Output rows per column tile of the forward and input-gradient products: [`tile_rows`] for the
/// column matrix and the `[O × cols]` matrix, and at most about [`GEMM_TILE_COLS`] columns.
fn gemm_tile_rows(s: &Sizes, g: &Conv2dGeometry) -> usize {
    let rows = tile_rows(s.k + g.out_channels, g.out_w, g.batch * g.out_h);
    if s.out_plane >= SPAN_MIN_PLANE {
        rows.min(g.out_h)
    } else {
        rows
    }
}

/// Runs `run(n, block, parallel)` for every image's `per_image`-long block of
/// `out`: one block of images per thread when there are enough images (then
/// `parallel` is false, GEMMs stay on their thread), else image by image with
/// `parallel` true.
fn for_each_image(
    out: &mut [f32],
    per_image: usize,
    batch: usize,
    macs_per_image: usize,
    run: impl Fn(usize, &mut [f32], bool) -> Result<(), KernelError> + Sync + Send,
) -> Result<(), KernelError> {
    if per_image == 0 {
        return Ok(());
    }
    let threads = num_threads();
    if threads > 1 && batch >= threads {
        let min_images = MIN_TASK_MACS.div_ceil(macs_per_image.max(1));
        let first = FirstError::new();
        parallel_rows_mut(out, per_image, min_images, |n0, block| {
            for (i, y) in block.chunks_exact_mut(per_image).enumerate() {
                if first.failed() {
                    return;
                }
                first.record(run(n0 + i, y, false));
            }
        });
        return first.into_result();
    }
    for (n, y) in out.chunks_exact_mut(per_image).enumerate() {
        run(n, y, true)?;
    }
    Ok(())
}

/// Runs `run((n0, t0, t1), block, scratch, parallel)` over column tiles: runs of at most `rows`
/// output rows of the flattened `(image, oh)` axis, which may span images so that one GEMM has a
/// wide `N` (a 14×14 output plane alone fills 6.1 of 32-wide register tiles). `block` holds the
/// `per_image`-long blocks of the images from `n0` on, `scratch` is `scratch_len` floats.
///
/// With enough images each thread takes a contiguous block of images (`parallel` false, GEMMs
/// stay on their thread), else the tiles run one after another with `parallel` true. Tiles lie on
/// one grid of `rows`-row steps clipped to image blocks, so an image's rows are cut at the same
/// places for every thread count and its results are bit-identical.
fn for_each_tile(
    kernel: &'static str,
    g: &Conv2dGeometry,
    out: &mut [f32],
    per_image: usize,
    macs_per_image: usize,
    (rows, scratch_len): (usize, usize),
    run: impl Fn((usize, usize, usize), &mut [f32], &mut [f32], bool) -> Result<(), KernelError>
        + Sync
        + Send,
) -> Result<(), KernelError> {
    if per_image == 0 || g.out_h == 0 {
        return Ok(());
    }
    let block = |n0: usize, block: &mut [f32], parallel: bool| {
        let n1 = n0 + block.len() / per_image;
        with_scratch(kernel, scratch_len, |buf| {
            let (mut t, end) = (n0 * g.out_h, n1 * g.out_h);
            while t < end {
                let t1 = ((t / rows + 1) * rows).min(end);
                run((n0, t, t1), block, buf, parallel)?;
                t = t1;
            }
            Ok(())
        })?
    };
    let threads = num_threads();
    if threads > 1 && g.batch >= threads {
        let min_images = MIN_TASK_MACS.div_ceil(macs_per_image.max(1));
        let first = FirstError::new();
        parallel_rows_mut(out, per_image, min_images, |n0, b| {
            first.record(block(n0, b, false))
        });
        return first.into_result();
    }
    block(0, out, true)
}

/// Fills a column tile, splitting its rows across the pool when `parallel`.
#[allow(clippy::too_many_arguments)]
fn fill_columns(
    g: &Conv2dGeometry,
    x: &[f32],
    c0: usize,
    t0: usize,
    t1: usize,
    col: &mut [f32],
    parallel: bool,
) {
    let row_len = (t1 - t0) * g.out_w;
    if parallel {
        let min_rows = (1usize << 15).div_ceil(row_len.max(1));
        parallel_rows_mut(col, row_len, min_rows, |r0, rows| {
            im2col_rows(g, x, c0, r0, t0, t1, rows)
        });
    } else {
        im2col_rows(g, x, c0, 0, t0, t1, col);
    }
}

/// Forward convolution: `output = conv(input, weight) + bias`.
///
/// `input`, `weight` and `output` are contiguous with the shapes described on
/// [`Conv2dGeometry`]; `bias` (if any) has `out_channels` elements. `output`
/// is overwritten.
pub fn conv2d_forward(
    g: &Conv2dGeometry,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "conv2d_forward";
    let s = g.sizes(K)?;
    check_len(K, s.input_len, input.len())?;
    check_len(K, s.weight_len, weight.len())?;
    check_len(K, s.output_len, output.len())?;
    if let Some(b) = bias {
        check_len(K, g.out_channels, b.len())?;
    }
    let per_image = g.out_channels * s.out_plane;
    if g.is_pointwise() {
        return for_each_image(
            output,
            per_image,
            g.batch,
            g.macs_per_image(&s),
            |n, y, parallel| forward_pointwise_image(g, &s, input, weight, bias, n, y, parallel),
        );
    }
    let rows = gemm_tile_rows(&s, g);
    let scratch = (s.k + g.out_channels).saturating_mul(rows * g.out_w);
    for_each_tile(
        K,
        g,
        output,
        per_image,
        g.macs_per_image(&s),
        (rows, scratch),
        |tile, y, buf, parallel| forward_tile(g, &s, input, weight, bias, tile, y, buf, parallel),
    )
}

/// One image of [`conv2d_forward`] for 1×1 kernels (no im2col); `y` is its `[O, OH, OW]` block.
#[allow(clippy::too_many_arguments)]
fn forward_pointwise_image(
    g: &Conv2dGeometry,
    s: &Sizes,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    n: usize,
    y: &mut [f32],
    parallel: bool,
) -> Result<(), KernelError> {
    const K: &str = "conv2d_forward";
    let p = s.out_plane;
    if let Some(b) = bias {
        for (row, &v) in y.chunks_exact_mut(p).zip(b) {
            row.fill(v);
        }
    }
    for gi in 0..g.groups {
        sgemm_in(
            K,
            s.og,
            p,
            s.cg,
            (w, gi * s.og * s.cg, s.cg, 1),
            (x, (n * g.in_channels + gi * s.cg) * p, p, 1),
            &mut y[gi * s.og * p..],
            p,
            bias.is_some(),
            parallel,
        )?;
    }
    Ok(())
}

/// One tile (output rows `t0..t1` of the flattened `(image, oh)` axis) of [`conv2d_forward`]:
/// `Y_tile = W · col_tile` into the scratch `c` (`[O × cols]`, pre-filled with the bias), then
/// copied into `y`, the `[O, OH, OW]` blocks of the images from `n0` on.
#[allow(clippy::too_many_arguments)]
fn forward_tile(
    g: &Conv2dGeometry,
    s: &Sizes,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    (n0, t0, t1): (usize, usize, usize),
    y: &mut [f32],
    buf: &mut [f32],
    parallel: bool,
) -> Result<(), KernelError> {
    let (o, p) = (g.out_channels, s.out_plane);
    let cols = (t1 - t0) * g.out_w;
    let (col, c) = buf.split_at_mut(s.k * cols);
    // Inside one image the product goes straight into y (row stride P); else into the scratch
    // `c` (row stride `cols`) and is copied out. Both get the same operations per element.
    if t0 / g.out_h == (t1 - 1) / g.out_h {
        let (n, oh) = (t0 / g.out_h, t0 % g.out_h);
        let off = (n - n0) * o * p + oh * g.out_w;
        return forward_product(g, s, x, w, bias, (t0, t1), col, &mut y[off..], p, parallel);
    }
    let c = &mut c[..o * cols];
    forward_product(g, s, x, w, bias, (t0, t1), col, c, cols, parallel)?;
    let c: &[f32] = c;
    for_each_segment(g, t0, t1, |n, oh, at, len| {
        for ch in 0..o {
            let dst = ((n - n0) * o + ch) * p + oh * g.out_w;
            y[dst..dst + len].copy_from_slice(&c[ch * cols + at..ch * cols + at + len]);
        }
    });
    Ok(())
}

/// `C = bias + W · col_tile` for the output rows `t0..t1`: `c` holds `O` rows of
/// `(t1 - t0)·OW` values, `c_rs` apart; `col` is the column scratch.
#[allow(clippy::too_many_arguments)]
fn forward_product(
    g: &Conv2dGeometry,
    s: &Sizes,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    (t0, t1): (usize, usize),
    col: &mut [f32],
    c: &mut [f32],
    c_rs: usize,
    parallel: bool,
) -> Result<(), KernelError> {
    const K: &str = "conv2d_forward";
    let cols = (t1 - t0) * g.out_w;
    let col = &mut col[..s.k * cols];
    if let Some(b) = bias {
        for (ch, &v) in b.iter().enumerate() {
            c[ch * c_rs..ch * c_rs + cols].fill(v);
        }
    }
    for gi in 0..g.groups {
        fill_columns(g, x, gi * s.cg, t0, t1, col, parallel);
        sgemm_in(
            K,
            s.og,
            cols,
            s.k,
            (w, gi * s.og * s.k, s.k, 1),
            (col, 0, cols, 1),
            &mut c[gi * s.og * c_rs..],
            c_rs,
            bias.is_some(),
            parallel,
        )?;
    }
    Ok(())
}

/// Calls `f(n, oh, at, len)` for each image's share of the output rows `t0..t1`: image `n`,
/// first row `oh`, at column `at` of the tile, `len` columns.
fn for_each_segment(
    g: &Conv2dGeometry,
    t0: usize,
    t1: usize,
    mut f: impl FnMut(usize, usize, usize, usize),
) {
    let mut t = t0;
    while t < t1 {
        let (n, oh) = (t / g.out_h, t % g.out_h);
        let end = ((n + 1) * g.out_h).min(t1);
        f(n, oh, (t - t0) * g.out_w, (end - t) * g.out_w);
        t = end;
    }
}

/// Gradient of the forward convolution with respect to its input, given the
/// output gradient: `grad_input = col2im(Wᵀ · grad_output)`. This is also the
/// transposed convolution of `grad_output` by `weight`.
///
/// `grad_output` has the output shape, `weight` the weight shape, and
/// `grad_input` (overwritten) the input shape of `g`.
pub fn conv2d_backward_input(
    g: &Conv2dGeometry,
    grad_output: &[f32],
    weight: &[f32],
    grad_input: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "conv2d_backward_input";
    let s = g.sizes(K)?;
    check_len(K, s.output_len, grad_output.len())?;
    check_len(K, s.weight_len, weight.len())?;
    check_len(K, s.input_len, grad_input.len())?;
    let per_image = g.in_channels * s.in_plane;
    if g.is_pointwise() {
        return for_each_image(
            grad_input,
            per_image,
            g.batch,
            g.macs_per_image(&s),
            |n, dx, parallel| {
                input_grad_pointwise_image(g, &s, grad_output, weight, n, dx, parallel)
            },
        );
    }
    let rows = gemm_tile_rows(&s, g);
    let scratch = (s.k + g.out_channels).saturating_mul(rows * g.out_w);
    for_each_tile(
        K,
        g,
        grad_input,
        per_image,
        g.macs_per_image(&s),
        (rows, scratch),
        |tile, dx, buf, parallel| {
            input_grad_tile(g, &s, grad_output, weight, tile, dx, buf, parallel)
        },
    )
}

/// One image of [`conv2d_backward_input`] for 1×1 kernels (no col2im); `dx` is its `[C, H, W]`
/// block.
#[allow(clippy::too_many_arguments)]
fn input_grad_pointwise_image(
    g: &Conv2dGeometry,
    s: &Sizes,
    dy: &[f32],
    w: &[f32],
    n: usize,
    dx: &mut [f32],
    parallel: bool,
) -> Result<(), KernelError> {
    const K: &str = "conv2d_backward_input";
    let (p_in, p_out) = (s.in_plane, s.out_plane);
    for gi in 0..g.groups {
        sgemm_in(
            K,
            s.cg,
            p_in,
            s.og,
            (w, gi * s.og * s.cg, 1, s.cg),
            (dy, (n * g.out_channels + gi * s.og) * p_out, p_out, 1),
            &mut dx[gi * s.cg * p_in..],
            p_in,
            false,
            parallel,
        )?;
    }
    Ok(())
}

/// One tile (output rows `t0..t1` of the flattened `(image, oh)` axis) of
/// [`conv2d_backward_input`]: `col_tile = Wᵀ · dY_tile`, then col2im onto `dx`, the `[C, H, W]`
/// blocks of the images from `n0` on. An image's block is zeroed by the tile holding its first
/// row, before anything is added to it.
#[allow(clippy::too_many_arguments)]
fn input_grad_tile(
    g: &Conv2dGeometry,
    s: &Sizes,
    dy: &[f32],
    w: &[f32],
    (n0, t0, t1): (usize, usize, usize),
    dx: &mut [f32],
    buf: &mut [f32],
    parallel: bool,
) -> Result<(), KernelError> {
    const K: &str = "conv2d_backward_input";
    let p_in = s.in_plane;
    let per_image = g.in_channels * p_in;
    let cols = (t1 - t0) * g.out_w;
    let (col, dyt) = buf.split_at_mut(s.k * cols);
    let (a, a_off, a_rs) = dy_tile(g, dy, t0, t1, &mut dyt[..g.out_channels * cols]);
    for_each_segment(g, t0, t1, |n, oh, _, _| {
        if oh == 0 {
            dx[(n - n0) * per_image..(n - n0 + 1) * per_image].fill(0.0);
        }
    });
    for gi in 0..g.groups {
        sgemm_in(
            K,
            s.k,
            cols,
            s.og,
            (w, gi * s.og * s.k, 1, s.k),
            (a, a_off + gi * s.og * a_rs, a_rs, 1),
            col,
            cols,
            false,
            parallel,
        )?;
        mask_wrapped_columns(g, col, s.k, 0, t1 - t0);
        let c0 = gi * s.cg;
        let col: &[f32] = col;
        for_each_segment(g, t0, t1, |n, oh, at, len| {
            let (oh1, seg) = (oh + len / g.out_w, &col[at..]);
            let image = &mut dx[(n - n0) * per_image..(n - n0 + 1) * per_image];
            let group = &mut image[c0 * p_in..(c0 + s.cg) * p_in];
            if parallel {
                // Channels own disjoint planes of dx: split them across the pool.
                let min_planes = (1usize << 15).div_ceil(p_in);
                parallel_rows_mut(group, p_in, min_planes, |c_off, planes| {
                    col2im_add(g, seg, cols, c0, s.k, oh, oh1, c0 + c_off, planes)
                });
            } else {
                col2im_add(g, seg, cols, c0, s.k, oh, oh1, c0, group);
            }
        });
    }
    Ok(())
}

/// Gradient of the forward convolution with respect to its weight:
/// `grad_weight = Σ_n grad_output[n] · col(input[n])ᵀ` (per group).
///
/// `input` and `grad_output` have the input and output shapes of `g`;
/// `grad_weight` (overwritten) has the weight shape.
pub fn conv2d_backward_weight(
    g: &Conv2dGeometry,
    input: &[f32],
    grad_output: &[f32],
    grad_weight: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "conv2d_backward_weight";
    let s = g.sizes(K)?;
    check_len(K, s.input_len, input.len())?;
    check_len(K, s.output_len, grad_output.len())?;
    check_len(K, s.weight_len, grad_weight.len())?;
    if s.output_len == 0 || s.weight_len == 0 {
        grad_weight.fill(0.0);
        return Ok(());
    }
    let o = g.out_channels;
    let k_all = g.groups * s.k;
    let total_rows = g.batch * g.out_h;
    // Each tile needs its column matrix and (when it spans images) a packed copy of dY; the
    // transposed gradient dWᵀ accumulates in a third buffer.
    let rows = tile_rows(k_all + o, g.out_w, total_rows);
    let max_cols = rows * g.out_w;
    let len = k_all
        .saturating_add(o)
        .saturating_mul(max_cols)
        .saturating_add(s.weight_len);
    with_scratch(K, len, |buf| {
        let (col_buf, rest) = buf.split_at_mut(k_all * max_cols);
        let (dyt_buf, dwt) = rest.split_at_mut(o * max_cols);
        for t0 in (0..total_rows).step_by(rows) {
            let t1 = (t0 + rows).min(total_rows);
            let cols = (t1 - t0) * g.out_w;
            let col = &mut col_buf[..k_all * cols];
            fill_columns(g, input, 0, t0, t1, col, true);
            let (a, a_off, a_rs) = dy_tile(g, grad_output, t0, t1, &mut dyt_buf[..o * cols]);
            let col: &[f32] = col;
            for gi in 0..g.groups {
                // dW_gᵀ[k × og] (+)= col_g · dY_gᵀ: the long k side (C·kh·kw) is the GEMM's M
                // and the short og side its N, a whole number of 32-wide register tiles for
                // og = 32, 64, ...; only og·cols floats of dY need the transposing pack.
                sgemm_in(
                    K,
                    s.k,
                    s.og,
                    cols,
                    (col, gi * s.k * cols, cols, 1),
                    (a, a_off + gi * s.og * a_rs, 1, a_rs),
                    &mut dwt[gi * s.k * s.og..],
                    s.og,
                    t0 > 0,
                    true,
                )?;
            }
        }
        let dwt: &[f32] = dwt;
        for gi in 0..g.groups {
            let (src, dst) = (gi * s.k * s.og, gi * s.og * s.k);
            for (j, row) in grad_weight[dst..dst + s.og * s.k]
                .chunks_exact_mut(s.k)
                .enumerate()
            {
                for (r, v) in row.iter_mut().enumerate() {
                    *v = dwt[src + r * s.og + j];
                }
            }
        }
        Ok(())
    })?
}

/// `dY` of the output rows `t0..t1` (flattened `(image, oh)` axis) as an `[O × cols]` matrix
/// `(data, offset, row stride)`: a view when the rows lie in one image, else gathered image by
/// image into `dyt` (`O·cols` floats).
fn dy_tile<'a>(
    g: &Conv2dGeometry,
    dy: &'a [f32],
    t0: usize,
    t1: usize,
    dyt: &'a mut [f32],
) -> (&'a [f32], usize, usize) {
    let (o, p) = (g.out_channels, g.out_h * g.out_w);
    let (n0, oh0) = (t0 / g.out_h, t0 % g.out_h);
    if (t1 - 1) / g.out_h == n0 {
        return (dy, n0 * o * p + oh0 * g.out_w, p);
    }
    let cols = (t1 - t0) * g.out_w;
    let mut t = t0;
    while t < t1 {
        let (n, oh) = (t / g.out_h, t % g.out_h);
        let end = ((n + 1) * g.out_h).min(t1);
        let len = (end - t) * g.out_w;
        let at = (t - t0) * g.out_w;
        for ch in 0..o {
            let src = (n * o + ch) * p + oh * g.out_w;
            dyt[ch * cols + at..ch * cols + at + len].copy_from_slice(&dy[src..src + len]);
        }
        t = end;
    }
    (dyt, 0, cols)
}

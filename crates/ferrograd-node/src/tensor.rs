//! `NativeTensor`: the JS-visible handle on a core `Tensor`.
//!
//! Memory: the handle owns one reference to the tensor; it is released when V8 collects the
//! wrapper (finalizer) or at once by `dispose()`. The element bytes are reported to V8 as external
//! memory so that the GC feels native allocations, which keeps RSS bounded without `tidy()`.
//! Every method takes `&self` (interior mutability): napi-rs keeps a borrow of the instance while
//! an async task started from it is pending, and `dispose()` must still work then.

use std::cell::{Cell, RefCell};

use ferrograd_core::{BackwardOptions, Tensor};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::dispatch;
use crate::error::{core_err, fg_error, from_napi, ErrorCode, FgResult};
use crate::task::{DataTask, OpTask};

/// Handle on a native tensor. Internal: users work with the TypeScript `Tensor` class.
#[napi(custom_finalize)]
pub struct NativeTensor {
    inner: RefCell<Option<Tensor>>,
    accounted_bytes: Cell<i64>,
}

/// JS numbers arrive as i64 so that negative or huge sizes are rejected here with a ValueError
/// instead of wrapping around to 4294967295 in an unsigned conversion.
fn size(op: &str, what: &str, value: i64) -> FgResult<usize> {
    usize::try_from(value).map_err(|_| {
        fg_error(
            ErrorCode::Core("ValueError"),
            format!("{op}: {what} must be a non-negative integer, got {value}"),
        )
    })
}

fn dims(op: &str, shape: &[i64]) -> FgResult<Vec<usize>> {
    shape
        .iter()
        .map(|&d| size(op, "every dimension", d))
        .collect()
}

fn axes(values: &[i32]) -> Vec<isize> {
    values.iter().map(|&v| v as isize).collect()
}

impl NativeTensor {
    /// Wraps a core tensor, reporting its element bytes to V8.
    pub(crate) fn wrap(env: &Env, tensor: Tensor) -> FgResult<Self> {
        let bytes = (tensor.numel() * 4) as i64;
        env.adjust_external_memory(bytes).map_err(from_napi)?;
        Ok(NativeTensor {
            inner: RefCell::new(Some(tensor)),
            accounted_bytes: Cell::new(bytes),
        })
    }

    /// The wrapped tensor (a cheap reference-count clone), or `DisposedError`.
    pub(crate) fn get(&self, op: &str) -> FgResult<Tensor> {
        self.inner.borrow().clone().ok_or_else(|| {
            fg_error(
                ErrorCode::Disposed,
                format!("{op}: the tensor has been disposed and cannot be used"),
            )
        })
    }

    fn release(&self, env: &Env) -> Result<()> {
        self.inner.replace(None);
        let bytes = self.accounted_bytes.replace(0);
        if bytes != 0 {
            env.adjust_external_memory(-bytes)?;
        }
        Ok(())
    }
}

impl ObjectFinalize for NativeTensor {
    fn finalize(self, env: Env) -> Result<()> {
        self.release(&env)
    }
}

fn wrap(env: &Env, result: ferrograd_core::Result<Tensor>) -> FgResult<NativeTensor> {
    NativeTensor::wrap(env, result.map_err(core_err)?)
}

fn wrap_all(
    env: &Env,
    tensors: ferrograd_core::Result<Vec<Tensor>>,
) -> FgResult<Vec<NativeTensor>> {
    tensors
        .map_err(core_err)?
        .into_iter()
        .map(|t| NativeTensor::wrap(env, t))
        .collect()
}

fn gather(list: &[&NativeTensor], op: &str) -> FgResult<Vec<Tensor>> {
    list.iter().map(|t| t.get(op)).collect()
}

#[napi]
impl NativeTensor {
    // ---- creation -------------------------------------------------------------------------

    /// Copies row-major `data` into a new tensor of `shape`.
    #[napi(factory, catch_unwind)]
    pub fn from_data(env: Env, data: &[f32], shape: Vec<i64>) -> Result<Self, ErrorCode> {
        wrap(
            &env,
            Tensor::from_vec(data.to_vec(), &dims("tensor", &shape)?),
        )
    }

    /// Every element equal to `value`.
    #[napi(factory, catch_unwind)]
    pub fn full(env: Env, shape: Vec<i64>, value: f64) -> Result<Self, ErrorCode> {
        wrap(&env, Tensor::try_full(&dims("full", &shape)?, value as f32))
    }

    /// `torch.arange`.
    #[napi(factory, catch_unwind)]
    pub fn arange(env: Env, start: f64, end: f64, step: f64) -> Result<Self, ErrorCode> {
        wrap(&env, Tensor::arange(start as f32, end as f32, step as f32))
    }

    /// `torch.linspace`.
    #[napi(factory, catch_unwind)]
    pub fn linspace(env: Env, start: f64, end: f64, steps: i64) -> Result<Self, ErrorCode> {
        let steps = size("linspace", "steps", steps)?;
        wrap(&env, Tensor::linspace(start as f32, end as f32, steps))
    }

    /// Identity-like matrix.
    #[napi(factory, catch_unwind)]
    pub fn eye(env: Env, rows: i64, cols: i64) -> Result<Self, ErrorCode> {
        let (rows, cols) = (size("eye", "rows", rows)?, size("eye", "cols", cols)?);
        wrap(&env, Tensor::eye(rows, cols))
    }

    /// Uniform `[low, high)` draws; `seed` makes the draw independent of the global generator.
    #[napi(factory, catch_unwind)]
    pub fn rand(
        env: Env,
        shape: Vec<i64>,
        low: f64,
        high: f64,
        seed: Option<i64>,
    ) -> Result<Self, ErrorCode> {
        wrap(
            &env,
            Tensor::rand(
                &dims("rand", &shape)?,
                low as f32,
                high as f32,
                seed.map(|s| s as u64),
            ),
        )
    }

    /// Normal draws.
    #[napi(factory, catch_unwind)]
    pub fn randn(
        env: Env,
        shape: Vec<i64>,
        mean: f64,
        std: f64,
        seed: Option<i64>,
    ) -> Result<Self, ErrorCode> {
        wrap(
            &env,
            Tensor::randn(
                &dims("randn", &shape)?,
                mean as f32,
                std as f32,
                seed.map(|s| s as u64),
            ),
        )
    }

    // ---- properties -----------------------------------------------------------------------

    #[napi(getter, catch_unwind)]
    pub fn shape(&self) -> Result<Vec<u32>, ErrorCode> {
        Ok(self
            .get("shape")?
            .dims()
            .iter()
            .map(|&d| d as u32)
            .collect())
    }

    #[napi(getter, catch_unwind)]
    pub fn dtype(&self) -> Result<String, ErrorCode> {
        Ok(self.get("dtype")?.dtype().name().to_owned())
    }

    #[napi(getter, catch_unwind)]
    pub fn disposed(&self) -> bool {
        self.inner.borrow().is_none()
    }

    #[napi(getter, catch_unwind)]
    pub fn requires_grad(&self) -> Result<bool, ErrorCode> {
        Ok(self.get("requiresGrad")?.requires_grad())
    }

    #[napi(getter, catch_unwind)]
    pub fn is_leaf(&self) -> Result<bool, ErrorCode> {
        Ok(self.get("isLeaf")?.is_leaf())
    }

    #[napi(catch_unwind)]
    pub fn set_requires_grad(&self, requires: bool) -> Result<(), ErrorCode> {
        self.get("requiresGrad")?
            .set_requires_grad(requires)
            .map_err(core_err)
    }

    /// The accumulated gradient, or `null`.
    #[napi(catch_unwind)]
    pub fn grad(&self, env: Env) -> Result<Option<NativeTensor>, ErrorCode> {
        self.get("grad")?
            .grad()
            .map(|g| NativeTensor::wrap(&env, g))
            .transpose()
    }

    // ---- data out -------------------------------------------------------------------------

    /// Copies the elements into a new `Float32Array` (row-major).
    #[napi(catch_unwind)]
    pub fn to_float32_array(&self) -> Result<Float32Array, ErrorCode> {
        Ok(Float32Array::new(self.get("dataSync")?.to_vec()))
    }

    /// The same copy, made on a worker thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Float32Array>")]
    pub fn data_async(&self) -> Result<AsyncTask<DataTask>, ErrorCode> {
        Ok(AsyncTask::new(DataTask::new(self.get("data")?)))
    }

    /// The value of a one-element tensor.
    #[napi(catch_unwind)]
    pub fn item(&self) -> Result<f64, ErrorCode> {
        Ok(self.get("item")?.item().map_err(core_err)? as f64)
    }

    /// PyTorch-style rendering.
    #[napi(catch_unwind)]
    pub fn format(&self) -> Result<String, ErrorCode> {
        Ok(self.get("toString")?.to_string())
    }

    /// Overwrites the elements in place (outside autograd).
    #[napi(catch_unwind)]
    pub fn assign(&self, data: &[f32]) -> Result<(), ErrorCode> {
        self.get("assign")?.assign_data(data).map_err(core_err)
    }

    /// Releases the native memory now. Idempotent.
    #[napi(catch_unwind)]
    pub fn dispose(&self, env: Env) -> Result<(), ErrorCode> {
        self.release(&env).map_err(from_napi)
    }

    // ---- elementwise, reductions, matmul (sync and async) ---------------------------------

    #[napi(catch_unwind)]
    pub fn unary(
        &self,
        env: Env,
        op: String,
        a: Option<f64>,
        b: Option<f64>,
    ) -> Result<NativeTensor, ErrorCode> {
        wrap(&env, dispatch::unary(&self.get(&op)?, &op, a, b))
    }

    #[napi(catch_unwind, ts_return_type = "Promise<NativeTensor>")]
    pub fn unary_async(
        &self,
        op: String,
        a: Option<f64>,
        b: Option<f64>,
    ) -> Result<AsyncTask<OpTask>, ErrorCode> {
        let x = self.get(&op)?;
        Ok(AsyncTask::new(OpTask::new(op.clone(), move || {
            dispatch::unary(&x, &op, a, b)
        })))
    }

    #[napi(catch_unwind)]
    pub fn binary(
        &self,
        env: Env,
        other: &NativeTensor,
        op: String,
    ) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            dispatch::binary(&self.get(&op)?, &other.get(&op)?, &op),
        )
    }

    #[napi(catch_unwind, ts_return_type = "Promise<NativeTensor>")]
    pub fn binary_async(
        &self,
        other: &NativeTensor,
        op: String,
    ) -> Result<AsyncTask<OpTask>, ErrorCode> {
        let (x, y) = (self.get(&op)?, other.get(&op)?);
        Ok(AsyncTask::new(OpTask::new(op.clone(), move || {
            dispatch::binary(&x, &y, &op)
        })))
    }

    #[napi(catch_unwind)]
    pub fn reduce(
        &self,
        env: Env,
        op: String,
        axes_list: Option<Vec<i32>>,
        keepdim: bool,
        correction: Option<u32>,
    ) -> Result<NativeTensor, ErrorCode> {
        let ax = axes_list.map(|a| axes(&a));
        wrap(
            &env,
            dispatch::reduce(
                &self.get(&op)?,
                &op,
                ax.as_deref(),
                keepdim,
                correction.unwrap_or(1) as usize,
            ),
        )
    }

    #[napi(catch_unwind, ts_return_type = "Promise<NativeTensor>")]
    pub fn reduce_async(
        &self,
        op: String,
        axes_list: Option<Vec<i32>>,
        keepdim: bool,
        correction: Option<u32>,
    ) -> Result<AsyncTask<OpTask>, ErrorCode> {
        let x = self.get(&op)?;
        let ax = axes_list.map(|a| axes(&a));
        let corr = correction.unwrap_or(1) as usize;
        Ok(AsyncTask::new(OpTask::new(op.clone(), move || {
            dispatch::reduce(&x, &op, ax.as_deref(), keepdim, corr)
        })))
    }

    // ---- views and joins ------------------------------------------------------------------

    #[napi(catch_unwind)]
    pub fn reshape(&self, env: Env, shape: Vec<i32>) -> Result<NativeTensor, ErrorCode> {
        wrap(&env, self.get("reshape")?.reshape(&axes(&shape)))
    }

    #[napi(catch_unwind)]
    pub fn permute(&self, env: Env, perm: Vec<i32>) -> Result<NativeTensor, ErrorCode> {
        wrap(&env, self.get("permute")?.permute(&axes(&perm)))
    }

    #[napi(catch_unwind)]
    pub fn transpose(&self, env: Env, dim0: i32, dim1: i32) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            self.get("transpose")?
                .transpose(dim0 as isize, dim1 as isize),
        )
    }

    #[napi(catch_unwind)]
    pub fn narrow(
        &self,
        env: Env,
        axis: i32,
        start: i64,
        length: i64,
    ) -> Result<NativeTensor, ErrorCode> {
        let (start, length) = (
            size("narrow", "start", start)?,
            size("narrow", "length", length)?,
        );
        wrap(
            &env,
            self.get("narrow")?.narrow(axis as isize, start, length),
        )
    }

    #[napi(catch_unwind)]
    pub fn slice(
        &self,
        env: Env,
        axis: i32,
        start: i32,
        end: i32,
        step: i64,
    ) -> Result<NativeTensor, ErrorCode> {
        // Negative steps (reversal) are not supported, as in PyTorch.
        let step = size("slice", "step", step)?;
        wrap(
            &env,
            self.get("slice")?
                .slice(axis as isize, start as isize, end as isize, step),
        )
    }

    #[napi(catch_unwind)]
    pub fn expand(&self, env: Env, shape: Vec<i32>) -> Result<NativeTensor, ErrorCode> {
        wrap(&env, self.get("expand")?.expand(&axes(&shape)))
    }

    #[napi(catch_unwind)]
    pub fn squeeze(&self, env: Env, axis: Option<i32>) -> Result<NativeTensor, ErrorCode> {
        wrap(&env, self.get("squeeze")?.squeeze(axis.map(|a| a as isize)))
    }

    #[napi(catch_unwind)]
    pub fn unsqueeze(&self, env: Env, axis: i32) -> Result<NativeTensor, ErrorCode> {
        wrap(&env, self.get("unsqueeze")?.unsqueeze(axis as isize))
    }

    #[napi(catch_unwind)]
    pub fn flatten(&self, env: Env, start: i32, end: i32) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            self.get("flatten")?.flatten(start as isize, end as isize),
        )
    }

    /// `pads` holds `before, after` pairs for each dimension, outermost first.
    #[napi(catch_unwind)]
    pub fn pad(&self, env: Env, pads: Vec<i64>, value: f64) -> Result<NativeTensor, ErrorCode> {
        if !pads.len().is_multiple_of(2) {
            return Err(fg_error(
                ErrorCode::Core("ValueError"),
                "pad: pads must hold (before, after) pairs",
            ));
        }
        let amounts = dims("pad", &pads)?;
        let pairs: Vec<(usize, usize)> = amounts.chunks(2).map(|p| (p[0], p[1])).collect();
        wrap(&env, self.get("pad")?.pad(&pairs, value as f32))
    }

    #[napi(catch_unwind)]
    pub fn split(
        &self,
        env: Env,
        sizes: Vec<i64>,
        axis: i32,
    ) -> Result<Vec<NativeTensor>, ErrorCode> {
        wrap_all(
            &env,
            self.get("split")?
                .split(&dims("split", &sizes)?, axis as isize),
        )
    }

    #[napi(catch_unwind)]
    pub fn chunk(&self, env: Env, chunks: i64, axis: i32) -> Result<Vec<NativeTensor>, ErrorCode> {
        let chunks = size("chunk", "chunks", chunks)?;
        wrap_all(&env, self.get("chunk")?.chunk(chunks, axis as isize))
    }

    #[napi(factory, catch_unwind)]
    pub fn concat(
        env: Env,
        tensors: Vec<&NativeTensor>,
        axis: i32,
    ) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            Tensor::concat(&gather(&tensors, "concat")?, axis as isize),
        )
    }

    #[napi(factory, catch_unwind)]
    pub fn stack(
        env: Env,
        tensors: Vec<&NativeTensor>,
        axis: i32,
    ) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            Tensor::stack(&gather(&tensors, "stack")?, axis as isize),
        )
    }

    #[napi(factory, js_name = "where", catch_unwind)]
    pub fn where_cond(
        env: Env,
        cond: &NativeTensor,
        a: &NativeTensor,
        b: &NativeTensor,
    ) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            Tensor::where_cond(&cond.get("where")?, &a.get("where")?, &b.get("where")?),
        )
    }

    // ---- indexing -------------------------------------------------------------------------

    #[napi(catch_unwind)]
    pub fn index_select(
        &self,
        env: Env,
        axis: i32,
        index: &NativeTensor,
    ) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            self.get("indexSelect")?
                .index_select(axis as isize, &index.get("indexSelect")?),
        )
    }

    #[napi(catch_unwind)]
    pub fn index_add(
        &self,
        env: Env,
        axis: i32,
        index: &NativeTensor,
        src: &NativeTensor,
    ) -> Result<NativeTensor, ErrorCode> {
        let x = self.get("indexAdd")?;
        wrap(
            &env,
            x.index_add(
                axis as isize,
                &index.get("indexAdd")?,
                &src.get("indexAdd")?,
            ),
        )
    }

    #[napi(catch_unwind)]
    pub fn gather(
        &self,
        env: Env,
        axis: i32,
        index: &NativeTensor,
    ) -> Result<NativeTensor, ErrorCode> {
        wrap(
            &env,
            self.get("gather")?
                .gather(axis as isize, &index.get("gather")?),
        )
    }

    #[napi(catch_unwind)]
    pub fn scatter_add(
        &self,
        env: Env,
        axis: i32,
        index: &NativeTensor,
        src: &NativeTensor,
    ) -> Result<NativeTensor, ErrorCode> {
        let x = self.get("scatterAdd")?;
        wrap(
            &env,
            x.scatter_add(
                axis as isize,
                &index.get("scatterAdd")?,
                &src.get("scatterAdd")?,
            ),
        )
    }

    #[napi(catch_unwind)]
    pub fn one_hot(&self, env: Env, num_classes: i64) -> Result<NativeTensor, ErrorCode> {
        let classes = size("oneHot", "numClasses", num_classes)?;
        wrap(&env, self.get("oneHot")?.one_hot(classes))
    }

    // ---- autograd -------------------------------------------------------------------------

    /// Backpropagates into the `.grad` of every leaf that requires grad.
    #[napi(catch_unwind)]
    pub fn backward(
        &self,
        gradient: Option<&NativeTensor>,
        create_graph: Option<bool>,
    ) -> Result<(), ErrorCode> {
        let gradient = gradient.map(|g| g.get("backward")).transpose()?;
        let options = BackwardOptions {
            gradient,
            create_graph: create_graph.unwrap_or(false),
        };
        self.get("backward")?
            .backward_with(options)
            .map_err(core_err)
    }

    /// Gradients with respect to `inputs`, returned instead of accumulated (`torch.autograd.grad`).
    /// Inputs that do not influence this tensor get `null`.
    #[napi(catch_unwind)]
    pub fn grad_wrt(
        &self,
        env: Env,
        inputs: Vec<&NativeTensor>,
        gradient: Option<&NativeTensor>,
        create_graph: Option<bool>,
    ) -> Result<Vec<Option<NativeTensor>>, ErrorCode> {
        let gradient = gradient.map(|g| g.get("grad")).transpose()?;
        let options = BackwardOptions {
            gradient,
            create_graph: create_graph.unwrap_or(false),
        };
        let grads = self
            .get("grad")?
            .grad_wrt(&gather(&inputs, "grad")?, options)
            .map_err(core_err)?;
        grads
            .into_iter()
            .map(|g| g.map(|g| NativeTensor::wrap(&env, g)).transpose())
            .collect()
    }

    #[napi(catch_unwind)]
    pub fn zero_grad(&self) -> Result<(), ErrorCode> {
        self.get("zeroGrad")?.zero_grad();
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn detach(&self, env: Env) -> Result<NativeTensor, ErrorCode> {
        wrap(&env, Ok(self.get("detach")?.detach()))
    }
}

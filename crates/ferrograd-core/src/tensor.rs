//! The `Tensor` handle: shared storage + layout + (optionally) the autograd node that produced it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad_mode::is_grad_enabled;
use crate::layout::Layout;
use crate::op::Op;
use crate::shape::numel;
use crate::storage::Storage;

/// Unique identity of a tensor node, used to key gradients during backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(u64);

impl TensorId {
    fn next() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        TensorId(COUNTER.fetch_add(1, Ordering::Relaxed))
    }
}

pub(crate) struct Inner {
    pub(crate) id: TensorId,
    pub(crate) storage: Arc<Storage>,
    pub(crate) layout: Layout,
    /// The op that produced this tensor, recorded only when an input tracked gradients.
    pub(crate) op: Option<Op>,
    /// Leaf flag set by `set_requires_grad`; non-leaf tensors track through `op`.
    pub(crate) requires_grad: AtomicBool,
    pub(crate) grad: Mutex<Option<Tensor>>,
}

impl Drop for Inner {
    /// Dropping the last handle to a deep graph (thousands of unrolled steps) would recurse once per
    /// node and overflow the stack; unlink the nodes we own iteratively instead.
    fn drop(&mut self) {
        let Some(op) = self.op.take() else { return };
        let mut stack = op.into_tensors();
        while let Some(t) = stack.pop() {
            if let Ok(mut inner) = Arc::try_unwrap(t.0) {
                if let Some(op) = inner.op.take() {
                    stack.extend(op.into_tensors());
                }
            }
        }
    }
}

/// An n-dimensional f32 array with optional gradient tracking. Cloning is cheap (a reference count).
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<Inner>);

impl Tensor {
    pub(crate) fn from_parts(storage: Arc<Storage>, layout: Layout, op: Option<Op>) -> Tensor {
        Tensor(Arc::new(Inner {
            id: TensorId::next(),
            storage,
            layout,
            op,
            requires_grad: AtomicBool::new(false),
            grad: Mutex::new(None),
        }))
    }

    /// Builds a tensor from row-major data and a shape.
    pub fn from_vec(data: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        if numel(shape) != data.len() {
            return Err(Error::shape(
                "tensor",
                format!(
                    "shape {shape:?} needs {} elements but {} were given",
                    numel(shape),
                    data.len()
                ),
            ));
        }
        Ok(Self::from_contiguous(data, shape.to_vec()))
    }

    /// Wraps freshly computed contiguous data; the length is correct by construction.
    pub(crate) fn from_contiguous(data: Vec<f32>, shape: Vec<usize>) -> Tensor {
        Tensor::from_parts(
            Arc::new(Storage::from_vec(data)),
            Layout::contiguous(shape),
            None,
        )
    }

    /// A 0-d tensor holding one value.
    pub fn scalar(value: f32) -> Tensor {
        Self::from_contiguous(vec![value], vec![])
    }

    /// Turns a freshly computed constant result into an autograd node when recording is on and an
    /// input tracks gradients. `op` receives the untracked result, so rules that need the forward
    /// output (exp, sigmoid, softmax...) can save it without a reference cycle.
    pub(crate) fn track(self, inputs: &[&Tensor], op: impl FnOnce(Tensor) -> Op) -> Tensor {
        if !(is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())) {
            return self;
        }
        let storage = self.0.storage.clone();
        let layout = self.0.layout.clone();
        Tensor::from_parts(storage, layout, Some(op(self)))
    }

    /// A view sharing this tensor's storage with a new layout (reshape, permute, narrow, expand).
    pub(crate) fn view(&self, layout: Layout, op: impl FnOnce() -> Op) -> Tensor {
        let op = if is_grad_enabled() && self.requires_grad() {
            Some(op())
        } else {
            None
        };
        Tensor::from_parts(self.0.storage.clone(), layout, op)
    }

    /// Identity of this node.
    pub fn id(&self) -> TensorId {
        self.0.id
    }

    /// Dimensions of the tensor.
    pub fn dims(&self) -> &[usize] {
        self.0.layout.shape()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.dims().len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }

    /// Element type (always `F32` today, see [`DType`]).
    pub fn dtype(&self) -> DType {
        self.0.storage.dtype()
    }

    /// Shape, strides and offset.
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub(crate) fn storage(&self) -> &Arc<Storage> {
        &self.0.storage
    }

    pub(crate) fn op(&self) -> Option<&Op> {
        self.0.op.as_ref()
    }

    /// True for leaves created with `requires_grad` and for results computed from them.
    pub fn requires_grad(&self) -> bool {
        self.0.op.is_some() || self.0.requires_grad.load(Ordering::Relaxed)
    }

    /// True when no op produced this tensor (user-created data or parameters).
    pub fn is_leaf(&self) -> bool {
        self.0.op.is_none()
    }

    /// Marks a leaf as a variable whose gradient `backward` accumulates into [`Tensor::grad`].
    pub fn set_requires_grad(&self, requires: bool) -> Result<()> {
        if !self.is_leaf() {
            return Err(Error::Autograd {
                op: "requiresGrad",
                msg: "only leaf tensors can change requires_grad; use detach() to get a leaf"
                    .into(),
            });
        }
        self.0.requires_grad.store(requires, Ordering::Relaxed);
        Ok(())
    }

    /// The accumulated gradient of a leaf, if any backward pass reached it.
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.lock().clone()
    }

    /// Replaces (or clears) the accumulated gradient.
    pub fn set_grad(&self, grad: Option<Tensor>) {
        *self.0.grad.lock() = grad;
    }

    /// Clears the accumulated gradient.
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }

    /// A leaf sharing the same storage that is cut from the graph.
    pub fn detach(&self) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), self.0.layout.clone(), None)
    }

    /// Bytes of the underlying storage (shared by views), for memory accounting.
    pub fn storage_bytes(&self) -> usize {
        self.0.storage.byte_len()
    }

    /// Copies the elements out in row-major order.
    pub fn to_vec(&self) -> Vec<f32> {
        self.with_contiguous(|s| s.to_vec())
    }

    /// The single value of a one-element tensor.
    pub fn item(&self) -> Result<f32> {
        if self.numel() != 1 {
            return Err(Error::shape(
                "item",
                format!(
                    "needs exactly one element, tensor has shape {:?}",
                    self.dims()
                ),
            ));
        }
        Ok(self.with_contiguous(|s| s[0]))
    }

    /// Calls `f` with the elements as a row-major slice, copying only when the layout is not
    /// contiguous (so the common case is zero-copy).
    pub fn with_contiguous<R>(&self, f: impl FnOnce(&[f32]) -> R) -> R {
        let layout = &self.0.layout;
        let data = self.0.storage.read();
        if layout.is_contiguous() {
            let start = layout.offset();
            return f(&data[start..start + layout.numel()]);
        }
        let mut out = vec![0.0; layout.numel()];
        // Layouts are built by this crate and always lie inside the storage.
        let copied = ferrograd_kernels::copy_strided(
            layout.shape(),
            &data,
            layout.offset(),
            layout.strides(),
            &mut out,
        );
        debug_assert!(copied.is_ok());
        drop(data);
        f(&out)
    }

    /// True when two tensors are the same node.
    pub fn same_node(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Calls `f` with the elements of a contiguous tensor as a mutable row-major slice, in place
    /// and outside autograd (optimizer updates without copying the parameter out and back).
    pub fn update_data<R>(&self, f: impl FnOnce(&mut [f32]) -> R) -> Result<R> {
        if !self.0.layout.is_contiguous() {
            return Err(Error::invalid(
                "update",
                "in-place updates need a contiguous tensor",
            ));
        }
        let start = self.0.layout.offset();
        let n = self.0.layout.numel();
        let mut guard = self.0.storage.write();
        Ok(f(&mut guard[start..start + n]))
    }

    /// Overwrites the elements of a leaf in place (optimizer updates, loading weights), outside autograd.
    /// The new data must have the tensor's element count; views sharing the storage see the change.
    pub fn assign_data(&self, data: &[f32]) -> Result<()> {
        if data.len() != self.numel() {
            return Err(Error::shape(
                "assign",
                format!(
                    "tensor of shape {:?} cannot take {} elements",
                    self.dims(),
                    data.len()
                ),
            ));
        }
        if !self.0.layout.is_contiguous() {
            return Err(Error::invalid(
                "assign",
                "in-place writes need a contiguous tensor",
            ));
        }
        let start = self.0.layout.offset();
        let mut guard = self.0.storage.write();
        guard[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor{{id: {:?}, shape: {:?}, requires_grad: {}}}",
            self.id(),
            self.dims(),
            self.requires_grad()
        )
    }
}

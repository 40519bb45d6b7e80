//! Reverse-mode differentiation: topological walk plus one derivative rule per primitive.
//!
//! Every rule is written with tensor ops. With `create_graph` the walk runs with recording on, so the
//! gradients it returns are themselves differentiable (gradient penalties, contractive autoencoders);
//! without it the walk runs under no-grad and builds nothing.

use std::collections::{HashMap, HashSet};
use std::f32::consts::PI;

use ferrograd_kernels::{BinaryOp, UnaryOp};

use crate::error::{Error, Result};
use crate::grad_mode::NoGradGuard;
use crate::op::Op;
use crate::ops::conv::{conv2d_geom, conv2d_input_grad_geom, conv2d_weight_grad_geom};
use crate::ops::pool::{gather_planes_op, scatter_planes_op};
use crate::ops::reduce::{keep_shape, ReduceKind};
use crate::ops::resize::{resample, resample_transposed};
use crate::tensor::{Tensor, TensorId};

/// Options of [`Tensor::backward_with`].
#[derive(Debug, Clone, Default)]
pub struct BackwardOptions {
    /// Upstream gradient; required when the output is not a scalar (as in PyTorch).
    pub gradient: Option<Tensor>,
    /// Record the backward pass itself so the resulting gradients can be differentiated again.
    pub create_graph: bool,
}

/// Nodes reachable from `root` through tracked inputs, ordered so every node follows its inputs.
/// Iterative, because unrolled recurrent graphs can be deeper than the native stack.
fn topological_order(root: &Tensor) -> Vec<Tensor> {
    let mut order = Vec::new();
    let mut visited: HashSet<TensorId> = HashSet::new();
    let mut stack: Vec<(Tensor, bool)> = vec![(root.clone(), false)];
    while let Some((node, children_done)) = stack.pop() {
        if children_done {
            order.push(node);
            continue;
        }
        if !visited.insert(node.id()) {
            continue;
        }
        stack.push((node.clone(), true));
        if let Some(op) = node.op() {
            for input in op.inputs() {
                if input.requires_grad() && !visited.contains(&input.id()) {
                    stack.push((input.clone(), false));
                }
            }
        }
    }
    order
}

/// Runs the backward walk from `root` and returns the gradient of every tracked node it reached
/// that is a leaf or listed in `keep`.
fn run(
    root: &Tensor,
    seed: Tensor,
    create_graph: bool,
    keep: &HashSet<TensorId>,
) -> Result<HashMap<TensorId, (Tensor, Tensor)>> {
    let order = topological_order(root);
    let _mode = NoGradGuard::set(create_graph);
    let mut pending: HashMap<TensorId, Tensor> = HashMap::new();
    pending.insert(root.id(), seed);
    let mut done = HashMap::new();
    for node in order.iter().rev() {
        let Some(grad) = pending.remove(&node.id()) else {
            continue;
        };
        if let Some(op) = node.op() {
            let input_grads = op_backward(op, node, &grad, create_graph)?;
            for (input, input_grad) in op.inputs().into_iter().zip(input_grads) {
                let Some(input_grad) = input_grad else {
                    continue;
                };
                if !input.requires_grad() {
                    continue;
                }
                let summed = match pending.remove(&input.id()) {
                    Some(previous) => previous.add(&input_grad)?,
                    None => input_grad,
                };
                pending.insert(input.id(), summed);
            }
        }
        if node.is_leaf() || keep.contains(&node.id()) {
            done.insert(node.id(), (node.clone(), grad));
        }
    }
    Ok(done)
}

fn seed_for(root: &Tensor, gradient: Option<Tensor>, op: &'static str) -> Result<Tensor> {
    if !root.requires_grad() {
        return Err(Error::Autograd {
            op,
            msg: "the tensor does not require grad; create the inputs with requiresGrad: true"
                .into(),
        });
    }
    match gradient {
        Some(g) if g.dims() != root.dims() => Err(Error::mismatch(
            op,
            root.dims(),
            g.dims(),
            "the seed gradient must have the output's shape",
        )),
        Some(g) => Ok(g),
        None if root.numel() == 1 => Ok(Tensor::ones(root.dims())),
        None => Err(Error::Autograd {
            op,
            msg: format!(
                "gradient can be implicitly created only for one-element outputs; output has shape {:?}, pass a gradient",
                root.dims()
            ),
        }),
    }
}

impl Tensor {
    /// Backpropagates from a one-element tensor, accumulating into the `.grad` of every leaf that
    /// requires grad.
    pub fn backward(&self) -> Result<()> {
        self.backward_with(BackwardOptions::default())
    }

    /// Backpropagates with an explicit seed gradient and/or `create_graph`.
    pub fn backward_with(&self, options: BackwardOptions) -> Result<()> {
        let seed = seed_for(self, options.gradient, "backward")?;
        let grads = run(self, seed, options.create_graph, &HashSet::new())?;
        for (leaf, grad) in grads.into_values() {
            if !leaf.is_leaf() {
                continue;
            }
            let grad = if options.create_graph {
                grad
            } else {
                grad.detach()
            };
            let accumulated = match leaf.grad() {
                Some(previous) => {
                    let _mode = NoGradGuard::set(options.create_graph);
                    previous.add(&grad)?
                }
                None => grad,
            };
            leaf.set_grad(Some(accumulated));
        }
        Ok(())
    }

    /// Gradients of `self` with respect to `inputs` (leaves or intermediates), returned instead of
    /// accumulated, like `torch.autograd.grad`. `None` where an input does not influence `self`.
    pub fn grad_wrt(
        &self,
        inputs: &[Tensor],
        options: BackwardOptions,
    ) -> Result<Vec<Option<Tensor>>> {
        let seed = seed_for(self, options.gradient, "grad")?;
        let keep: HashSet<TensorId> = inputs.iter().map(|t| t.id()).collect();
        let grads = run(self, seed, options.create_graph, &keep)?;
        Ok(inputs
            .iter()
            .map(|t| grads.get(&t.id()).map(|(_, g)| g.clone()))
            .collect())
    }
}

/// The forward result a rule reuses: the saved value for first-order passes; recomputed from the
/// inputs under `create_graph`, so that the result stays a differentiable function of them.
fn forward_value(
    saved: &Tensor,
    create_graph: bool,
    recompute: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    if create_graph {
        recompute()
    } else {
        Ok(saved.clone())
    }
}

fn wanted(t: &Tensor) -> bool {
    t.requires_grad()
}

fn op_backward(op: &Op, node: &Tensor, g: &Tensor, cg: bool) -> Result<Vec<Option<Tensor>>> {
    Ok(match op {
        Op::Binary { op, lhs, rhs, out } => {
            let (ga, gb) = binary_rule(*op, lhs, rhs, out, g, cg)?;
            let ga = if wanted(lhs) {
                Some(ga.sum_to_shape(lhs.dims())?)
            } else {
                None
            };
            let gb = if wanted(rhs) {
                Some(gb.sum_to_shape(rhs.dims())?)
            } else {
                None
            };
            vec![ga, gb]
        }
        Op::Unary { op, x, out } => vec![Some(unary_rule(*op, x, out, g, cg)?)],
        Op::Reduce { kind, x, axes, out } => {
            // Rules work in the keepdim shape, whichever shape the forward returned.
            let keep = keep_shape(x.dims(), axes);
            let (g, out) = (&g.reshape_to(&keep)?, &out.reshape_to(&keep)?);
            let gx = match kind {
                ReduceKind::Sum => g.expand_to(x.dims())?,
                ReduceKind::Max | ReduceKind::Min => {
                    // Ties share the gradient evenly, as torch.amax/amin do.
                    let mask = x.eq(&out.detach())?;
                    let count = mask.sum_axes(axes, true)?;
                    mask.mul(&g.div(&count)?)?
                }
                ReduceKind::LogSumExp => {
                    let out = forward_value(out, cg, || {
                        x.reduce_axes(ReduceKind::LogSumExp, axes, true)
                    })?;
                    g.mul(&x.sub(&out)?.exp()?)?
                }
            };
            vec![Some(gx)]
        }
        Op::Softmax { x, axis, log, out } => {
            let ax = *axis as isize;
            let y = forward_value(out, cg, || {
                if *log {
                    x.log_softmax(ax)
                } else {
                    x.softmax(ax)
                }
            })?;
            let gx = if *log {
                g.sub(&y.exp()?.mul(&g.sum(Some(&[ax]), true)?)?)?
            } else {
                y.mul(&g.sub(&g.mul(&y)?.sum(Some(&[ax]), true)?)?)?
            };
            vec![Some(gx)]
        }
        Op::Matmul { lhs, rhs } => {
            let ga = if wanted(lhs) {
                Some(
                    g.matmul(&rhs.transpose(-1, -2)?)?
                        .sum_to_shape(lhs.dims())?,
                )
            } else {
                None
            };
            let gb = if wanted(rhs) {
                Some(lhs.transpose(-1, -2)?.matmul(g)?.sum_to_shape(rhs.dims())?)
            } else {
                None
            };
            vec![ga, gb]
        }
        Op::Reshape { x } => vec![Some(g.reshape_to(x.dims())?)],
        Op::Permute { x: _, perm } => {
            let mut inverse = vec![0isize; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i as isize;
            }
            vec![Some(g.permute(&inverse)?)]
        }
        Op::Narrow { x, axis, start } => {
            let mut pads = vec![(0, 0); x.rank()];
            pads[*axis] = (*start, x.dims()[*axis] - start - node.dims()[*axis]);
            vec![Some(g.pad(&pads, 0.0)?)]
        }
        Op::Expand { x } => vec![Some(g.sum_to_shape(x.dims())?)],
        Op::Copy { .. } => vec![Some(g.clone())],
        Op::Pad { x, pads } => {
            let mut gx = g.clone();
            for (axis, &(before, _)) in pads.iter().enumerate() {
                gx = gx.narrow(axis as isize, before, x.dims()[axis])?;
            }
            vec![Some(gx)]
        }
        Op::Concat { inputs, axis } => {
            let mut start = 0;
            let mut grads = Vec::with_capacity(inputs.len());
            for input in inputs {
                let len = input.dims()[*axis];
                grads.push(if wanted(input) {
                    Some(g.narrow(*axis as isize, start, len)?)
                } else {
                    None
                });
                start += len;
            }
            grads
        }
        // Each selecting op is differentiated by its scattering partner and vice versa.
        Op::IndexSelect { x, axis, index } | Op::Gather { x, axis, index } => {
            let (zeros, ax) = (Tensor::zeros(x.dims()), *axis as isize);
            let gx = match op {
                Op::IndexSelect { .. } => zeros.index_add(ax, index, g)?,
                _ => zeros.scatter_add(ax, index, g)?,
            };
            vec![Some(gx), None]
        }
        Op::IndexAdd {
            base,
            axis,
            index,
            src,
        }
        | Op::ScatterAdd {
            base,
            axis,
            index,
            src,
        } => {
            let ax = *axis as isize;
            let gs = match (wanted(src), op) {
                (false, _) => None,
                (true, Op::IndexAdd { .. }) => Some(g.index_select(ax, index)?),
                (true, _) => Some(g.gather(ax, index)?),
            };
            vec![if wanted(base) { Some(g.clone()) } else { None }, None, gs]
        }
        Op::Where { cond, a, b } => {
            let zero = Tensor::scalar(0.0);
            let ga = if wanted(a) {
                Some(Tensor::where_cond(cond, g, &zero)?.sum_to_shape(a.dims())?)
            } else {
                None
            };
            let gb = if wanted(b) {
                Some(Tensor::where_cond(cond, &zero, g)?.sum_to_shape(b.dims())?)
            } else {
                None
            };
            vec![None, ga, gb]
        }
        // The three convolution products are bilinear and pairwise adjoint (see ops/conv.rs), so
        // each derivative is one of them again and double backward works through all of them.
        Op::Conv2d {
            input,
            weight,
            bias,
            geom,
        } => {
            let mut grads = vec![
                when(input, || conv2d_input_grad_geom(g, weight, geom))?,
                when(weight, || conv2d_weight_grad_geom(input, g, geom))?,
            ];
            if let Some(b) = bias {
                // Spatial axes first: (2, 3) is one contiguous run, so neither sum copies `g`
                // (summing axes 0, 2, 3 at once would permute it into a temporary).
                let rule = || g.sum_axes(&[2, 3], false)?.sum_axes(&[0], false);
                grads.push(when(b, rule)?);
            }
            grads
        }
        Op::Conv2dInputGrad {
            grad_output,
            weight,
            geom,
        } => vec![
            when(grad_output, || conv2d_geom(g, weight, None, geom))?,
            when(weight, || conv2d_weight_grad_geom(g, grad_output, geom))?,
        ],
        Op::Conv2dWeightGrad {
            input,
            grad_output,
            geom,
        } => vec![
            when(input, || conv2d_input_grad_geom(grad_output, g, geom))?,
            when(grad_output, || conv2d_geom(input, g, None, geom))?,
        ],
        // Max pooling: gather at the argmax <-> scatter-add there.
        Op::PlaneGather { x, index } => vec![Some(scatter_planes_op(g, index, x.dims())?)],
        Op::PlaneScatter { src, index } => vec![Some(gather_planes_op(g, index, src.dims())?)],
        // Linear pooling and upsampling: the map <-> its transpose.
        Op::Resample { map, .. } => vec![Some(resample_transposed(g, map)?)],
        Op::ResampleTransposed { map, .. } => {
            vec![Some(resample("resample", g, map.clone())?)]
        }
        Op::Fused { inputs, out, rule } => {
            if cg {
                return Err(Error::Autograd {
                    op: rule.name(),
                    msg: "this fused op has a first-order backward only; create_graph (double backward) is not supported through it".into(),
                });
            }
            let grads = rule.backward(inputs, out, g)?;
            if grads.len() != inputs.len() {
                return Err(Error::Autograd {
                    op: rule.name(),
                    msg: format!(
                        "backward returned {} gradients for {} inputs",
                        grads.len(),
                        inputs.len()
                    ),
                });
            }
            for (input, grad) in inputs.iter().zip(&grads) {
                if let Some(grad) = grad {
                    if grad.dims() != input.dims() {
                        return Err(Error::mismatch(
                            rule.name(),
                            input.dims(),
                            grad.dims(),
                            "backward returned a gradient whose shape differs from its input's",
                        ));
                    }
                }
            }
            grads
        }
    })
}

/// `Some(rule())` when `t` needs a gradient.
fn when(t: &Tensor, rule: impl FnOnce() -> Result<Tensor>) -> Result<Option<Tensor>> {
    if wanted(t) {
        rule().map(Some)
    } else {
        Ok(None)
    }
}

/// Gradients of a broadcasting binary op before reduction to the input shapes.
fn binary_rule(
    op: BinaryOp,
    a: &Tensor,
    b: &Tensor,
    out: &Tensor,
    g: &Tensor,
    cg: bool,
) -> Result<(Tensor, Tensor)> {
    Ok(match op {
        BinaryOp::Add => (g.clone(), g.clone()),
        BinaryOp::Sub => (g.clone(), g.neg()?),
        BinaryOp::Mul => (g.mul(b)?, g.mul(a)?),
        // d(a/b)/db = -a/b^2, written without the saved output so it stays exact at higher order.
        BinaryOp::Div => (g.div(b)?, g.mul(a)?.div(&b.square()?)?.neg()?),
        BinaryOp::Pow => {
            let y = forward_value(out, cg, || a.pow(b))?;
            let ga = g.mul(b)?.mul(&a.pow(&b.add_scalar(-1.0)?)?)?;
            let gb = g.mul(&y)?.mul(&a.log()?)?;
            (ga, gb)
        }
        BinaryOp::Maximum | BinaryOp::Minimum => {
            // As torch: a strict winner takes the gradient, ties split it in half.
            let (a_d, b_d) = (a.detach(), b.detach());
            let (wins_a, wins_b) = if op == BinaryOp::Maximum {
                (a_d.gt(&b_d)?, a_d.lt(&b_d)?)
            } else {
                (a_d.lt(&b_d)?, a_d.gt(&b_d)?)
            };
            let half_ties = a_d.eq(&b_d)?.mul_scalar(0.5)?;
            (
                g.mul(&wins_a.add(&half_ties)?)?,
                g.mul(&wins_b.add(&half_ties)?)?,
            )
        }
        _ => {
            return Err(Error::Autograd {
                op: "backward",
                msg: format!("{op:?} is not differentiable"),
            });
        }
    })
}

fn unary_rule(op: UnaryOp, x: &Tensor, out: &Tensor, g: &Tensor, cg: bool) -> Result<Tensor> {
    let y = || forward_value(out, cg, || x.unary(op));
    Ok(match op {
        UnaryOp::Neg => g.neg()?,
        UnaryOp::Exp => g.mul(&y()?)?,
        UnaryOp::Log => g.div(x)?,
        UnaryOp::Sqrt => g.div(&y()?.mul_scalar(2.0)?)?,
        UnaryOp::Abs => g.mul(&x.detach().sign()?)?,
        UnaryOp::Sign | UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round | UnaryOp::Step => {
            g.mul_scalar(0.0)?
        }
        UnaryOp::Recip => g.mul(&y()?.square()?)?.neg()?,
        UnaryOp::Square => g.mul(&x.mul_scalar(2.0)?)?,
        UnaryOp::Sigmoid => {
            let y = y()?;
            g.mul(&y.mul(&y.neg()?.add_scalar(1.0)?)?)?
        }
        UnaryOp::Tanh => g.mul(&y()?.square()?.neg()?.add_scalar(1.0)?)?,
        UnaryOp::Relu => g.mul(&x.detach().step()?)?,
        UnaryOp::Erf => g.mul(&x.square()?.neg()?.exp()?.mul_scalar(2.0 / PI.sqrt())?)?,
        UnaryOp::Softplus => g.mul(&x.sigmoid()?)?,
        UnaryOp::Sin => g.mul(&x.cos()?)?,
        UnaryOp::Cos => g.mul(&x.sin()?)?.neg()?,
        UnaryOp::LeakyRelu(alpha) => g.mul(
            &x.detach()
                .step()?
                .mul_scalar(1.0 - alpha)?
                .add_scalar(alpha)?,
        )?,
        UnaryOp::Elu(alpha) => {
            // x > 0: 1; otherwise d/dx alpha*(e^x - 1) = y + alpha.
            let positive = x.detach().step()?;
            let negative_slope = y()?.add_scalar(alpha)?;
            let negative = positive.neg()?.add_scalar(1.0)?;
            g.mul(&positive.add(&negative.mul(&negative_slope)?)?)?
        }
        UnaryOp::PowScalar(p) => g.mul(&x.pow_scalar(p - 1.0)?.mul_scalar(p)?)?,
        UnaryOp::Clamp(lo, hi) => {
            // As torch: the gradient passes where lo <= x <= hi (inclusive bounds).
            let xd = x.detach();
            let inside = xd
                .ge(&Tensor::scalar(lo))?
                .mul(&xd.le(&Tensor::scalar(hi))?)?;
            g.mul(&inside)?
        }
        UnaryOp::AddScalar(_) => g.clone(),
        UnaryOp::MulScalar(s) => g.mul_scalar(s)?,
    })
}

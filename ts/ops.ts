/**
 * Functional forms of the tensor ops (`add(a, b)`, `matmul(a, b)`, ...), for code that reads
 * better that way. Each is exactly the method of the same name on {@link Tensor}.
 */

import { NativeTensor } from './native';
import { native } from './errors';
import { Axes, ReduceOptions, Tensor, TensorLike, VarianceOptions, asTensor } from './tensor';

/** `a + b`, broadcasting. */
export const add = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).add(b);
/** `a - b`, broadcasting. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).sub(b);
/** `a * b`, broadcasting. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).mul(b);
/** `a / b`, broadcasting. */
export const div = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).div(b);
/** `a ^ b`, broadcasting. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).pow(b);
/** Elementwise maximum. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).maximum(b);
/** Elementwise minimum. */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).minimum(b);
/** `-x`. */
export const neg = (x: Tensor): Tensor => x.neg();
/** `e^x`. */
export const exp = (x: Tensor): Tensor => x.exp();
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => x.log();
/** Square root. */
export const sqrt = (x: Tensor): Tensor => x.sqrt();
/** Absolute value. */
export const abs = (x: Tensor): Tensor => x.abs();
/** Sign. */
export const sign = (x: Tensor): Tensor => x.sign();
/** `x^2`. */
export const square = (x: Tensor): Tensor => x.square();
/** `1 / x`. */
export const reciprocal = (x: Tensor): Tensor => x.reciprocal();
/** Sine. */
export const sin = (x: Tensor): Tensor => x.sin();
/** Cosine. */
export const cos = (x: Tensor): Tensor => x.cos();
/** Gauss error function. */
export const erf = (x: Tensor): Tensor => x.erf();
/** Clamps into `[min, max]`. */
export const clamp = (x: Tensor, min?: number, max?: number): Tensor => x.clamp(min, max);
/** `1` where `a == b`. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).eq(b);
/** `1` where `a != b`. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).ne(b);
/** `1` where `a < b`. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).lt(b);
/** `1` where `a <= b`. */
export const le = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).le(b);
/** `1` where `a > b`. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).gt(b);
/** `1` where `a >= b`. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => asTensor(a).ge(b);

/** Picks `a` where `condition` is non-zero and `b` elsewhere, broadcasting all three. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = [asTensor(a), asTensor(b)];
  return new Tensor(native(() => NativeTensor.where(condition.native, ta.native, tb.native)));
}

/** Logistic sigmoid. */
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => x.tanh();
/** ReLU. */
export const relu = (x: Tensor): Tensor => x.relu();
/** Leaky ReLU (default alpha 0.01). */
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => x.leakyRelu(alpha);
/** ELU (default alpha 1). */
export const elu = (x: Tensor, alpha = 1): Tensor => x.elu(alpha);
/** GELU (exact, or `'tanh'` approximation). */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor => x.gelu(approximate);
/** Softplus. */
export const softplus = (x: Tensor): Tensor => x.softplus();
/** Softsign. */
export const softsign = (x: Tensor): Tensor => x.softsign();
/** SiLU / swish. */
export const silu = (x: Tensor): Tensor => x.silu();
/** `log(sigmoid(x))`. */
export const logSigmoid = (x: Tensor): Tensor => x.logSigmoid();
/** Softmax along `axis`. */
export const softmax = (x: Tensor, axis = -1): Tensor => x.softmax(axis);
/** Log-softmax along `axis`. */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => x.logSoftmax(axis);

/** Sum over `axes`. */
export const sum = (x: Tensor, axes?: Axes, options?: ReduceOptions): Tensor => x.sum(axes, options);
/** Mean over `axes`. */
export const mean = (x: Tensor, axes?: Axes, options?: ReduceOptions): Tensor => x.mean(axes, options);
/** Maximum over `axes`. */
export const max = (x: Tensor, axes?: Axes, options?: ReduceOptions): Tensor => x.max(axes, options);
/** Minimum over `axes`. */
export const min = (x: Tensor, axes?: Axes, options?: ReduceOptions): Tensor => x.min(axes, options);
/** `log(sum(exp(x)))` over `axes`. */
export const logsumexp = (x: Tensor, axes?: Axes, options?: ReduceOptions): Tensor => x.logsumexp(axes, options);
/** Variance over `axes` (`var` is a reserved word in JS). */
export const variance = (x: Tensor, axes?: Axes, options?: VarianceOptions): Tensor => x.var(axes, options);
/** Standard deviation over `axes`. */
export const std = (x: Tensor, axes?: Axes, options?: VarianceOptions): Tensor => x.std(axes, options);
/** Index of the maximum along `axis`. */
export const argmax = (x: Tensor, axis?: number, options?: ReduceOptions): Tensor => x.argmax(axis, options);
/** Index of the minimum along `axis`. */
export const argmin = (x: Tensor, axis?: number, options?: ReduceOptions): Tensor => x.argmin(axis, options);

/** Matrix product (`torch.matmul` semantics). */
export const matmul = (a: Tensor, b: Tensor): Tensor => a.matmul(b);
/** {@link matmul} computed off the JS thread. */
export const matmulAsync = (a: Tensor, b: Tensor): Promise<Tensor> => a.matmulAsync(b);

/** Reshape. */
export const reshape = (x: Tensor, shape: number[]): Tensor => x.reshape(shape);
/** Permute dimensions. */
export const permute = (x: Tensor, dims: number[]): Tensor => x.permute(dims);
/** Swap two dimensions. */
export const transpose = (x: Tensor, dim0 = -2, dim1 = -1): Tensor => x.transpose(dim0, dim1);
/** Narrow along an axis. */
export const narrow = (x: Tensor, axis: number, start: number, length: number): Tensor => x.narrow(axis, start, length);
/** Python-style slice along an axis. */
export const slice = (x: Tensor, axis: number, start?: number, end?: number, step?: number): Tensor =>
  x.slice(axis, start, end, step);
/** Broadcast to a shape. */
export const expand = (x: Tensor, shape: number[]): Tensor => x.expand(shape);
/** Remove size-1 dimensions. */
export const squeeze = (x: Tensor, axis?: number): Tensor => x.squeeze(axis);
/** Insert a size-1 dimension. */
export const unsqueeze = (x: Tensor, axis: number): Tensor => x.unsqueeze(axis);
/** Merge dimensions. */
export const flatten = (x: Tensor, startAxis = 0, endAxis = -1): Tensor => x.flatten(startAxis, endAxis);
/** Constant padding. */
export const pad = (x: Tensor, pads: Array<[number, number]>, value = 0): Tensor => x.pad(pads, value);
/** Split into pieces. */
export const split = (x: Tensor, sizes: number | number[], axis = 0): Tensor[] => x.split(sizes, axis);
/** Split into equal chunks. */
export const chunk = (x: Tensor, chunks: number, axis = 0): Tensor[] => x.chunk(chunks, axis);

/** Joins tensors along an existing `axis` (PyTorch's `cat`). */
export function concat(tensors: Tensor[], axis = 0): Tensor {
  return new Tensor(native(() => NativeTensor.concat(tensors.map((t) => t.native), axis)));
}

/** Joins same-shaped tensors along a new `axis`. */
export function stack(tensors: Tensor[], axis = 0): Tensor {
  return new Tensor(native(() => NativeTensor.stack(tensors.map((t) => t.native), axis)));
}

/** Select entries along an axis. */
export const indexSelect = (x: Tensor, axis: number, index: Tensor | number[]): Tensor => x.indexSelect(axis, index);
/** Add slices at indices along an axis. */
export const indexAdd = (x: Tensor, axis: number, index: Tensor | number[], source: Tensor): Tensor =>
  x.indexAdd(axis, index, source);
/** `torch.gather`. */
export const gather = (x: Tensor, axis: number, index: Tensor): Tensor => x.gather(axis, index);
/** `torch.scatter_add`. */
export const scatterAdd = (x: Tensor, axis: number, index: Tensor, source: Tensor): Tensor =>
  x.scatterAdd(axis, index, source);
/** One-hot encode integer labels. */
export const oneHot = (labels: Tensor, numClasses: number): Tensor => labels.oneHot(numClasses);

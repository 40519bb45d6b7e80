import './internal/dispose';

import { NativeTensor } from './native';
import { FerrogradError, ShapeError, ValueError, native, nativeAsync } from './errors';
import { track } from './internal/scope';

/** Element types. Only `'float32'` is implemented today; the others are reserved names. */
export type DType = 'float32' | 'float64' | 'bfloat16' | 'int32' | 'int64' | 'bool';

/** A number or arbitrarily nested arrays of numbers (the shape is inferred). */
export type NestedArray = number | NestedArray[];

/** Data accepted by {@link tensor}: nested arrays, a typed array or a flat array plus a shape. */
export type TensorData = NestedArray | Float32Array | ArrayLike<number>;

/** A tensor or a plain number (broadcast as a 0-d tensor). */
export type TensorLike = Tensor | number;

/** Axes for reductions: one axis, several, or `undefined` for all. Negative axes count from the end. */
export type Axes = number | number[] | undefined;

/** Options of reductions. */
export interface ReduceOptions {
  /** Keep reduced axes as size-1 dimensions (default `false`). */
  keepDims?: boolean;
}

/** Options of {@link Tensor.var} and {@link Tensor.std}. */
export interface VarianceOptions extends ReduceOptions {
  /** Subtracted from the element count in the denominator: 1 = unbiased (default, as PyTorch), 0 = population. */
  correction?: number;
}

/** Options of {@link Tensor.backward}. */
export interface BackwardOptions {
  /** Upstream gradient; required when the tensor has more than one element. */
  gradient?: Tensor;
  /** Record the backward pass so the gradients can be differentiated again (default `false`). */
  createGraph?: boolean;
}

function axesList(axes: Axes): number[] | undefined {
  if (axes === undefined) return undefined;
  return typeof axes === 'number' ? [axes] : axes;
}

/**
 * An n-dimensional float32 array in native memory, with optional gradient tracking.
 *
 * Ops are synchronous (like PyTorch) and run in the Rust engine; heavy ones also have `...Async`
 * forms that compute off the JS thread. Native memory is released when the object is garbage
 * collected, or at once with {@link Tensor.dispose} or a `using` declaration — no `tidy()` needed.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.matmul(x).sum();
 * y.backward();
 * console.log(x.grad!.toString());
 * ```
 */
export class Tensor implements Disposable {
  /** @internal */
  readonly native: NativeTensor;

  /** @internal Wraps a native handle; use {@link tensor} or the factories to create tensors. */
  constructor(handle: NativeTensor) {
    this.native = handle;
    track(this);
  }

  // ---- properties ---------------------------------------------------------------------

  /** The dimensions, e.g. `[batch, features]`. */
  get shape(): number[] {
    return native(() => this.native.shape);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Element type. */
  get dtype(): DType {
    return native(() => this.native.dtype) as DType;
  }

  /** Whether gradients flow to this tensor. Settable on leaves (tensors not produced by an op). */
  get requiresGrad(): boolean {
    return native(() => this.native.requiresGrad);
  }

  set requiresGrad(value: boolean) {
    native(() => this.native.setRequiresGrad(value));
  }

  /** `true` when no op produced this tensor (created data, parameters). */
  get isLeaf(): boolean {
    return native(() => this.native.isLeaf);
  }

  /** The gradient accumulated by {@link Tensor.backward}, or `null`. */
  get grad(): Tensor | null {
    const g = native(() => this.native.grad());
    return g === null || g === undefined ? null : new Tensor(g);
  }

  /** `true` after {@link Tensor.dispose}. */
  get isDisposed(): boolean {
    return this.native.disposed;
  }

  // ---- data out -----------------------------------------------------------------------

  /** Copies the elements (row-major) on a worker thread. */
  data(): Promise<Float32Array> {
    return nativeAsync(() => this.native.dataAsync());
  }

  /** Copies the elements (row-major) synchronously. */
  dataSync(): Float32Array {
    return native(() => this.native.toFloat32Array());
  }

  /** The elements as nested arrays matching {@link Tensor.shape} (a number for 0-d tensors). */
  toArray(): NestedArray {
    const flat = this.dataSync();
    const shape = this.shape;
    let pos = 0;
    const build = (dim: number): NestedArray => {
      if (dim === shape.length) return flat[pos++]!;
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[dim]!; i++) out.push(build(dim + 1));
      return out;
    };
    return build(0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    return native(() => this.native.item());
  }

  /** PyTorch-style rendering, e.g. `tensor([[1., 2.], [3., 4.]], requires_grad=True)`; op results name their backward node (`grad_fn=<MulBackward0>`). */
  toString(): string {
    return native(() => this.native.format());
  }

  /** Releases the native memory now. Idempotent; using the tensor afterwards throws `DisposedError`. */
  dispose(): void {
    native(() => this.native.dispose());
  }

  /** Called by `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- helpers ------------------------------------------------------------------------

  private unary(op: string, a?: number, b?: number): Tensor {
    return new Tensor(native(() => this.native.unary(op, a, b)));
  }

  private binary(other: TensorLike, op: string): Tensor {
    const rhs = asTensor(other);
    return new Tensor(native(() => this.native.binary(rhs.native, op)));
  }

  private reduce(op: string, axes: Axes, keepDims = false, correction?: number): Tensor {
    return new Tensor(native(() => this.native.reduce(op, axesList(axes), keepDims, correction)));
  }

  private async binaryAsync(other: TensorLike, op: string): Promise<Tensor> {
    const rhs = asTensor(other);
    return new Tensor(await nativeAsync(() => this.native.binaryAsync(rhs.native, op)));
  }

  private async unaryAsync(op: string, a?: number): Promise<Tensor> {
    return new Tensor(await nativeAsync(() => this.native.unaryAsync(op, a)));
  }

  private async reduceAsync(op: string, axes: Axes, keepDims = false): Promise<Tensor> {
    return new Tensor(await nativeAsync(() => this.native.reduceAsync(op, axesList(axes), keepDims)));
  }

  // ---- arithmetic (broadcasting) --------------------------------------------------------

  /** `this + other`, broadcasting. */
  add(other: TensorLike): Tensor {
    return typeof other === 'number' ? this.unary('addScalar', other) : this.binary(other, 'add');
  }
  /** `this - other`, broadcasting. */
  sub(other: TensorLike): Tensor {
    return typeof other === 'number' ? this.unary('addScalar', -other) : this.binary(other, 'sub');
  }
  /** `this * other`, broadcasting. */
  mul(other: TensorLike): Tensor {
    return typeof other === 'number' ? this.unary('mulScalar', other) : this.binary(other, 'mul');
  }
  /** `this / other`, broadcasting. */
  div(other: TensorLike): Tensor {
    return this.binary(other, 'div');
  }
  /** `this ^ exponent`, broadcasting. */
  pow(exponent: TensorLike): Tensor {
    return typeof exponent === 'number' ? this.unary('powScalar', exponent) : this.binary(exponent, 'pow');
  }
  /** Elementwise maximum with broadcasting. */
  maximum(other: TensorLike): Tensor {
    return this.binary(other, 'maximum');
  }
  /** Elementwise minimum with broadcasting. */
  minimum(other: TensorLike): Tensor {
    return this.binary(other, 'minimum');
  }
  /** `-this`. */
  neg(): Tensor {
    return this.unary('neg');
  }
  /** `e^this`. */
  exp(): Tensor {
    return this.unary('exp');
  }
  /** Natural logarithm. */
  log(): Tensor {
    return this.unary('log');
  }
  /** Square root. */
  sqrt(): Tensor {
    return this.unary('sqrt');
  }
  /** Absolute value. */
  abs(): Tensor {
    return this.unary('abs');
  }
  /** `-1`, `0` or `1` by sign. */
  sign(): Tensor {
    return this.unary('sign');
  }
  /** `this^2`. */
  square(): Tensor {
    return this.unary('square');
  }
  /** `1 / this`. */
  reciprocal(): Tensor {
    return this.unary('reciprocal');
  }
  /** Sine. */
  sin(): Tensor {
    return this.unary('sin');
  }
  /** Cosine. */
  cos(): Tensor {
    return this.unary('cos');
  }
  /** Gauss error function. */
  erf(): Tensor {
    return this.unary('erf');
  }
  /** Round down. */
  floor(): Tensor {
    return this.unary('floor');
  }
  /** Round up. */
  ceil(): Tensor {
    return this.unary('ceil');
  }
  /** Round to the nearest integer, halves to even (as PyTorch). */
  round(): Tensor {
    return this.unary('round');
  }
  /** Clamps into `[min, max]`; pass `undefined` for an open side. */
  clamp(min?: number, max?: number): Tensor {
    return this.unary('clamp', min, max);
  }

  // ---- comparisons (results are 0/1 float tensors without gradient) ---------------------

  /** `1` where `this == other`. */
  eq(other: TensorLike): Tensor {
    return this.binary(other, 'eq');
  }
  /** `1` where `this != other`. */
  ne(other: TensorLike): Tensor {
    return this.binary(other, 'ne');
  }
  /** `1` where `this < other`. */
  lt(other: TensorLike): Tensor {
    return this.binary(other, 'lt');
  }
  /** `1` where `this <= other`. */
  le(other: TensorLike): Tensor {
    return this.binary(other, 'le');
  }
  /** `1` where `this > other`. */
  gt(other: TensorLike): Tensor {
    return this.binary(other, 'gt');
  }
  /** `1` where `this >= other`. */
  ge(other: TensorLike): Tensor {
    return this.binary(other, 'ge');
  }

  // ---- activations --------------------------------------------------------------------

  /** Logistic sigmoid. */
  sigmoid(): Tensor {
    return this.unary('sigmoid');
  }
  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return this.unary('tanh');
  }
  /** `max(x, 0)`. */
  relu(): Tensor {
    return this.unary('relu');
  }
  /** `x` if positive, else `alpha * x` (default alpha 0.01, as PyTorch). */
  leakyRelu(alpha = 0.01): Tensor {
    return this.unary('leakyRelu', alpha);
  }
  /** `x` if positive, else `alpha * (e^x - 1)`. */
  elu(alpha = 1): Tensor {
    return this.unary('elu', alpha);
  }
  /** GELU; `approximate: 'tanh'` selects the tanh approximation (as `torch.nn.GELU`). */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return this.unary(approximate === 'tanh' ? 'geluTanh' : 'gelu');
  }
  /** `log(1 + e^x)`, stable for large |x|. */
  softplus(): Tensor {
    return this.unary('softplus');
  }
  /** `x / (1 + |x|)`. */
  softsign(): Tensor {
    return this.unary('softsign');
  }
  /** `x * sigmoid(x)` (swish). */
  silu(): Tensor {
    return this.unary('silu');
  }
  /** `log(sigmoid(x))`, stable. */
  logSigmoid(): Tensor {
    return this.unary('logSigmoid');
  }
  /** Softmax along `axis` (default last), numerically stable. */
  softmax(axis = -1): Tensor {
    return this.reduce('softmax', axis);
  }
  /** Log-softmax along `axis` (default last), numerically stable. */
  logSoftmax(axis = -1): Tensor {
    return this.reduce('logSoftmax', axis);
  }

  // ---- reductions ---------------------------------------------------------------------

  /** Sum over `axes` (all by default). */
  sum(axes?: Axes, options: ReduceOptions = {}): Tensor {
    return this.reduce('sum', axes, options.keepDims);
  }
  /** Mean over `axes` (all by default). */
  mean(axes?: Axes, options: ReduceOptions = {}): Tensor {
    return this.reduce('mean', axes, options.keepDims);
  }
  /** Maximum over `axes`; ties share the gradient (as `torch.amax`). */
  max(axes?: Axes, options: ReduceOptions = {}): Tensor {
    return this.reduce('max', axes, options.keepDims);
  }
  /** Minimum over `axes`; ties share the gradient (as `torch.amin`). */
  min(axes?: Axes, options: ReduceOptions = {}): Tensor {
    return this.reduce('min', axes, options.keepDims);
  }
  /** `log(sum(exp(x)))` over `axes`, stable. */
  logsumexp(axes?: Axes, options: ReduceOptions = {}): Tensor {
    return this.reduce('logsumexp', axes, options.keepDims);
  }
  /** Variance over `axes` (unbiased by default). */
  var(axes?: Axes, options: VarianceOptions = {}): Tensor {
    return this.reduce('var', axes, options.keepDims, options.correction ?? 1);
  }
  /** Standard deviation over `axes` (unbiased by default). */
  std(axes?: Axes, options: VarianceOptions = {}): Tensor {
    return this.reduce('std', axes, options.keepDims, options.correction ?? 1);
  }
  /** Index of the maximum along `axis` (flattened when omitted), as float32 integers. */
  argmax(axis?: number, options: ReduceOptions = {}): Tensor {
    return this.reduce('argmax', axis, options.keepDims);
  }
  /** Index of the minimum along `axis` (flattened when omitted), as float32 integers. */
  argmin(axis?: number, options: ReduceOptions = {}): Tensor {
    return this.reduce('argmin', axis, options.keepDims);
  }

  // ---- linear algebra -----------------------------------------------------------------

  /** Matrix product with `torch.matmul` semantics (vectors promoted, batch dims broadcast). */
  matmul(other: Tensor): Tensor {
    return this.binary(other, 'matmul');
  }

  // ---- async forms (computed off the JS thread) -----------------------------------------

  /** {@link Tensor.matmul} computed on a worker thread. */
  matmulAsync(other: Tensor): Promise<Tensor> {
    return this.binaryAsync(other, 'matmul');
  }
  /** {@link Tensor.add} computed on a worker thread. */
  addAsync(other: TensorLike): Promise<Tensor> {
    return this.binaryAsync(other, 'add');
  }
  /** {@link Tensor.sub} computed on a worker thread. */
  subAsync(other: TensorLike): Promise<Tensor> {
    return this.binaryAsync(other, 'sub');
  }
  /** {@link Tensor.mul} computed on a worker thread. */
  mulAsync(other: TensorLike): Promise<Tensor> {
    return this.binaryAsync(other, 'mul');
  }
  /** {@link Tensor.div} computed on a worker thread. */
  divAsync(other: TensorLike): Promise<Tensor> {
    return this.binaryAsync(other, 'div');
  }
  /** {@link Tensor.exp} computed on a worker thread. */
  expAsync(): Promise<Tensor> {
    return this.unaryAsync('exp');
  }
  /** {@link Tensor.tanh} computed on a worker thread. */
  tanhAsync(): Promise<Tensor> {
    return this.unaryAsync('tanh');
  }
  /** {@link Tensor.sigmoid} computed on a worker thread. */
  sigmoidAsync(): Promise<Tensor> {
    return this.unaryAsync('sigmoid');
  }
  /** {@link Tensor.relu} computed on a worker thread. */
  reluAsync(): Promise<Tensor> {
    return this.unaryAsync('relu');
  }
  /** {@link Tensor.sum} computed on a worker thread. */
  sumAsync(axes?: Axes, options: ReduceOptions = {}): Promise<Tensor> {
    return this.reduceAsync('sum', axes, options.keepDims);
  }
  /** {@link Tensor.mean} computed on a worker thread. */
  meanAsync(axes?: Axes, options: ReduceOptions = {}): Promise<Tensor> {
    return this.reduceAsync('mean', axes, options.keepDims);
  }
  /** {@link Tensor.softmax} computed on a worker thread. */
  softmaxAsync(axis = -1): Promise<Tensor> {
    return this.reduceAsync('softmax', axis);
  }

  // ---- views and shape ----------------------------------------------------------------

  /** Same data, new shape (one entry may be `-1`). A view when the data is contiguous. */
  reshape(shape: number[]): Tensor {
    return new Tensor(native(() => this.native.reshape(shape)));
  }
  /** Alias of {@link Tensor.reshape} (PyTorch's name). */
  view(shape: number[]): Tensor {
    return this.reshape(shape);
  }
  /** Reorders dimensions: result dim `i` is input dim `dims[i]`. A view. */
  permute(dims: number[]): Tensor {
    return new Tensor(native(() => this.native.permute(dims)));
  }
  /** Swaps two dimensions (default: the last two). A view. */
  transpose(dim0 = -2, dim1 = -1): Tensor {
    return new Tensor(native(() => this.native.transpose(dim0, dim1)));
  }
  /** `length` entries of `axis` from `start` (negative counts from the end, as PyTorch). A view. */
  narrow(axis: number, start: number, length: number): Tensor {
    const from = start < 0 ? start + (this.shape.at(axis) ?? 0) : start;
    return new Tensor(native(() => this.native.narrow(axis, from, length)));
  }
  /** Python-style `x[start:end:step]` along `axis` (negative bounds count from the end). */
  slice(axis: number, start = 0, end?: number, step = 1): Tensor {
    const stop = end ?? this.shape.at(axis) ?? 0;
    return new Tensor(native(() => this.native.slice(axis, start, stop, step)));
  }
  /** Broadcasts size-1 dimensions to `shape` (`-1` keeps a dimension). A view. */
  expand(shape: number[]): Tensor {
    return new Tensor(native(() => this.native.expand(shape)));
  }
  /** Removes `axis` if it has size 1, or all size-1 dimensions. */
  squeeze(axis?: number): Tensor {
    return new Tensor(native(() => this.native.squeeze(axis)));
  }
  /** Inserts a size-1 dimension at `axis`. */
  unsqueeze(axis: number): Tensor {
    return new Tensor(native(() => this.native.unsqueeze(axis)));
  }
  /** Merges dimensions `startAxis..endAxis` (inclusive; default all). */
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return new Tensor(native(() => this.native.flatten(startAxis, endAxis)));
  }
  /** A row-major copy if the layout is not contiguous, else `this`. */
  contiguous(): Tensor {
    return this.unary('contiguous');
  }
  /** Constant padding: one `[before, after]` pair per dimension, outermost first. */
  pad(pads: Array<[number, number]>, value = 0): Tensor {
    return new Tensor(native(() => this.native.pad(pads.flat(), value)));
  }
  /** Splits along `axis` into pieces of `sizes` (or into equal pieces of size `sizes`). Views. */
  split(sizes: number | number[], axis = 0): Tensor[] {
    let list: number[];
    if (typeof sizes === 'number') {
      const total = this.shape.at(axis) ?? 0;
      if (!(sizes > 0)) throw new ValueError(`split: size must be positive, got ${sizes}`);
      list = [];
      for (let left = total; left > 0; left -= sizes) list.push(Math.min(sizes, left));
    } else {
      list = sizes;
    }
    return native(() => this.native.split(list, axis)).map((t) => new Tensor(t));
  }
  /** Splits into `chunks` nearly equal views along `axis`. */
  chunk(chunks: number, axis = 0): Tensor[] {
    return native(() => this.native.chunk(chunks, axis)).map((t) => new Tensor(t));
  }

  // ---- indexing -----------------------------------------------------------------------

  /** Entries `index` (1-D integer tensor or array) along `axis`. */
  indexSelect(axis: number, index: Tensor | number[]): Tensor {
    const idx = asIndex(index);
    return new Tensor(native(() => this.native.indexSelect(axis, idx.native)));
  }
  /** Copy of `this` with `source` slices added at `index` along `axis` (repeats accumulate). */
  indexAdd(axis: number, index: Tensor | number[], source: Tensor): Tensor {
    const idx = asIndex(index);
    return new Tensor(native(() => this.native.indexAdd(axis, idx.native, source.native)));
  }
  /** `torch.gather`: picks along `axis` at positions `index` (same rank as `this`). */
  gather(axis: number, index: Tensor): Tensor {
    return new Tensor(native(() => this.native.gather(axis, index.native)));
  }
  /** `torch.scatter_add`: copy of `this` with `source` added at positions `index` along `axis`. */
  scatterAdd(axis: number, index: Tensor, source: Tensor): Tensor {
    return new Tensor(native(() => this.native.scatterAdd(axis, index.native, source.native)));
  }
  /** One-hot encodes integer labels into a trailing dimension of size `numClasses`. */
  oneHot(numClasses: number): Tensor {
    return new Tensor(native(() => this.native.oneHot(numClasses)));
  }

  // ---- autograd -----------------------------------------------------------------------

  /** Marks a leaf as requiring grad (in place) and returns it, like PyTorch's `requires_grad_()`. */
  requiresGrad_(requires = true): this {
    this.requiresGrad = requires;
    return this;
  }

  /**
   * Backpropagates from this tensor, accumulating into the `.grad` of every leaf that requires
   * grad. One-element tensors need no seed gradient.
   */
  backward(options: BackwardOptions = {}): void {
    native(() => this.native.backward(options.gradient?.native, options.createGraph ?? false));
  }

  /** Clears the accumulated gradient. */
  zeroGrad(): void {
    native(() => this.native.zeroGrad());
  }

  /** A leaf sharing this tensor's data, cut from the autograd graph. */
  detach(): Tensor {
    return new Tensor(native(() => this.native.detach()));
  }

  /** Overwrites the elements in place, outside autograd (for optimizers and weight loading). */
  assign(values: Tensor | Float32Array | number[]): this {
    const data = values instanceof Tensor ? values.dataSync() : Float32Array.from(values);
    native(() => this.native.assign(data));
    return this;
  }
}

/** Options of tensor factories. */
export interface TensorOptions {
  /** Track gradients for this leaf (default `false`). */
  requiresGrad?: boolean;
}

function inferShape(data: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], out: number[], dim: number, op: string): void {
  if (dim === shape.length) {
    if (Array.isArray(data)) throw new ShapeError(`${op}: ragged nested array: expected a number at depth ${dim}`);
    if (typeof data !== 'number') throw new ValueError(`${op}: expected numbers, got ${typeof data} at depth ${dim}`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new ShapeError(
      `${op}: ragged nested array: expected ${shape[dim]} entries at depth ${dim}, got ${Array.isArray(data) ? data.length : typeof data}`,
    );
  }
  for (const item of data) flatten(item, shape, out, dim + 1, op);
}

/** @internal */
export function wrapNative(handle: NativeTensor, options: TensorOptions = {}): Tensor {
  const t = new Tensor(handle);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * Creates a tensor from nested arrays (shape inferred), a number (0-d), or flat data plus a shape.
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]);                       // shape [2, 2]
 * tensor(new Float32Array([1, 2, 3, 4]), [2, 2]); // same, from a typed array
 * tensor(3.5);                                     // 0-d
 * ```
 */
export function tensor(data: TensorData, shape?: number[], options: TensorOptions = {}): Tensor {
  let flat: Float32Array;
  let dims: number[];
  if (data instanceof Float32Array || (!Array.isArray(data) && typeof data !== 'number')) {
    flat = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    dims = shape ?? [flat.length];
  } else {
    const inferred = inferShape(data, 'tensor');
    const values: number[] = [];
    flatten(data, inferred, values, 0, 'tensor');
    flat = Float32Array.from(values);
    dims = shape ?? inferred;
  }
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid dimension ${d} in shape [${dims.join(', ')}]`);
  }
  return wrapNative(native(() => NativeTensor.fromData(flat, dims)), options);
}

/** Numbers become 0-d tensors; tensors pass through. @internal */
export function asTensor(value: TensorLike): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number') throw new ValueError(`expected a Tensor or a number, got ${typeof value}`);
  return wrapNative(native(() => NativeTensor.fromData(new Float32Array([value]), [])));
}

function asIndex(index: Tensor | number[]): Tensor {
  return index instanceof Tensor ? index : tensor(Float32Array.from(index), [index.length]);
}

/** @internal Re-exported so every module reports errors through the same classes. */
export { FerrogradError };

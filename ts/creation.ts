import { NativeTensor } from './native';
import { native } from './errors';
import { Tensor, TensorOptions, wrapNative } from './tensor';

/** Options of random factories. */
export interface RandomOptions extends TensorOptions {
  /** Draw from this seed instead of the global generator (see {@link manualSeed}). */
  seed?: number;
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  return wrapNative(native(() => NativeTensor.full(shape, value)), options);
}

/** A tensor of zeros. */
export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

/** A tensor of ones. */
export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Zeros shaped like `t`. */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return zeros(t.shape, options);
}

/** Ones shaped like `t`. */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return ones(t.shape, options);
}

/**
 * `start, start + step, ...` up to (excluding) `end`, like `torch.arange`. With one argument,
 * counts from 0 to it.
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  return wrapNative(native(() => NativeTensor.arange(from, to, step)), options);
}

/** `steps` evenly spaced values from `start` to `end` inclusive. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  return wrapNative(native(() => NativeTensor.linspace(start, end, steps)), options);
}

/** An `n x m` matrix (default square) with ones on the diagonal. */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  return wrapNative(native(() => NativeTensor.eye(n, m)), options);
}

/** Uniform draws in `[low, high)` (default `[0, 1)`), reproducible under {@link manualSeed}. */
export function rand(shape: number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  return wrapNative(native(() => NativeTensor.rand(shape, low, high, options.seed)), options);
}

/** Normal draws (default mean 0, std 1), reproducible under {@link manualSeed}. */
export function randn(shape: number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  return wrapNative(native(() => NativeTensor.randn(shape, mean, std, options.seed)), options);
}

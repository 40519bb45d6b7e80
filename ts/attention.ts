/**
 * Eager scaled dot-product attention for custom modules and training loops (the attention layers
 * call the same native kernel).
 */

import { native } from './errors';
import { scaledDotProductAttention as nativeAttention } from './native';
import { Tensor } from './tensor';

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /** Attention mask, `[Lq, Lk]` or `[B|1, H|1, Lq, Lk]`: see `maskKind`. */
  mask?: Tensor;
  /**
   * `'boolean'` (default): nonzero means the key is masked out (PyTorch's
   * `nn.MultiheadAttention` convention); `'additive'`: added to the scaled scores (`-Infinity`
   * excludes a key).
   */
  maskKind?: 'boolean' | 'additive';
  /** `[B, Lk]`, nonzero = that key is padding and is masked out. */
  keyPaddingMask?: Tensor;
  /** Query `i` attends keys `j <= i` only (default false). */
  causal?: boolean;
  /** Dropout probability on the attention weights (default 0; apply only in training). */
  dropout?: number;
  /** Score scale (default `1/√D`). */
  scale?: number;
  /** Dropout seed (default: drawn from the global generator, see `manualSeed`). */
  seed?: number;
}

function args(options: AttentionOptions, needWeights: boolean) {
  return {
    maskKind: options.mask === undefined ? undefined : (options.maskKind ?? 'boolean'),
    causal: options.causal ?? false,
    dropoutP: options.dropout ?? 0,
    scale: options.scale,
    seed: options.seed,
    needWeights,
  };
}

/**
 * `softmax(scale·Q·Kᵀ + masks)·V` for q `[B, H, Lq, D]`, k `[B, H, Lk, D]`, v `[B, H, Lk, Dv]`,
 * returning `[B, H, Lq, Dv]`. Fused and tiled over keys with an online softmax (FlashAttention),
 * so memory beyond the inputs grows linearly with the sequence length; the backward recomputes
 * the weights. Differentiable in q, k and v (first order). A query whose keys are all masked gets
 * a zero output row (PyTorch gives NaN).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const [out] = native(() => nativeAttention(q.native, k.native, v.native, options.mask?.native, options.keyPaddingMask?.native, args(options, false)));
  return new Tensor(out!);
}

/**
 * {@link scaledDotProductAttention} through the materialised path, also returning the attention
 * weights `[B, H, Lq, Lk]` (after dropout, as PyTorch). Memory grows with `Lq·Lk`: use it to
 * inspect or visualise attention, not for long sequences.
 */
export function attentionWithWeights(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): { output: Tensor; weights: Tensor } {
  const [output, weights] = native(() => nativeAttention(q.native, k.native, v.native, options.mask?.native, options.keyPaddingMask?.native, args(options, true)));
  return { output: new Tensor(output!), weights: new Tensor(weights!) };
}

/**
 * Seeded data augmentation for image batches `[N, C, H, W]` (NCHW), computed natively: each
 * sample draws its own flip, crop, shift, rotation or noise. Use the functions directly, or
 * build a pipeline step for {@link Dataset.map} with {@link augmentation}:
 *
 * ```ts
 * const train = Dataset.fromTensors(x, y).shuffle(60000, { seed: 1 }).batch(64)
 *   .map(augmentation([{ type: 'randomCrop', padding: 2 }, { type: 'randomRotation', degrees: 10 }], { seed: 7 }));
 * ```
 */

import { ValueError, native } from './errors';
import { augmentBatch } from './native';
import { Tensor } from './tensor';

/** One augmentation step. */
export type AugmentationStep =
  | { type: 'randomFlip'; mode?: 'horizontal' | 'vertical' | 'both' }
  | { type: 'randomCrop'; padding: number }
  | { type: 'randomTranslation'; height: number; width: number }
  | { type: 'randomRotation'; degrees: number }
  | { type: 'gaussianNoise'; stddev: number }
  | { type: 'normalize'; mean: number[]; std: number[] };

function apply(x: Tensor, step: AugmentationStep, seed: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError('augment: expects a Tensor batch [N, C, H, W]');
  return new Tensor(native(() => augmentBatch(x.native, JSON.stringify(step), seed)));
}

/** Single augmentation steps as functions of a batch and a seed (same seed, same result). */
export const augment = {
  /** Mirrors each sample with probability 1/2 (left-right by default; `'vertical'` or `'both'`). */
  randomFlip: (x: Tensor, options: { mode?: 'horizontal' | 'vertical' | 'both'; seed?: number } = {}): Tensor =>
    apply(x, { type: 'randomFlip', mode: options.mode }, options.seed ?? 0),
  /** Pads each side with `padding` zeros and crops back to the original size at a random offset. */
  randomCrop: (x: Tensor, options: { padding: number; seed?: number }): Tensor => apply(x, { type: 'randomCrop', padding: options.padding }, options.seed ?? 0),
  /** Shifts by up to a fraction of the height and width (whole pixels, zero fill). */
  randomTranslation: (x: Tensor, options: { height: number; width: number; seed?: number }): Tensor =>
    apply(x, { type: 'randomTranslation', height: options.height, width: options.width }, options.seed ?? 0),
  /** Rotates about the centre by a uniform angle in `[-degrees, degrees]` (bilinear, zero fill). */
  randomRotation: (x: Tensor, options: { degrees: number; seed?: number }): Tensor => apply(x, { type: 'randomRotation', degrees: options.degrees }, options.seed ?? 0),
  /** Adds `N(0, stddev²)` noise. */
  gaussianNoise: (x: Tensor, options: { stddev: number; seed?: number }): Tensor => apply(x, { type: 'gaussianNoise', stddev: options.stddev }, options.seed ?? 0),
  /** `(x - mean[c]) / std[c]` per channel. */
  normalize: (x: Tensor, options: { mean: number[]; std: number[] }): Tensor => apply(x, { type: 'normalize', mean: options.mean, std: options.std }, 0),
};

/**
 * A `Dataset.map` step applying `steps` in order to the images of each batch: a tensor, or the
 * first element of an `[inputs, targets, ...]` batch (targets pass through). Call `k` draws from
 * seed `seed + k`, so a pipeline is reproducible and every epoch sees new transforms.
 */
export function augmentation<T extends Tensor | readonly unknown[]>(steps: AugmentationStep[], options: { seed?: number } = {}): (batch: T) => T {
  let calls = 0;
  const base = options.seed ?? 0;
  const run = (x: Tensor): Tensor => {
    const seed = (base + calls++) * 16;
    let out = x;
    steps.forEach((step, k) => {
      const next = apply(out, step, seed + k);
      if (out !== x) out.dispose();
      out = next;
    });
    return out;
  };
  return (batch: T): T => {
    if (batch instanceof Tensor) return run(batch) as T;
    if (Array.isArray(batch) && batch[0] instanceof Tensor) return [run(batch[0]), ...batch.slice(1)] as unknown as T;
    throw new ValueError('augmentation: batches must be an image tensor or [images, targets, ...]');
  };
}

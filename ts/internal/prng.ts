/**
 * A small seeded generator for data pipelines (shuffle buffers).
 *
 * Shuffling happens in JS one pick at a time, so a native call per draw would cost more than the
 * pick itself; mulberry32 is 32-bit state, fast, and good enough for ordering samples (it is not
 * used for anything statistical such as weight initialisation, which stays in the Rust engine).
 *
 * @internal
 */

/** Draws uniform floats in `[0, 1)`. */
export type Uniform = () => number;

/** mulberry32 seeded with the low 32 bits of `seed`. */
export function mulberry32(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derives the seed of stream `stream` (an epoch) from a base seed. A finalising hash (murmur3's
 * fmix32) rather than `seed + stream`, so that seed 1 epoch 0 and seed 0 epoch 1 do not coincide.
 */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** An integer in `[0, n)`. */
export function randomIndex(uniform: Uniform, n: number): number {
  return Math.floor(uniform() * n);
}

/** A fresh seed for pipelines built without one. */
export function entropySeed(): number {
  return Math.floor(Math.random() * 4294967296);
}

/**
 * Seeded data shared by every engine: mulberry32 (a counter-based hash, so it vectorises) mapped
 * to uniform [-scale, scale). `benches/peers/torch_bench.py` implements the same function with
 * numpy, so the Python peer sees bit-identical inputs.
 */
export function seededUniform(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let a = seed | 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = (2 * u - 1) * scale;
  }
  return out;
}

/** Labels in [0, classes) for the train step, from the same generator. */
export function seededLabels(n: number, classes: number, seed: number): Int32Array {
  const u = seededUniform(n, seed, 1);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(classes - 1, Math.floor(((u[i]! + 1) / 2) * classes));
  return out;
}

/** One-hot rows [n, classes] as float32. */
export function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => {
    out[i * classes + l] = 1;
  });
  return out;
}

/** The MLP used by the mlp-* workloads. */
export const MLP_SIZES = [784, 512, 256, 10] as const;

/** Weights [in, out] and biases [out] for each layer, seeds 100 + layer. */
export function mlpParams(): Array<{ w: Float32Array; b: Float32Array; fanIn: number; fanOut: number }> {
  const layers = [];
  for (let l = 0; l < MLP_SIZES.length - 1; l++) {
    const fanIn = MLP_SIZES[l]!;
    const fanOut = MLP_SIZES[l + 1]!;
    layers.push({
      w: seededUniform(fanIn * fanOut, 100 + l, Math.sqrt(6 / fanIn)),
      b: seededUniform(fanOut, 200 + l, 0.01),
      fanIn,
      fanOut,
    });
  }
  return layers;
}

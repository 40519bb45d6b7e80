import { MLP_SIZES, oneHot, seededLabels, seededUniform } from '../lib/data';
import { unavailable, type NodeWorkload } from './common';
import { type FitEngine, measureFitEpochs } from './fit_epochs';

/** Samples in the training set (full mode) — one timed call = one epoch over them. */
export const FIT_SAMPLES = 8192;
/** Quick mode: two batches per epoch. */
export const FIT_SAMPLES_QUICK = 256;
export const FIT_BATCH = 128;
export const FIT_LR = 1e-3;
export const FIT_DATA_SEED = 30;
export const FIT_LABEL_SEED = 31;
export const fitCase = (samples: number): string => `fit 1 epoch of ${samples} samples, batch ${FIT_BATCH}, Adam ${FIT_LR}`;

/** ferrograd: sequential + compile + fit (whole epochs run natively, off the JS thread). */
function ferrogradEngine(xData: Float32Array, labels: Int32Array, n: number): FitEngine {
  const fg = require('../../ts/index') as typeof import('../../ts/index');
  const model = fg.sequential(
    [fg.layers.dense({ units: MLP_SIZES[1], activation: 'relu' }), fg.layers.dense({ units: MLP_SIZES[2], activation: 'relu' }), fg.layers.dense({ units: MLP_SIZES[3] })],
    { inputShape: [MLP_SIZES[0]] },
  );
  model.compile({ optimizer: { type: 'adam', lr: FIT_LR }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  const x = fg.tensor(xData, [n, MLP_SIZES[0]]);
  const y = fg.tensor(Float32Array.from(labels), [n]);
  return {
    async epoch(seed) {
      await model.fit(x, y, { epochs: 1, batchSize: FIT_BATCH, shuffle: true, seed, verbose: 0 });
    },
    dispose() {
      x.dispose();
      y.dispose();
      model.dispose();
    },
  };
}

/**
 * tfjs (cpu / wasm, whichever backend the child selected): tf.sequential + model.fit with
 * tf.train.adam. tfjs' sparseCategoricalCrossentropy needs one-hot anyway, so: softmax output
 * layer + 'categoricalCrossentropy' on one-hot labels (same maths as softmax CE on logits).
 */
function tfjsEngine(xData: Float32Array, labels: Int32Array, n: number): FitEngine {
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [MLP_SIZES[0]], units: MLP_SIZES[1], activation: 'relu' }),
      tf.layers.dense({ units: MLP_SIZES[2], activation: 'relu' }),
      tf.layers.dense({ units: MLP_SIZES[3], activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(FIT_LR), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(xData, [n, MLP_SIZES[0]]);
  const y = tf.tensor2d(oneHot(labels, MLP_SIZES[3]), [n, MLP_SIZES[3]]);
  return {
    async epoch() {
      await model.fit(x, y, { epochs: 1, batchSize: FIT_BATCH, shuffle: true, verbose: 0 });
    },
    dispose() {
      tf.dispose([x, y]);
      model.dispose();
    },
    note: 'tfjs: softmax output + categoricalCrossentropy on one-hot labels (its sparse CE needs one-hot too)',
  };
}

export const mlpFit: NodeWorkload = {
  id: 'mlp-fit',
  description: `784-512-256-10 relu MLP trained with the engine's model API (layers + Adam lr ${FIT_LR} + softmax cross-entropy + fit), batch ${FIT_BATCH}, ${FIT_SAMPLES} seeded samples; one timed call = one epoch, the first (warm-up) epoch untimed; training samples/s, plus event-loop delay while fit runs`,
  async run(engine, backend, quick) {
    const n = quick ? FIT_SAMPLES_QUICK : FIT_SAMPLES;
    const name = fitCase(n);
    if (backend === null) {
      return {
        results: unavailable(
          [name],
          `${engine}: no mini-batch training and no softmax cross-entropy (train() is per-sample MSE on the output activation), so no comparable fit; its per-sample step is in mlp-train-step-eager`,
        ),
      };
    }
    const xData = seededUniform(n * MLP_SIZES[0], FIT_DATA_SEED);
    const labels = seededLabels(n, MLP_SIZES[3], FIT_LABEL_SEED);
    const impl = engine === 'ferrograd' ? ferrogradEngine(xData, labels, n) : tfjsEngine(xData, labels, n);
    const results = [await measureFitEpochs(impl, name, n, quick, 15)];
    return { results };
  },
};

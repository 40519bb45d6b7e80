import { MLP_SIZES, seededLabels, seededUniform } from '../lib/data';
import { unavailable, type NodeWorkload } from './common';
import { type FitEngine, ferrogradFitEngine, measureFitEpochs, tfjsFitEngine } from './fit_epochs';

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
  return ferrogradFitEngine(
    (L) => [L.dense({ units: MLP_SIZES[1], activation: 'relu' }), L.dense({ units: MLP_SIZES[2], activation: 'relu' }), L.dense({ units: MLP_SIZES[3] })],
    [MLP_SIZES[0]],
    { x: xData, labels, n, batchSize: FIT_BATCH, lr: FIT_LR },
  );
}

/** tfjs (cpu / wasm, whichever backend the child selected): tf.sequential + model.fit with tf.train.adam. */
function tfjsEngine(xData: Float32Array, labels: Int32Array, n: number): FitEngine {
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [MLP_SIZES[0]], units: MLP_SIZES[1], activation: 'relu' }),
      tf.layers.dense({ units: MLP_SIZES[2], activation: 'relu' }),
      tf.layers.dense({ units: MLP_SIZES[3], activation: 'softmax' }),
    ],
  });
  return tfjsFitEngine(
    model,
    { x: xData, labels, n, inputShape: [MLP_SIZES[0]], classes: MLP_SIZES[3], batchSize: FIT_BATCH, lr: FIT_LR },
    'tfjs: softmax output + categoricalCrossentropy on one-hot labels (its sparse CE needs one-hot too)',
  );
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

import { seededLabels, seededUniform } from '../lib/data';
import { unavailable, type NodeWorkload } from './common';
import { type FitEngine, ferrogradFitEngine, measureFitEpochs, tfjsFitEngine } from './fit_epochs';

/** Sequences per timed epoch (full mode) and in quick mode (two batches). */
export const LSTM_SAMPLES = 512;
export const LSTM_SAMPLES_QUICK = 64;
export const LSTM_BATCH = 32;
export const LSTM_LR = 1e-3;
export const LSTM_STEPS = 64;
export const LSTM_INPUT = 64;
export const LSTM_HIDDEN = 256;
const CLASSES = 10;
const DATA_SEED = 50;
const LABEL_SEED = 51;
export const lstmCase = (samples: number): string => `fit 1 epoch of ${samples} sequences of ${LSTM_STEPS}x${LSTM_INPUT}, batch ${LSTM_BATCH}, Adam ${LSTM_LR}`;

/** ferrograd: a native LSTM layer (whole sequence fused) + dense on the last step, through fit. */
function ferrogradEngine(xData: Float32Array, labels: Int32Array, n: number): FitEngine {
  return ferrogradFitEngine((L) => [L.lstm({ units: LSTM_HIDDEN }), L.dense({ units: CLASSES })], [LSTM_STEPS, LSTM_INPUT], {
    x: xData,
    labels,
    n,
    batchSize: LSTM_BATCH,
    lr: LSTM_LR,
  });
}

/** tfjs: tf.layers.lstm + dense softmax, categorical CE on one-hot labels. */
function tfjsEngine(xData: Float32Array, labels: Int32Array, n: number): FitEngine {
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  const model = tf.sequential({
    layers: [tf.layers.lstm({ inputShape: [LSTM_STEPS, LSTM_INPUT], units: LSTM_HIDDEN }), tf.layers.dense({ units: CLASSES, activation: 'softmax' })],
  });
  return tfjsFitEngine(
    model,
    { x: xData, labels, n, inputShape: [LSTM_STEPS, LSTM_INPUT], classes: CLASSES, batchSize: LSTM_BATCH, lr: LSTM_LR },
    'tfjs: tf.layers.lstm (unrolled op by op) + softmax output + categoricalCrossentropy on one-hot labels',
  );
}

export const lstm: NodeWorkload = {
  id: 'lstm',
  description: `LSTM input ${LSTM_INPUT}, hidden ${LSTM_HIDDEN}, sequence ${LSTM_STEPS}, batch ${LSTM_BATCH}, dense ${CLASSES} on the last step, Adam ${LSTM_LR}, softmax cross-entropy, through each engine's fit on seeded data; one timed call = one epoch of ${LSTM_SAMPLES} sequences (warm-up epoch untimed); training samples/s, plus event-loop delay while fit runs`,
  async run(engine, backend, quick) {
    const n = quick ? LSTM_SAMPLES_QUICK : LSTM_SAMPLES;
    const name = lstmCase(n);
    if (backend === null) return { results: unavailable([name], `${engine}: not comparable (brain.js LSTMs are character models without this input/loss setup)`) };
    if (engine === 'tfjs-cpu') {
      // Measured 2026-11-22 with the quick case (2 batches of 32): 11.7–12.7 s per epoch, about
      // 5 sequences/s. The full case would spend ~5 minutes on one number and the quick one
      // overruns the quick child's 120 s limit, so it is not run.
      return { results: [{ case: name, status: 'skipped', note: 'tfjs-cpu: measured once at ~5 sequences/s (2 batches of 32: 11.7–12.7 s per epoch); not run by the harness' }] };
    }
    const xData = seededUniform(n * LSTM_STEPS * LSTM_INPUT, DATA_SEED);
    const labels = seededLabels(n, CLASSES, LABEL_SEED);
    const impl = engine === 'ferrograd' ? ferrogradEngine(xData, labels, n) : tfjsEngine(xData, labels, n);
    return { results: [await measureFitEpochs(impl, name, n, quick, 10)] };
  },
};

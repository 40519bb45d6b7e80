import { seededLabels, seededUniform } from '../lib/data';
import { unavailable, type NodeWorkload } from './common';
import { type FitEngine, ferrogradFitEngine, measureFitEpochs } from './fit_epochs';

/** Sequences per timed epoch (full mode) and in quick mode (two batches). */
export const TF_SAMPLES = 512;
export const TF_SAMPLES_QUICK = 64;
export const TF_BATCH = 32;
export const TF_LR = 1e-3;
export const TF_STEPS = 128;
export const TF_DIM = 128;
export const TF_HEADS = 4;
export const TF_FF = 512;
export const TF_LAYERS = 2;
const CLASSES = 10;
const DATA_SEED = 60;
const LABEL_SEED = 61;
export const transformerCase = (samples: number): string => `fit 1 epoch of ${samples} sequences of ${TF_STEPS}x${TF_DIM}, batch ${TF_BATCH}, Adam ${TF_LR}`;

/** ferrograd: native encoder layers (fused attention), mean over the sequence, dense, through fit. */
function ferrogradEngine(xData: Float32Array, labels: Int32Array, n: number): FitEngine {
  return ferrogradFitEngine(
    (L) => [
      L.transformerEncoder({ numLayers: TF_LAYERS, numHeads: TF_HEADS, dimFeedforward: TF_FF, dropout: 0 }),
      L.globalAveragePooling1d({ dataFormat: 'channelsLast' }),
      L.dense({ units: CLASSES }),
    ],
    [TF_STEPS, TF_DIM],
    { x: xData, labels, n, batchSize: TF_BATCH, lr: TF_LR },
  );
}

export const transformer: NodeWorkload = {
  id: 'transformer',
  description: `${TF_LAYERS} post-norm encoder layers (d_model ${TF_DIM}, ${TF_HEADS} heads, feed-forward ${TF_FF} ReLU, no dropout), sequence ${TF_STEPS}, batch ${TF_BATCH}, mean over the sequence, dense ${CLASSES}, Adam ${TF_LR}, softmax cross-entropy, through fit; one timed call = one epoch of ${TF_SAMPLES} sequences (warm-up epoch untimed); training samples/s`,
  async run(engine, backend, quick) {
    const n = quick ? TF_SAMPLES_QUICK : TF_SAMPLES;
    const name = transformerCase(n);
    if (engine !== 'ferrograd' || backend === null) {
      return { results: unavailable([name], `${engine}: no multi-head attention / transformer encoder layer in its public API`) };
    }
    const xData = seededUniform(n * TF_STEPS * TF_DIM, DATA_SEED);
    const labels = seededLabels(n, CLASSES, LABEL_SEED);
    return { results: [await measureFitEpochs(ferrogradEngine(xData, labels, n), name, n, quick, 10)] };
  },
};

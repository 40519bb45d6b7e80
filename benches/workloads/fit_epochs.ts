import { monitorEventLoopDelay } from 'node:perf_hooks';
import { measure } from '../lib/stats';
import type { CaseResult, EventLoopDelay } from '../lib/types';
import { errorResult } from './common';
import type { LayerSpec } from '../../ts/index';

/** `monitorEventLoopDelay` resolution (ms); the histogram includes it, so it is subtracted. */
export const ELD_RESOLUTION_MS = 10;

/** One engine's training setup for a fit workload: one call = one epoch. */
export type FitEngine = {
  /** One epoch over the data (resolves when done). */
  epoch(seed: number): Promise<void>;
  dispose(): void;
  note?: string;
};

/**
 * Times whole epochs of `impl` (the first, warm-up epoch untimed) and the event-loop delay during
 * the timed ones; always disposes `impl`. Shared by the fit workloads (MLP, CNN).
 */
export async function measureFitEpochs(impl: FitEngine, name: string, items: number, quick: boolean, maxRepeats: number): Promise<CaseResult> {
  // Histogram enabled only around the timed epochs (the warm-up epoch is excluded too).
  const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  let calls = 0;
  let timed = false;
  try {
    const samples = await measure(
      async () => {
        const seed = calls++;
        if (timed) h.enable();
        await impl.epoch(seed);
        if (timed) h.disable();
        timed = true;
      },
      { quick, budgetMs: 5000, minRepeats: 2, maxRepeats },
    );
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
    const eventLoopDelayMs: EventLoopDelay | undefined =
      h.count > 0 ? { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), count: h.count } : undefined;
    return { case: name, status: 'ok', samples, items, note: impl.note, eventLoopDelayMs };
  } catch (err) {
    return errorResult(name, err);
  } finally {
    impl.dispose();
  }
}

type Fg = typeof import('../../ts/index');
type Tf = typeof import('@tensorflow/tfjs');

/**
 * ferrograd side of a fit workload: a `sequential` model of `layers(fg.layers)`, compiled with
 * Adam at `lr` and softmax cross-entropy on logits; one epoch = one `fit` call, run natively off
 * the JS thread.
 */
export function ferrogradFitEngine(
  layers: (L: Fg['layers']) => LayerSpec[],
  inputShape: number[],
  data: { x: Float32Array; labels: Int32Array; n: number; batchSize: number; lr: number },
): FitEngine {
  const fg = require('../../ts/index') as Fg;
  const model = fg.sequential(layers(fg.layers), { inputShape });
  model.compile({ optimizer: { type: 'adam', lr: data.lr }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  const x = fg.tensor(data.x, [data.n, ...inputShape]);
  const y = fg.tensor(Float32Array.from(data.labels), [data.n]);
  return {
    async epoch(seed) {
      await model.fit(x, y, { epochs: 1, batchSize: data.batchSize, shuffle: true, seed, verbose: 0 });
    },
    dispose() {
      x.dispose();
      y.dispose();
      model.dispose();
    },
  };
}

/**
 * tfjs side of a fit workload: `model` (ending in a softmax) compiled with `tf.train.adam(lr)`
 * and categorical cross-entropy on one-hot labels (tfjs' sparse loss needs one-hot anyway).
 */
export function tfjsFitEngine(
  model: ReturnType<Tf['sequential']>,
  data: { x: Float32Array; labels: Int32Array; n: number; inputShape: number[]; classes: number; batchSize: number; lr: number },
  note?: string,
): FitEngine {
  const tf = require('@tensorflow/tfjs') as Tf;
  model.compile({ optimizer: tf.train.adam(data.lr), loss: 'categoricalCrossentropy' });
  const x = tf.tensor(data.x, [data.n, ...data.inputShape]);
  const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), data.classes).toFloat();
  return {
    async epoch() {
      await model.fit(x, y, { epochs: 1, batchSize: data.batchSize, shuffle: true, verbose: 0 });
    },
    dispose() {
      tf.dispose([x, y]);
      model.dispose();
    },
    note,
  };
}

import type { Backend } from '../lib/backend';
import { brainMlp } from '../lib/brain';
import { MLP_SIZES, mlpParams, oneHot, seededLabels, seededUniform } from '../lib/data';
import { measure } from '../lib/stats';
import type { CaseResult } from '../lib/types';
import { errorResult, type NodeWorkload } from './common';

export const INFERENCE_BATCHES = [1, 64];
export const TRAIN_BATCH = 128;
export const LR = 0.01;
export const inferenceCase = (b: number): string => `forward batch ${b}`;
export const TRAIN_CASE = `forward+backward+SGD, batch ${TRAIN_BATCH}`;

/** relu(x·W1 + b1) → relu(·W2 + b2) → ·W3 + b3 (logits), params = [W1, b1, W2, b2, W3, b3]. */
export function mlpForward<T>(B: Backend<T>, params: T[], x: T): T {
  let h = x;
  const layers = params.length / 2;
  for (let l = 0; l < layers; l++) {
    const z = B.add(B.matmul(h, params[2 * l]!), params[2 * l + 1]!);
    h = l < layers - 1 ? B.relu(z) : z;
  }
  return h;
}

/** Mean softmax cross-entropy with one-hot targets: −mean(Σ y·logSoftmax(logits)). */
export function softmaxCrossEntropy<T>(B: Backend<T>, logits: T, yOneHot: T): T {
  return B.neg(B.mean(B.sum(B.mul(yOneHot, B.logSoftmax(logits)), 1)));
}

function backendParams<T>(B: Backend<T>): T[] {
  return mlpParams().flatMap((p) => [B.fromData(p.w, [p.fanIn, p.fanOut]), B.fromData(p.b, [p.fanOut])]);
}

export const mlpInference: NodeWorkload = {
  id: 'mlp-inference',
  description: `784-512-256-10 relu MLP forward (matmul + add + relu as tensor ops), latency at batch ${INFERENCE_BATCHES.join(' and ')}`,
  async run(engine, backend, quick) {
    const results: CaseResult[] = [];
    if (backend === null) {
      // brain.js: one sample at a time (it has no batched forward).
      const net = brainMlp(mlpParams());
      for (const batch of INFERENCE_BATCHES) {
        const xs = seededUniform(batch * MLP_SIZES[0], 10 + batch);
        const rows = Array.from({ length: batch }, (_, i) => xs.subarray(i * MLP_SIZES[0], (i + 1) * MLP_SIZES[0]));
        try {
          const samples = await measure(() => {
            for (const r of rows) net.run(r);
          }, { quick, budgetMs: 1500 });
          results.push({ case: inferenceCase(batch), status: 'ok', samples, items: batch, note: batch > 1 ? 'brain.js: no batched forward, runs the rows one by one' : undefined });
        } catch (err) {
          results.push(errorResult(inferenceCase(batch), err));
        }
      }
      return { results };
    }
    const B = backend;
    const params = backendParams(B);
    for (const batch of INFERENCE_BATCHES) {
      const x = B.fromData(seededUniform(batch * MLP_SIZES[0], 10 + batch), [batch, MLP_SIZES[0]]);
      try {
        const samples = await measure(() => {
          const out = B.scope(() => mlpForward(B, params, x));
          B.sync(out);
          B.dispose(out);
        }, { quick, budgetMs: 1500 });
        results.push({ case: inferenceCase(batch), status: 'ok', samples, items: batch });
      } catch (err) {
        results.push(errorResult(inferenceCase(batch), err));
      }
      B.dispose(x);
    }
    B.dispose(params);
    return { results };
  },
};

export const mlpTrainStep: NodeWorkload = {
  id: 'mlp-train-step-eager',
  description: `one eager-op training step of the same MLP: forward + softmax cross-entropy + autograd backward + plain SGD (lr ${LR}) written with ops, batch ${TRAIN_BATCH}; samples/s (not \`fit\`)`,
  async run(engine, backend, quick) {
    const xData = seededUniform(TRAIN_BATCH * MLP_SIZES[0], 20);
    const yData = oneHot(seededLabels(TRAIN_BATCH, MLP_SIZES[3], 21), MLP_SIZES[3]);
    if (backend === null) {
      // brain.js: per-sample SGD (its own update rule: momentum, MSE on the output activation).
      const net = brainMlp(mlpParams(), { learningRate: LR });
      const rows = Array.from({ length: TRAIN_BATCH }, (_, i) => xData.subarray(i * MLP_SIZES[0], (i + 1) * MLP_SIZES[0]));
      const targets = Array.from({ length: TRAIN_BATCH }, (_, i) => yData.subarray(i * MLP_SIZES[3], (i + 1) * MLP_SIZES[3]));
      try {
        const samples = await measure(() => {
          for (let i = 0; i < TRAIN_BATCH; i++) net.trainPattern({ input: rows[i]!, output: targets[i]! }, false);
        }, { quick, budgetMs: 3000 });
        return {
          results: [{ case: TRAIN_CASE, status: 'ok', samples, items: TRAIN_BATCH, note: 'brain.js: NOT equivalent — 128 per-sample trainPattern calls (MSE loss, relu output, momentum 0.1 default, an update per sample)' }],
        };
      } catch (err) {
        return { results: [errorResult(TRAIN_CASE, err)] };
      }
    }
    const B = backend;
    let params = backendParams(B);
    const x = B.fromData(xData, [TRAIN_BATCH, MLP_SIZES[0]]);
    const y = B.fromData(yData, [TRAIN_BATCH, MLP_SIZES[3]]);
    const results: CaseResult[] = [];
    try {
      const samples = await measure(() => {
        const next = B.scope(() => {
          const { value, grads } = B.valueAndGrads((ps) => softmaxCrossEntropy(B, mlpForward(B, ps, x), y), params);
          B.sync(value);
          return B.sgd(params, grads, LR);
        });
        B.dispose(params);
        params = next;
      }, { quick, budgetMs: 3000 });
      results.push({ case: TRAIN_CASE, status: 'ok', samples, items: TRAIN_BATCH });
    } catch (err) {
      results.push(errorResult(TRAIN_CASE, err));
    }
    B.dispose([...params, x, y]);
    return { results };
  },
};

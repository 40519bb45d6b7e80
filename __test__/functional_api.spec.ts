// The functional model API: input(), layer.apply, merge layers, shared layers, multiple inputs
// and outputs, per-output losses, sample weights, gradient accumulation, save/load of graphs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import test from 'ava';

import { Model, Sequential, concat, StandardScaler, Tensor, ValueError, input, layers, loadModel, manualSeed, model, sequential, tensor, toCategorical, trainTestSplit } from '../ts/index';
import { loadIris } from '../examples/iris';

function iris(): { x: Tensor; y: Tensor } {
  const { features, labels } = loadIris();
  const x = new StandardScaler().fitTransform(tensor(features));
  return { x, y: tensor(labels) };
}

test('a residual, multi-branch functional model learns iris', async (t) => {
  manualSeed(1);
  const { x, y } = iris();
  const split = trainTestSplit(x, y, { testSize: 0.3, seed: 3 });
  const inp = input({ shape: [4], name: 'features' });
  const h = layers.dense({ units: 16, activation: 'relu', name: 'stem' }).apply(inp);
  const branch = layers.dense({ units: 16, activation: 'tanh' }).apply(h);
  const residual = layers.add().apply([h, branch]);
  const wide = layers.concatenate().apply([residual, inp]);
  const out = layers.dense({ units: 3, name: 'logits' }).apply(wide);
  const net = model({ inputs: inp, outputs: out });
  t.true(net instanceof Model && !(net instanceof Sequential));
  t.deepEqual(net.outputNames, ['logits']);
  t.deepEqual(
    net.namedParameters().map(([n]) => n),
    ['stem.weight', 'stem.bias', 'dense.weight', 'dense.bias', 'logits.weight', 'logits.bias'],
  );
  const text = net.summary();
  t.regex(text, /add \(add\)\s+\[1, 16\]\s+0\s+stem, dense/);
  t.regex(text, /concatenate \(concatenate\)\s+\[1, 20\]\s+0\s+add, features/);
  t.regex(text, /Total params: 415 \(trainable 415/);
  net.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  await net.fit(split.xTrain, split.yTrain, { epochs: 60, batchSize: 16, verbose: 0, seed: 2 });
  const scores = await net.evaluate(split.xTest, split.yTest);
  t.true(scores.accuracy! >= 0.93, `test accuracy ${scores.accuracy}`);
  t.deepEqual((await net.predict(split.xTest)).shape, [split.xTest.shape[0]!, 3]);
});

test('two inputs, a shared encoder and two outputs train with per-output losses and logs', async (t) => {
  manualSeed(2);
  const n = 512;
  const a = tensor(Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(3 * i)]));
  const b = tensor(Array.from({ length: n }, (_, i) => [Math.cos(i * 7), Math.sin(i * 5)]));
  const av = a.toArray() as number[][];
  const bv = b.toArray() as number[][];
  const sum = tensor(av.map((r, i) => [r[0]! + bv[i]![1]!]));
  const cls = tensor(av.map((r, i) => (r[0]! + bv[i]![1]! > 0 ? 1 : 0)));

  const ia = input({ shape: [2], name: 'a' });
  const ib = input({ shape: [2], name: 'b' });
  const encoder = layers.dense({ units: 8, activation: 'tanh', name: 'encoder' });
  const joined = layers.concatenate().apply([encoder.apply(ia), encoder.apply(ib)]);
  const sumOut = layers.dense({ units: 1, name: 'sum' }).apply(joined);
  const clsOut = layers.dense({ units: 2, name: 'cls' }).apply(joined);
  const net = model({ inputs: [ia, ib], outputs: [sumOut, clsOut] });
  // The shared encoder owns one weight matrix, used by both branches.
  t.deepEqual(net.namedParameters().filter(([k]) => k.startsWith('encoder')).map(([k]) => k), ['encoder.weight', 'encoder.bias']);
  t.deepEqual(net.outputNames, ['sum', 'cls']);

  net.compile({
    optimizer: { type: 'adam', lr: 0.02 },
    loss: ['mse', { type: 'sparseCategoricalCrossentropy', fromLogits: true }],
    lossWeights: [1, 0.5],
    metrics: ['accuracy'],
  });
  const h = await net.fit([a, b], [sum, cls], { epochs: 40, batchSize: 32, verbose: 0, validationSplit: 0.25 });
  for (const key of ['loss', 'sum_loss', 'cls_loss', 'cls_accuracy', 'val_sum_loss', 'val_cls_accuracy']) t.true(key in h.history, `missing ${key}`);
  const scores = await net.evaluate([a, b], [sum, cls]);
  t.true(scores.sum_loss! < 0.01, JSON.stringify(scores));
  t.true(scores.cls_accuracy! > 0.95, JSON.stringify(scores));
  t.true(Math.abs(scores.loss! - (scores.sum_loss! + 0.5 * scores.cls_loss!)) < 1e-4);
  const [ps, pc] = await net.predict([a, b]);
  t.deepEqual(ps!.shape, [n, 1]);
  t.deepEqual(pc!.shape, [n, 2]);
  const eager = net.forward([a.narrow(0, 0, 4), b.narrow(0, 0, 4)]);
  t.is(eager.length, 2);

  // Save/load keeps the graph, the weights and the compiled state.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-graph-'));
  const file = path.join(dir, 'net.safetensors');
  await net.save(file);
  const loaded = await loadModel<Tensor[]>(file);
  t.deepEqual(loaded.outputNames, ['sum', 'cls']);
  const [ls] = await loaded.predict([a, b]);
  t.deepEqual(Array.from(ls!.dataSync()), Array.from(ps!.dataSync()));
  t.deepEqual(await loaded.evaluate([a, b], [sum, cls]), scores);
  fs.rmSync(dir, { recursive: true });
});

test('sample weights of zero remove samples and accumulation matches a large batch', async (t) => {
  const make = (): Sequential => {
    manualSeed(9);
    return sequential([layers.dense({ units: 6, activation: 'tanh' }), layers.dense({ units: 1 })], { inputShape: [3] });
  };
  const x = tensor(Array.from({ length: 48 }, (_, i) => [Math.sin(i), Math.cos(i), Math.sin(2 * i)]));
  const y = tensor((x.toArray() as number[][]).map((r) => [r[0]! - r[1]! * r[2]!]));
  const weightsAfter = async (m: Sequential, lr: number, xs: Tensor, ys: Tensor, args: object): Promise<number[]> => {
    m.compile({ optimizer: { type: 'sgd', lr }, loss: 'mse' });
    await m.fit(xs, ys, { epochs: 3, verbose: 0, seed: 4, ...args });
    return m.parameters().flatMap((p) => Array.from(p.dataSync()));
  };
  const big = await weightsAfter(make(), 0.1, x, y, { batchSize: 24 });
  const accumulated = await weightsAfter(make(), 0.1, x, y, { batchSize: 8, accumulateSteps: 3 });
  big.forEach((v, i) => t.true(Math.abs(v - accumulated[i]!) < 2e-5, `param ${i}: ${v} vs ${accumulated[i]}`));

  // Garbage targets with weight 0 leave training as if only the clean half existed (at half the LR,
  // because the weighted mean divides by the batch size, as Keras).
  const clean = x.narrow(0, 0, 24);
  const cleanY = y.narrow(0, 0, 24);
  const mixedY = concat([cleanY, tensor(Array.from({ length: 24 }, () => [50]))], 0);
  const w = tensor(Array.from({ length: 48 }, (_, i) => (i < 24 ? 1 : 0)));
  const weighted = await weightsAfter(make(), 0.2, x, mixedY, { batchSize: 48, shuffle: false, sampleWeight: w });
  const half = await weightsAfter(make(), 0.1, clean, cleanY, { batchSize: 24, shuffle: false });
  weighted.forEach((v, i) => t.true(Math.abs(v - half[i]!) < 1e-5, `param ${i}: ${v} vs ${half[i]}`));

  const m = make();
  m.compile({ loss: 'mse' });
  await t.throwsAsync(m.fit(x, y, { verbose: 0, sampleWeight: tensor([1, 2]) }), { message: /same number of samples/ });
  await t.throwsAsync(m.fit(x, y, { verbose: 0, sampleWeight: tensor(Array.from({ length: 48 }, () => -1)) }), { instanceOf: ValueError, message: />= 0/ });
});

test('functional graphs reject bad wiring with typed errors', (t) => {
  const a = input({ shape: [4] });
  const b = input({ shape: [3] });
  t.throws(() => layers.add().apply([a, b]), { instanceOf: ValueError, message: /same shape.*\[4\], \[3\]/ });
  t.throws(() => layers.add().apply([a]), { instanceOf: ValueError, message: /at least 2/ });
  t.throws(() => layers.concatenate({ axis: 0 }).apply([a, b]), { instanceOf: ValueError, message: /batch/ });
  t.deepEqual(layers.concatenate().apply([a, b]).shape, [7]);
  const shared = layers.dense({ units: 2 });
  shared.apply(a);
  const other = shared.apply(b);
  t.throws(() => model({ inputs: [a, b], outputs: [shared.apply(a), other] }), { instanceOf: ValueError, message: /shared layer 'dense'/ });
  const c = input({ shape: [4] });
  t.throws(() => model({ inputs: a, outputs: layers.add().apply([a, c]) }), { instanceOf: ValueError, message: /not listed in inputs/ });
  t.throws(() => model({ inputs: a, outputs: layers.dense({ units: 2, name: 'x.y' }).apply(a) }), { instanceOf: ValueError, message: /contains '\.'/ });
  const net = model({ inputs: [a, c], outputs: layers.dense({ units: 1 }).apply(layers.multiply().apply([a, c])) });
  t.throws(() => net.forward(tensor([[1, 2, 3, 4]])), { message: /2 input/ });
  const toCat = toCategorical([0, 1], 2);
  t.deepEqual(toCat.shape, [2, 2]);
});

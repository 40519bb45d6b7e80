// The model API: sequential + layers, compile/fit/evaluate/predict off the JS thread, custom
// loops through forward, save/load, cancellation and typed errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import test from 'ava';

import {
  FormatError,
  IOError,
  ValueError,
  epochLogger,
  grad,
  layers,
  loadMnist,
  loadModel,
  losses,
  manualSeed,
  noGrad,
  optimizer,
  saveHistorySvg,
  sequential,
  tensor,
} from '../ts/index';

const xorX = tensor([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const xorY = tensor([0, 1, 1, 0]);

function xorModel() {
  const model = sequential([layers.dense({ units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { inputShape: [2] });
  model.compile({ optimizer: { type: 'adam', lr: 0.05 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  return model;
}

test('a two-layer MLP learns XOR through fit, and history follows Keras', async (t) => {
  const model = xorModel();
  const seen: number[] = [];
  const history = await model.fit(xorX, xorY, { epochs: 150, batchSize: 4, verbose: 0, seed: 1, onEpochEnd: (e) => seen.push(e.epoch) });
  t.is(history.epochs.length, 150);
  t.is(history.history.loss!.length, 150);
  t.true(history.history.loss![149]! < history.history.loss![0]!);
  t.is(history.history.accuracy![149], 1);
  t.deepEqual(Array.from((await model.predict(xorX)).argmax(-1).dataSync()), [0, 1, 1, 0]);
  const scores = await model.evaluate(xorX, xorY);
  t.is(scores.accuracy, 1);
  // Progress callbacks arrive on the JS thread, in order (the last may land just after resolve).
  await new Promise((r) => setImmediate(r));
  t.deepEqual(seen, Array.from({ length: 150 }, (_, i) => i));
});

test('the same seed gives the same training run', async (t) => {
  const run = async () => {
    const h = await xorModel().fit(xorX, xorY, { epochs: 20, batchSize: 2, verbose: 0, seed: 3 });
    return h.history.loss;
  };
  // Weights are initialised from the global generator: reseed before building each model.
  manualSeed(11);
  const a = await run();
  manualSeed(11);
  const b = await run();
  t.deepEqual(a, b);
});

test('summary, parameters and freezing', (t) => {
  const model = sequential([layers.dense({ units: 4, activation: 'relu' }), layers.dropout({ rate: 0.5 }), layers.dense({ units: 3 })], {
    inputShape: [5],
  });
  const text = model.summary();
  t.regex(text, /0 \(Linear\)\s+\[1, 4\]\s+24/);
  t.regex(text, /Total params: 39 \(trainable 39, frozen 0\)/);
  t.deepEqual(model.namedParameters().map(([n]) => n), ['0.weight', '0.bias', '3.weight', '3.bias']);
  model.trainable = false;
  t.is(model.countParams({ trainableOnly: true }), 0);
  t.is(model.countParams(), 39);
});

test('a custom loop with forward, backward and manual updates trains the same model', (t) => {
  const model = sequential([layers.dense({ units: 1 })], { inputShape: [1] });
  const x = tensor([[0], [1], [2], [3]]);
  const y = tensor([[1], [3], [5], [7]]); // y = 2x + 1
  for (let step = 0; step < 500; step++) {
    const loss = model.forward(x).sub(y).square().mean();
    loss.backward();
    noGrad(() => {
      for (const p of model.parameters()) {
        p.assign(p.sub(p.grad!.mul(0.05)));
        p.zeroGrad();
      }
    });
  }
  const [w, b] = model.parameters();
  t.true(Math.abs(w!.item() - 2) < 1e-2 && Math.abs(b!.item() - 1) < 1e-2, `w=${w!.item()} b=${b!.item()}`);
  // Gradients with respect to the input through a model (adversarial examples).
  const input = tensor([[1.5]], undefined, { requiresGrad: true });
  const [g] = grad(model.forward(input).sum(), [input]);
  t.true(Math.abs(g!.item() - w!.item()) < 1e-6);
});

test('save then loadModel reproduces predictions; bad files are typed errors', async (t) => {
  const model = xorModel();
  await model.fit(xorX, xorY, { epochs: 30, verbose: 0 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-model-'));
  const file = path.join(dir, 'xor.safetensors');
  await model.save(file);
  const loaded = await loadModel(file);
  t.deepEqual(Array.from((await loaded.predict(xorX)).dataSync()), Array.from((await model.predict(xorX)).dataSync()));
  t.deepEqual(loaded.toJSON(), model.toJSON());
  fs.writeFileSync(path.join(dir, 'broken.safetensors'), fs.readFileSync(file).subarray(0, 40));
  const err = await t.throwsAsync(loadModel(path.join(dir, 'broken.safetensors')), { instanceOf: FormatError });
  t.regex(err!.message, /broken\.safetensors/);
  await t.throwsAsync(loadModel(path.join(dir, 'missing.safetensors')), { instanceOf: IOError });
});

test('an aborted fit resolves early with cancelled: true while timers keep running', async (t) => {
  const { trainImages, trainLabels } = await loadMnist();
  const x = trainImages.narrow(0, 0, 20000);
  const y = trainLabels.narrow(0, 0, 20000);
  const model = sequential([layers.dense({ units: 256, activation: 'relu' }), layers.dense({ units: 10 })], { inputShape: [784] });
  model.compile({ loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  const controller = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 2);
  const done = model.fit(x, y, { epochs: 50, batchSize: 32, verbose: 0, signal: controller.signal, onEpochEnd: () => controller.abort() });
  const history = await done;
  clearInterval(timer);
  t.true(history.cancelled);
  t.true(history.epochs.length >= 1 && history.epochs.length < 50, `${history.epochs.length} epochs`);
  t.true(ticks >= 2, `the event loop ran ${ticks} timer callbacks during fit`);
});

test('misuse gives typed errors naming the problem', async (t) => {
  const model = sequential([layers.dense({ units: 2 })], { inputShape: [3] });
  await t.throwsAsync(model.fit(tensor([[1, 2, 3]]), tensor([0]), { verbose: 0 }), { message: /call compile\(\) first/ });
  t.throws(() => model.compile({ optimizer: 'adamm' as never, loss: 'mse' }), { instanceOf: ValueError, message: /unknown optimizer 'adamm'/ });
  t.throws(() => model.compile({ loss: 'hing' as never }), { instanceOf: ValueError, message: /unknown loss 'hing'/ });
  model.compile({ loss: 'mse' });
  await t.throwsAsync(model.fit(tensor([[1, 2]]), tensor([[0, 0]]), { verbose: 0 }), { message: /Linear/ });
  await t.throwsAsync(model.fit(tensor([[1, 2, 3]]), tensor([[0, 0]]), { verbose: 0, bogus: 1 } as never), { instanceOf: ValueError, message: /unknown option 'bogus'/ });
  t.throws(() => layers.dense({ units: 0 }), { instanceOf: ValueError });
});

test('LR schedules, validation data and early stopping with restored weights', async (t) => {
  manualSeed(4);
  const x = tensor([[0], [1], [2], [3], [4], [5]]);
  const y = tensor([[1], [3], [5], [7], [9], [11]]);
  const model = sequential([layers.dense({ units: 1 })], { inputShape: [1] });
  model.compile({ optimizer: { type: 'sgd', lr: 0.02 }, loss: 'mse', schedule: { type: 'step', stepSize: 2, gamma: 0.5 } });
  const h = await model.fit(x, y, { epochs: 6, batchSize: 6, verbose: 0, validationData: [x, y] });
  t.deepEqual(h.epochs.map((e) => e.lr), [0.02, 0.02, 0.01, 0.01, 0.005, 0.005].map(Math.fround)); // f32 learning rates
  t.is(h.history.val_loss!.length, 6);
  t.throws(() => model.compile({ loss: 'mse', schedule: { type: 'step' } }), { instanceOf: ValueError, message: /needs option 'stepSize'/ });

  // A learning rate far too high makes the validation loss blow up after the first epochs;
  // early stopping must stop and restore the best epoch's weights.
  const wild = sequential([layers.dense({ units: 1 })], { inputShape: [1] });
  wild.compile({ optimizer: { type: 'sgd', lr: 0.2 }, loss: 'mse' });
  const stopped = await wild.fit(x, y, {
    epochs: 50,
    batchSize: 6,
    verbose: 0,
    validationData: [x, y],
    earlyStopping: { monitor: 'val_loss', patience: 2, restoreBestWeights: true },
  });
  t.true(stopped.stopped && stopped.epochs.length < 50, `${stopped.epochs.length} epochs`);
  const best = Math.min(...stopped.history.val_loss!);
  const after = await wild.evaluate(x, y);
  t.true(Math.abs(after.loss! - best) <= 1e-4 * Math.max(1, best), `restored loss ${after.loss}, best ${best}`);
  await t.throwsAsync(wild.fit(x, y, { verbose: 0, earlyStopping: { mode: 'up' as never } }), { instanceOf: ValueError });
});

test('a custom loop with optimizer() and losses matches fit on the same data and seed', async (t) => {
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tensor([0, 1, 1, 0]);
  const build = () => {
    manualSeed(21);
    return sequential([layers.dense({ units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { inputShape: [2] });
  };
  // fit: one full batch per epoch, no shuffling -> the same sequence of updates as the loop below.
  const a = build();
  a.compile({ optimizer: { type: 'adam', lr: 0.05 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  await a.fit(x, y, { epochs: 40, batchSize: 4, shuffle: false, verbose: 0 });

  const b = build();
  const opt = optimizer(b.parameters(), { type: 'adam', lr: 0.05 });
  for (let epoch = 0; epoch < 40; epoch++) {
    const l = losses.sparseCategoricalCrossentropy(b.forward(x), y, { fromLogits: true });
    l.backward();
    opt.step();
    opt.zeroGrad();
  }
  const pa = a.parameters().map((p) => Array.from(p.dataSync()));
  const pb = b.parameters().map((p) => Array.from(p.dataSync()));
  t.deepEqual(pb, pa);
  t.is(opt.lr, Math.fround(0.05));

  // The async trainStep helper (off the JS thread) takes the same steps as the eager loop.
  const c = build();
  const optC = optimizer(c.parameters(), { type: 'adam', lr: 0.05 });
  let last = 0;
  for (let epoch = 0; epoch < 40; epoch++) last = await c.trainStep(x, y, { optimizer: optC, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  t.deepEqual(c.parameters().map((p) => Array.from(p.dataSync())), pa);
  t.true(last > 0 && last < 0.7, `last loss ${last}`);
  await t.throwsAsync(c.trainStep(x, tensor([0, 1]), { optimizer: optC, loss: 'mse' }), { message: /same number of samples/ });
  t.throws(() => optimizer(b.parameters(), { type: 'sgd', lr: -1 }), { instanceOf: ValueError });
  t.throws(() => losses.sparseCategoricalCrossentropy(tensor([[1, 2]]), tensor([5]), { fromLogits: true }), { instanceOf: ValueError });
});

test('batch progress, epoch logger and SVG history plot', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-hist-'));
  const model = xorModel();
  const batches: number[] = [];
  const csv = path.join(dir, 'log.csv');
  const logCsv = epochLogger(csv);
  const history = await model.fit(xorX, xorY, { epochs: 5, batchSize: 1, verbose: 0, onEpochEnd: logCsv, onBatchEnd: (p) => batches.push(p.batch) });
  await new Promise((r) => setImmediate(r));
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
  t.is(lines[0], 'epoch,accuracy,loss,lr,seconds');
  t.is(lines.length, 6);
  // The first batch of every epoch is always reported; later ones at most every 100 ms.
  t.true(batches.length >= 5 && batches.filter((b) => b === 1).length === 5 && batches.every((b) => b < 4), `batch reports ${batches}`);
  const svgFile = path.join(dir, 'history.svg');
  await saveHistorySvg(history, svgFile);
  const svg = fs.readFileSync(svgFile, 'utf8');
  t.regex(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.is((svg.match(/<polyline/g) ?? []).length, 2); // loss and accuracy
  t.regex(svg, />loss</);
});

test('an L2 kernel regularizer shrinks the weights and is part of the loss', async (t) => {
  const x = tensor([[1, 0], [0, 1], [1, 1], [2, 1]]);
  const y = tensor([[1], [2], [3], [4]]);
  const train = async (l2: number) => {
    manualSeed(8);
    const m = sequential([layers.dense({ units: 1, kernelRegularizer: { l2 } })], { inputShape: [2] });
    m.compile({ optimizer: { type: 'sgd', lr: 0.05 }, loss: 'mse' });
    const h = await m.fit(x, y, { epochs: 200, batchSize: 4, verbose: 0 });
    const w = m.parameters()[0]!;
    return { norm: w.square().sum().item(), loss: h.history.loss!.at(-1)!, mse: (await m.evaluate(x, y)).loss! };
  };
  const free = await train(0);
  const shrunk = await train(1);
  t.true(shrunk.norm < 0.5 * free.norm, `|W|² ${shrunk.norm} vs ${free.norm}`);
  // The reported training loss includes the penalty; evaluate reports the data loss only.
  t.true(shrunk.loss > shrunk.mse, `train loss ${shrunk.loss}, mse ${shrunk.mse}`);
  t.throws(() => sequential([layers.dense({ units: 1, kernelRegularizer: { l2: -1 } })], { inputShape: [2] }), { instanceOf: ValueError });
});

test('reshape, permute and flatten layers infer shapes and run', async (t) => {
  const model = sequential([layers.reshape({ targetShape: [3, -1] }), layers.permute({ dims: [2, 1] }), layers.flatten(), layers.dense({ units: 2 })], {
    inputShape: [6],
  });
  t.regex(model.summary(), /1 \(Permute\)\s+\[1, 2, 3\]/);
  t.deepEqual((await model.predict(tensor([[0, 1, 2, 3, 4, 5]]))).shape, [1, 2]);
  t.throws(() => sequential([layers.reshape({ targetShape: [4, -1] })], { inputShape: [6] }), { instanceOf: ValueError });
  t.throws(() => sequential([layers.reshape({ targetShape: [3, 2] }), layers.permute({ dims: [1, 1] })], { inputShape: [6] }), { instanceOf: ValueError });
});

test('a max-norm kernel constraint holds after every fit step', async (t) => {
  manualSeed(9);
  const model = sequential([layers.dense({ units: 3, kernelConstraint: { type: 'maxNorm', maxValue: 0.5 } })], { inputShape: [4] });
  model.compile({ optimizer: { type: 'sgd', lr: 0.5 }, loss: 'mse' });
  const x = tensor([[1, 2, 3, 4], [4, 3, 2, 1]]);
  const y = tensor([[10, -10, 10], [-10, 10, -10]]);
  await model.fit(x, y, { epochs: 5, batchSize: 2, verbose: 0 });
  const w = model.parameters()[0]!; // [in, out]: one column per unit
  const norms = Array.from(w.square().sum(0).sqrt().dataSync());
  t.true(norms.every((n) => n <= 0.5 + 1e-5), `column norms ${norms}`);
  t.true(norms.some((n) => n > 0.49), `the constraint is active: ${norms}`);
  t.throws(() => sequential([layers.dense({ units: 1, kernelConstraint: { type: 'positive' } as never })], { inputShape: [1] }), {
    instanceOf: ValueError,
  });
});

test('reduceLrOnPlateau lowers the learning rate when the monitored loss stalls', async (t) => {
  manualSeed(2);
  const model = sequential([layers.dense({ units: 1 })], { inputShape: [1] });
  // A small learning rate and a 50% relative threshold: no epoch improves enough, so the loss plateaus.
  model.compile({ optimizer: { type: 'sgd', lr: 1e-3 }, loss: 'mse' });
  const x = tensor([[1], [2], [3]]);
  const y = tensor([[2], [4], [6]]);
  const h = await model.fit(x, y, { epochs: 6, batchSize: 3, verbose: 0, reduceLrOnPlateau: { monitor: 'loss', factor: 0.5, patience: 1, minDelta: 0.5 } });
  const lrs = h.epochs.map((e) => e.lr);
  t.true(lrs.at(-1)! < lrs[0]!, `learning rates ${lrs}`);
  t.true(lrs.every((lr, i) => i === 0 || lr <= lrs[i - 1]!), `non-increasing: ${lrs}`);
  await t.throwsAsync(model.fit(x, y, { verbose: 0, reduceLrOnPlateau: { monitor: 'val_accuracy' } }), { message: /not logged/ });
  model.compile({ loss: 'mse', schedule: { type: 'exponential', gamma: 0.9 } });
  await t.throwsAsync(model.fit(x, y, { verbose: 0, reduceLrOnPlateau: {} }), { instanceOf: ValueError, message: /cannot be combined/ });
});

test('a run saved with its optimizer state and resumed matches the uninterrupted run exactly', async (t) => {
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.2], [0.1, 0.9]]);
  const y = tensor([0, 1, 1, 0, 1, 0]);
  const build = () => {
    manualSeed(33);
    const m = sequential([layers.dense({ units: 6, activation: 'tanh' }), layers.dense({ units: 2 })], { inputShape: [2] });
    m.compile({ optimizer: { type: 'adam', lr: 0.03 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    return m;
  };
  const fitArgs = { batchSize: 2, seed: 4, verbose: 0 as const };
  const straight = build();
  await straight.fit(x, y, { ...fitArgs, epochs: 6 });

  const first = build();
  await first.fit(x, y, { ...fitArgs, epochs: 3 });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fg-resume-')), 'run.safetensors');
  await first.save(file);
  const resumed = await loadModel(file);
  const h = await resumed.fit(x, y, { ...fitArgs, epochs: 6, initialEpoch: 3 }); // compiled by loadModel
  t.deepEqual(h.epochs.map((e) => e.epoch), [3, 4, 5]);
  const a = straight.parameters().map((p) => Array.from(p.dataSync()));
  const b = resumed.parameters().map((p) => Array.from(p.dataSync()));
  t.deepEqual(b, a);

  // Without the optimizer state the file loads as a plain (uncompiled) model.
  await first.save(file, { includeOptimizer: false });
  await t.throwsAsync((await loadModel(file)).fit(x, y, { verbose: 0 }), { message: /call compile\(\) first/ });
});

test('checkpoint saves every epoch or only the best one, loadable with loadModel', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-ckpt-'));
  const model = xorModel();
  await model.fit(xorX, xorY, { epochs: 3, batchSize: 4, verbose: 0, checkpoint: { path: path.join(dir, 'e{epoch}.safetensors') } });
  t.deepEqual(fs.readdirSync(dir).sort(), ['e1.safetensors', 'e2.safetensors', 'e3.safetensors']);
  const best = path.join(dir, 'best.safetensors');
  const h = await model.fit(xorX, xorY, {
    epochs: 20,
    batchSize: 4,
    verbose: 0,
    validationData: [xorX, xorY],
    checkpoint: { path: best, monitor: 'val_loss', saveBestOnly: true },
  });
  const bestLoss = Math.min(...h.history.val_loss!);
  const restored = await loadModel(best);
  restored.compile({ loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  const again = await restored.evaluate(xorX, xorY);
  t.true(Math.abs(again.loss! - bestLoss) < 1e-5, `checkpoint loss ${again.loss}, best ${bestLoss}`);
  await t.throwsAsync(model.fit(xorX, xorY, { verbose: 0, checkpoint: { path: '' } }), { instanceOf: ValueError });
});

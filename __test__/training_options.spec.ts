// Training options beyond the basics: optimizer parameter groups, Keras and metric-learning
// losses, initializers, and activity regularisation (a sparse autoencoder on MNIST).
import test from 'ava';

import { Dataset, Tensor, ValueError, layers, loadMnist, loss, losses, manualSeed, optimizer, sequential, tensor, zeros } from '../ts/index';

test('paramGroups in compile give matched parameters their own options', async (t) => {
  manualSeed(3);
  const model = sequential([layers.dense({ units: 4, activation: 'tanh' }), layers.dense({ units: 1 })], { inputShape: [3] });
  const before = model.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())] as const);
  model.compile({ optimizer: { type: 'sgd', lr: 0.1, paramGroups: [{ params: ['*.bias'], lr: 0 }] }, loss: 'mse' });
  const x = tensor([[1, 2, 3], [0, -1, 2], [2, 2, -1]]);
  await model.fit(x, tensor([[1], [0], [-1]]), { epochs: 3, verbose: 0 });
  for (const [[name, old], [, p]] of before.map((b, i) => [b, model.namedParameters()[i]!] as const)) {
    const moved = Array.from(p.dataSync()).some((v, i) => v !== old[i]);
    t.is(moved, !name.endsWith('bias'), name);
  }
  t.throws(() => model.compile({ optimizer: { type: 'sgd', paramGroups: [{ params: ['*.gamma'] }] }, loss: 'mse' }), { instanceOf: ValueError, message: /matches no parameter/ });
});

test('custom-loop optimizers take parameter groups whose LRs keep their ratio', (t) => {
  const a = zeros([2]);
  const b = zeros([2]);
  a.requiresGrad = true;
  b.requiresGrad = true;
  const opt = optimizer([{ params: [a], lr: 0.1 }, { params: [b], lr: 1 }], { type: 'sgd', lr: 0.1 });
  a.add(b).sum().backward();
  opt.step();
  t.deepEqual(Array.from(a.dataSync()).map((v) => +v.toFixed(5)), [-0.1, -0.1]);
  t.deepEqual(Array.from(b.dataSync()).map((v) => +v.toFixed(5)), [-1, -1]);
  opt.lr = 0.01;
  t.deepEqual(opt.groupLrs.map((v) => +v.toFixed(6)), [0.01, 0.1]);
  t.throws(() => optimizer([{ params: [a] }, { params: [a] }], 'sgd'), { instanceOf: ValueError, message: /more than one parameter group/ });
});

test('Keras losses train through compile and metric-learning losses have their textbook values', async (t) => {
  manualSeed(4);
  // A linear SVM with the hinge loss on a separable problem (0/1 labels are mapped to -1/1).
  const x = tensor(Array.from({ length: 64 }, (_, i) => [Math.sin(i * 1.3) * 2, Math.cos(i * 0.7) * 2]));
  const y = tensor((x.toArray() as number[][]).map(([a, b]) => [a! + b! > 0 ? 1 : 0]));
  const svm = sequential([layers.dense({ units: 1 })], { inputShape: [2] });
  svm.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'hinge' });
  const h = await svm.fit(x, y, { epochs: 40, batchSize: 16, verbose: 0 });
  t.true(h.history.loss!.at(-1)! < 0.2 * h.history.loss![0]!, `hinge ${h.history.loss![0]} -> ${h.history.loss!.at(-1)}`);
  const pred = (await svm.predict(x)).toArray() as number[][];
  const correct = pred.filter((p, i) => (p[0]! > 0 ? 1 : 0) === (y.toArray() as number[][])[i]![0]).length;
  t.true(correct / 64 >= 0.95, `accuracy ${correct / 64}`);

  const close = (v: Tensor, want: number) => t.true(Math.abs(v.item() - want) < 1e-4, `${v.item()} vs ${want}`);
  close(losses.contrastive(tensor([[0, 0]]), tensor([[3, 4]]), tensor([1])), 25);
  close(losses.contrastive(tensor([[0, 0]]), tensor([[3, 4]]), tensor([0]), { margin: 6 }), 1);
  close(losses.tripletMargin(tensor([[0, 0]]), tensor([[1, 0]]), tensor([[1.5, 0]])), 0.5);
  close(losses.tripletMargin(tensor([[0, 0]]), tensor([[1, 0]]), tensor([[3, 0]])), 0);
  close(losses.cosineEmbedding(tensor([[1, 0]]), tensor([[0, 1]]), tensor([1])), 1);
  // KL(q || p) with q = [0.5, 0.5], p = [0.25, 0.75], per sample ('batchmean').
  const kl = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
  close(losses.klDiv(tensor([[Math.log(0.25), Math.log(0.75)]]), tensor([[0.5, 0.5]]), { reduction: 'batchmean' }), kl);
  close(losses.kullbackLeiblerDivergence(tensor([[0.25, 0.75]]), tensor([[0.5, 0.5]])), kl);
  t.throws(() => losses.contrastive(tensor([[0, 0]]), tensor([[3, 4]]), tensor([2])), { instanceOf: ValueError, message: /contrastiveLoss/ });
});

test('dense initializers are applied and saved in the architecture', (t) => {
  manualSeed(5);
  const model = sequential([layers.dense({ units: 64, kernelInitializer: { type: 'constant', value: 0.5 }, biasInitializer: 'ones' }), layers.dense({ units: 32, kernelInitializer: 'orthogonal' })], { inputShape: [64] });
  const [w1, b1, w2] = model.parameters();
  t.true(Array.from(w1!.dataSync()).every((v) => v === 0.5));
  t.true(Array.from(b1!.dataSync()).every((v) => v === 1));
  // Orthogonal [64, 32]: its columns are orthonormal, W^T W = I.
  const gram = w2!.transpose(0, 1).matmul(w2!);
  const eye = Array.from({ length: 32 * 32 }, (_, i) => (i % 33 === 0 ? 1 : 0));
  t.true(Array.from(gram.dataSync()).every((v, i) => Math.abs(v - eye[i]!) < 1e-4));
  const config = model.toJSON() as { layers: Array<Record<string, unknown>> };
  t.deepEqual(config.layers[0]!.kernel_initializer, { type: 'constant', value: 0.5 });
  t.is(config.layers[0]!.bias_initializer, 'ones');
  t.throws(() => sequential([layers.dense({ units: 2, kernelInitializer: 'glorot' as never })], { inputShape: [2] }), { instanceOf: ValueError, message: /unknown initializer 'glorot'/ });
});

test('a sparse autoencoder with a KL target on MNIST codes reconstructs and keeps codes sparse', async (t) => {
  const { trainImages } = await loadMnist();
  const x = trainImages.narrow(0, 0, 4000);
  const baseline = x.sub(x.mean(0, { keepDims: true })).square().mean().item();
  const codeMean = async (klTarget?: number): Promise<[number, number]> => {
    manualSeed(6);
    const encoder = layers.dense({ units: 64, activation: 'sigmoid', ...(klTarget === undefined ? {} : { activityRegularizer: { klTarget, klWeight: 0.1 } }) });
    const model = sequential([encoder, layers.dense({ units: 784, activation: 'sigmoid' })], { inputShape: [784] });
    model.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'binaryCrossentropy', metrics: ['mse'] });
    await model.fit(x, x, { epochs: 15, batchSize: 64, verbose: 0 });
    const mse = (await model.evaluate(x, x, { batchSize: 500 })).mse!;
    const [w, b] = model.parameters();
    const codes = x.matmul(w!).add(b!).sigmoid();
    return [codes.mean().item(), mse];
  };
  const [dense, denseMse] = await codeMean();
  const [sparse, sparseMse] = await codeMean(0.05);
  t.log(`mean code activation: ${dense.toFixed(3)} without, ${sparse.toFixed(3)} with KL target 0.05; MSE ${denseMse.toFixed(4)} / ${sparseMse.toFixed(4)} vs mean-image baseline ${baseline.toFixed(4)}`);
  t.true(Math.abs(sparse - 0.05) < 0.02 && dense > 0.5, `${dense} vs ${sparse}`);
  t.true(sparseMse < 0.5 * baseline, `sparse AE MSE ${sparseMse} vs baseline ${baseline}`);
});

test('user callbacks see every hook in order, for tensors and for datasets', async (t) => {
  const x = tensor(Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i)]));
  const y = tensor(Array.from({ length: 40 }, (_, i) => [Math.sin(2 * i)]));
  const run = async (useDataset: boolean): Promise<string[]> => {
    manualSeed(7);
    const model = sequential([layers.dense({ units: 4, activation: 'tanh' }), layers.dense({ units: 1 })], { inputShape: [2] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const events: string[] = [];
    const callbacks = [
      {
        onTrainBegin: () => events.push('trainBegin'),
        onEpochBegin: (e: number) => events.push(`epochBegin ${e}`),
        onBatchBegin: (p: { epoch: number; batch: number }) => events.push(`batchBegin ${p.epoch}.${p.batch}`),
        onBatchEnd: (p: { epoch: number; batch: number }) => events.push(`batchEnd ${p.epoch}.${p.batch}`),
        onEpochEnd: (l: { epoch: number }) => events.push(`epochEnd ${l.epoch}`),
        onTrainEnd: (h: { epochs: unknown[] }) => events.push(`trainEnd ${h.epochs.length}`),
      },
    ];
    if (useDataset) await model.fit(Dataset.fromTensors(x, y).batch(20), { epochs: 2, verbose: 0, callbacks });
    else await model.fit(x, y, { epochs: 2, batchSize: 20, verbose: 0, callbacks });
    return events;
  };
  const expected = ['trainBegin'];
  for (const e of [0, 1]) expected.push(`epochBegin ${e}`, `batchBegin ${e}.1`, `batchEnd ${e}.1`, `batchBegin ${e}.2`, `batchEnd ${e}.2`, `epochEnd ${e}`);
  expected.push('trainEnd 2');
  t.deepEqual(await run(false), expected);
  t.deepEqual(await run(true), expected);

  // A throwing callback stops training and fit rejects with its error.
  const model = sequential([layers.dense({ units: 1 })], { inputShape: [2] });
  model.compile({ loss: 'mse' });
  let epochs = 0;
  await t.throwsAsync(
    model.fit(x, y, { epochs: 50, batchSize: 4, verbose: 0, callbacks: [{ onEpochEnd: () => { epochs++; throw new Error('boom'); } }] }),
    { message: 'boom' },
  );
  t.is(epochs, 1);
});

test('loss() reduces by mean, sum or none and takes sample weights', (t) => {
  const pred = tensor([[1], [2], [4]]);
  const target = tensor([[0], [0], [0]]);
  t.is(loss('mse', pred, target).item(), 7);
  t.is(loss('mse', pred, target, { reduction: 'sum' }).item(), 21);
  t.deepEqual(loss('mse', pred, target, { reduction: 'none' }).toArray(), [[1], [4], [16]]);
  t.is(loss('mse', pred, target, { sampleWeight: tensor([1, 0, 0.5]) }).item(), 3);
  t.throws(() => loss('mse', pred, target, { reduction: 'avg' as never }), { instanceOf: ValueError, message: /unknown reduction 'avg'/ });
});

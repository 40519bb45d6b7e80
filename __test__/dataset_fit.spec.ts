// fit / evaluate / predict over a streaming Dataset: the same native epoch logic as fit over
// tensors (bit-identical when the batches are the same), generators, callbacks, cancellation.
import test from 'ava';

import { Dataset, Sequential, Tensor, ValueError, layers, loadMnist, manualSeed, sequential, tensor } from '../ts/index';

const data = (() => {
  const x = tensor(Array.from({ length: 96 }, (_, i) => [Math.sin(i), Math.cos(1.7 * i), Math.sin(0.3 * i)]));
  const y = tensor((x.toArray() as number[][]).map((r) => (r[0]! + r[1]! * r[2]! > 0 ? 1 : 0)));
  return { x, y };
})();

function net(): Sequential {
  manualSeed(11);
  const m = sequential([layers.dense({ units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { inputShape: [3] });
  m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'], schedule: { type: 'step', stepSize: 2, gamma: 0.5 } });
  return m;
}

const weights = (m: Sequential): number[] => m.parameters().flatMap((p) => Array.from(p.dataSync()));

test('a Dataset fit equals the tensor fit on the same batches, with accumulation and validation', async (t) => {
  const { x, y } = data;
  const a = net();
  const ha = await a.fit(x, y, { epochs: 4, batchSize: 8, shuffle: false, verbose: 0, accumulateSteps: 3, validationData: [x, y] });
  const b = net();
  const ds = Dataset.fromTensors(x, y).batch(8);
  const hb = await b.fit(ds, { epochs: 4, verbose: 0, accumulateSteps: 3, validationData: ds });
  t.deepEqual(weights(b), weights(a));
  t.deepEqual(hb.history.loss, ha.history.loss);
  t.deepEqual(hb.history.val_accuracy, ha.history.val_accuracy);
  t.deepEqual(hb.epochs.map((e) => +e.lr.toFixed(6)), [0.01, 0.01, 0.005, 0.005]);
  t.deepEqual(await b.evaluate(ds), await b.evaluate(x, y, { batchSize: 8 }));
  const p = await b.predict(Dataset.fromTensors(x).batch(10));
  t.deepEqual(Array.from(p.dataSync()), Array.from((await b.predict(x)).dataSync()));
});

test('a generator-backed dataset streams MNIST batches and the model learns', async (t) => {
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  let produced = 0;
  const stream = Dataset.fromGenerator(function* () {
    for (let start = 0; start < 6000; start += 100) {
      produced += 1;
      yield [trainImages.narrow(0, start, 100), trainLabels.narrow(0, start, 100)] as [Tensor, Tensor];
    }
  }).prefetch(2);
  manualSeed(12);
  const m = sequential([layers.dense({ units: 64, activation: 'relu' }), layers.dense({ units: 10 })], { inputShape: [784] });
  m.compile({ optimizer: { type: 'adam', lr: 0.002 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  const h = await m.fit(stream, { epochs: 2, verbose: 0 });
  t.is(produced, 120, 'the generator is re-run every epoch');
  const test1k = Dataset.fromTensors(testImages.narrow(0, 0, 1000), testLabels.narrow(0, 0, 1000)).batch(250);
  const scores = await m.evaluate(test1k);
  t.log(`streamed MNIST (6000 samples, 2 epochs): test accuracy ${scores.accuracy?.toFixed(3)} on 1000 images`);
  t.true(scores.accuracy! > 0.85, JSON.stringify(scores));
  t.is(h.epochs.length, 2);
});

test('early stopping, cancellation and misuse over a Dataset', async (t) => {
  const { x, y } = data;
  const ds = Dataset.fromTensors(x, y).shuffle(96, { seed: 1 }).batch(16);
  const m = net();
  const stopped = await m.fit(ds, { epochs: 50, verbose: 0, earlyStopping: { monitor: 'loss', patience: 0, minDelta: 10 } });
  t.true(stopped.stopped);
  t.is(stopped.epochs.length, 2, "the first epoch sets the best value, the second fails to beat it by minDelta");

  const controller = new AbortController();
  let batches = 0;
  const cancelled = await net().fit(ds, { epochs: 10, verbose: 0, signal: controller.signal, onBatchEnd: () => batches++, onEpochEnd: () => controller.abort() });
  t.true(cancelled.cancelled);
  t.is(cancelled.epochs.length, 1);

  await t.throwsAsync(net().fit(ds, { batchSize: 8 } as never), { instanceOf: ValueError, message: /'batchSize' does not apply to a Dataset/ });
  await t.throwsAsync(net().fit(Dataset.fromArray([1, 2, 3]) as never, { verbose: 0 }), { instanceOf: ValueError, message: /\[inputs, targets\]/ });
  // After a failed streamed fit the model is usable again.
  const again = net();
  await t.throwsAsync(again.fit(Dataset.fromArray([[x, tensor([[1, 2]])]]) as never, { verbose: 0 }), { message: /same number of samples/ });
  const h = await again.fit(ds, { epochs: 1, verbose: 0 });
  t.is(h.epochs.length, 1);
});

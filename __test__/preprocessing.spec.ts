// Data preparation: seeded splits, standardisation fitted on training data, scaling, one-hot.
import test from 'ava';

import { IOError, StandardScaler, ValueError, arange, loadCsv, minMaxScale, permutation, tensor, toCategorical, trainTestSplit } from '../ts/index';

test('trainTestSplit shuffles reproducibly and keeps x and y rows together', (t) => {
  const x = arange(20).reshape([10, 2]);
  const y = arange(10);
  const a = trainTestSplit(x, y, { testSize: 0.3, seed: 5 });
  const b = trainTestSplit(x, y, { testSize: 0.3, seed: 5 });
  t.deepEqual(a.xTest.shape, [3, 2]);
  t.deepEqual(a.yTrain.shape, [7]);
  t.deepEqual(Array.from(a.yTest.dataSync()), Array.from(b.yTest.dataSync()));
  // Row i of x is [2i, 2i+1] and y is i: the pairing survives the shuffle.
  t.deepEqual(Array.from(a.xTest.narrow(1, 0, 1).reshape([-1]).div(2).dataSync()), Array.from(a.yTest.dataSync()));
  const all = [...a.yTrain.dataSync(), ...a.yTest.dataSync()].sort((p, q) => p - q);
  t.deepEqual(all, Array.from({ length: 10 }, (_, i) => i));
  t.notDeepEqual(permutation(10, 1), permutation(10, 2));
  t.throws(() => trainTestSplit(x, y, { testSize: 1.5 }), { instanceOf: ValueError });
  t.throws(() => trainTestSplit(x, arange(9)), { instanceOf: ValueError });
});

test('StandardScaler uses training statistics and leaves constant features unscaled', (t) => {
  const train = tensor([
    [1, 5],
    [3, 5],
  ]);
  const scaler = new StandardScaler().fit(train);
  t.deepEqual(Array.from(scaler.transform(train).dataSync()), [-1, 0, 1, 0]);
  t.deepEqual(Array.from(scaler.transform(tensor([[5, 6]])).dataSync()), [3, 1]);
  t.throws(() => new StandardScaler().transform(train), { instanceOf: ValueError });
  t.deepEqual(Array.from(minMaxScale(tensor([[0, 2], [10, 2], [5, 2]])).dataSync()), [0, 0, 1, 0, 0.5, 0]);
  t.deepEqual(Array.from(toCategorical([2, 0], 3).dataSync()), [0, 0, 1, 1, 0, 0]);
});

test('loadCsv reads Iris into a matrix with the species as category codes', async (t) => {
  const path = await import('node:path');
  const table = await loadCsv(path.join(__dirname, '..', 'data', 'iris', 'iris.data'), { header: false });
  t.deepEqual(table.columns, ['c0', 'c1', 'c2', 'c3', 'c4']);
  t.deepEqual(table.data.shape, [150, 5]);
  t.deepEqual(table.categories.c4, ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica']);
  t.deepEqual(Array.from(table.data.narrow(0, 0, 1).dataSync()).map((v) => Math.round(v * 10) / 10), [5.1, 3.5, 1.4, 0.2, 0]);
  await t.throwsAsync(loadCsv('/nonexistent.csv'), { instanceOf: IOError });
  await t.throwsAsync(loadCsv(path.join(__dirname, '..', 'data', 'iris', 'iris.data'), { delimiter: ';;' }), { instanceOf: ValueError });
});

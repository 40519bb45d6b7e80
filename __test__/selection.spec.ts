// Model selection: index splitters checked against scikit-learn, cross-validation with per-fold
// preprocessing on the bundled breast cancer and iris data, and grid / random search with refit.
import * as path from 'node:path';

import test from 'ava';

import {
  Module,
  Sequential,
  StandardScaler,
  Tensor,
  Trainable,
  ValueError,
  arange,
  crossValidate,
  gridSearch,
  kFold,
  layers,
  leaveOneOut,
  leavePOut,
  loadBreastCancer,
  loadCsv,
  manualSeed,
  parameterGrid,
  randomSearch,
  sampleParameters,
  sequential,
  stratifiedKFold,
  tensor,
  trainTestSplit,
  trainValTestSplit,
} from '../ts';
import type { FitArgs, Fold, TrialContext } from '../ts';

const tests = (folds: Fold[]): number[][] => folds.map((f) => f.test);
const counts = (labels: number[], idx: number[]): Record<number, number> => {
  const out: Record<number, number> = {};
  for (const i of idx) out[labels[i]!] = (out[labels[i]!] ?? 0) + 1;
  return out;
};

/** Every fold splits 0..n-1 into disjoint train and test parts, and the test parts cover each sample once. */
function assertPartition(t: import('ava').ExecutionContext, folds: Fold[], n: number): void {
  const seen = new Array<number>(n).fill(0);
  for (const { train, test } of folds) {
    t.deepEqual([...train, ...test].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    for (const i of test) seen[i]! += 1;
  }
  t.deepEqual(seen, new Array<number>(n).fill(1));
}

// y = 1 for malignant; the binary model outputs one logit, so targets are [n, 1].
const breastCancer = (async () => {
  const { features, labels } = await loadBreastCancer();
  return { x: features, y: labels.reshape([-1, 1]), labels: Array.from(labels.dataSync()) };
})();

/** Logistic regression (one dense unit, sigmoid cross-entropy on the logit), or a small MLP. */
function binaryClassifier(params: { units?: number; l2?: number; lr?: number }, context?: TrialContext): Sequential {
  if (context !== undefined) manualSeed(context.seed);
  const reg = params.l2 === undefined ? {} : { kernelRegularizer: { l2: params.l2 } };
  const hidden = params.units === undefined ? [] : [layers.dense({ units: params.units, activation: 'relu', ...reg })];
  const net = sequential([...hidden, layers.dense({ units: 1, ...reg })], { inputShape: [30] });
  net.compile({ optimizer: { type: 'adam', lr: params.lr ?? 0.01 }, loss: { type: 'binaryCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  return net;
}

const fitArgs: FitArgs = { epochs: 40, batchSize: 32 };

test('loadBreastCancer reads the bundled WDBC copy: 569 x 30 features, M = 1 / B = 0', async (t) => {
  const { features, labels, featureNames } = await loadBreastCancer();
  t.deepEqual(features.shape, [569, 30]);
  t.deepEqual(labels.shape, [569]);
  t.is(labels.sum().item(), 212);
  t.deepEqual(Array.from(labels.narrow(0, 0, 3).dataSync()), [1, 1, 1]); // 842302,M / 842517,M / 84300903,M
  t.is(labels.narrow(0, 19, 1).item(), 0); // 8510426,B
  // First row without its ID and diagnosis: 17.99, 10.38, 122.8, 1001, ... 0.1189.
  const first = Array.from(features.narrow(0, 0, 1).dataSync());
  t.deepEqual([first[0], first[3], first[29]].map((v) => Math.round(v! * 1e4) / 1e4), [17.99, 1001, 0.1189]);
  t.deepEqual([featureNames[0], featureNames[10], featureNames[29]], ['mean radius', 'radius error', 'worst fractal dimension']);
});

test('kFold cuts scikit-learn fold sizes and partitions the samples', (t) => {
  // scikit-learn KFold(3).split(range(10)): the first n % k folds get one extra sample.
  t.deepEqual(tests(kFold(10, { k: 3 })), [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  t.deepEqual(kFold(10, { k: 3 })[1]!.train, [0, 1, 2, 3, 7, 8, 9]);
  const shuffled = kFold(23, { k: 5, shuffle: true, seed: 7 });
  t.deepEqual(shuffled.map((f) => f.test.length), [5, 5, 5, 4, 4]);
  assertPartition(t, shuffled, 23);
  t.notDeepEqual(tests(shuffled), tests(kFold(23, { k: 5 })));
  t.deepEqual(kFold(23, { k: 5, shuffle: true, seed: 7 }), shuffled);
  t.notDeepEqual(tests(kFold(23, { k: 5, shuffle: true, seed: 8 })), tests(shuffled));
  t.throws(() => kFold(10, { k: 1 }), { instanceOf: ValueError });
  t.throws(() => kFold(3, { k: 4 }), { instanceOf: ValueError, message: /k=4 folds with only 3 samples/ });
});

test('stratifiedKFold reproduces scikit-learn and keeps class proportions in every fold', async (t) => {
  // scikit-learn 1.2.1: StratifiedKFold(3).split(X, y) for this y gives these test folds.
  const y = [1, 0, 0, 2, 0, 1, 0, 0, 2, 0, 1, 0, 0, 0, 1, 0, 2, 0, 1, 0];
  t.deepEqual(tests(stratifiedKFold(y, { k: 3 })), [
    [0, 1, 2, 3, 4, 5, 6],
    [7, 8, 9, 10, 11, 12, 14],
    [13, 15, 16, 17, 18, 19],
  ]);
  // And on the breast cancer labels (212 M / 357 B), the first test indices of each fold.
  const { labels } = await breastCancer;
  const bc = stratifiedKFold(tensor(labels), { k: 5 });
  t.deepEqual(bc.map((f) => f.test.length), [114, 114, 114, 114, 113]);
  t.deepEqual(bc[1]!.test.slice(0, 8), [53, 54, 56, 57, 62, 64, 65, 70]);
  t.deepEqual(bc[4]!.test.slice(0, 8), [389, 392, 393, 400, 408, 414, 417, 430]);

  // A skewed label vector, 77 / 18 / 5 out of 100, interleaved.
  const skewed = Array.from({ length: 100 }, (_, i) => (i % 20 === 7 ? 2 : i % 20 < 3 || [11, 31, 51].includes(i) ? 1 : 0));
  t.deepEqual(counts(skewed, skewed.map((_, i) => i)), { 0: 77, 1: 18, 2: 5 });
  const folds = stratifiedKFold(skewed, { k: 5, shuffle: true, seed: 3 });
  assertPartition(t, folds, 100);
  for (const f of folds) {
    const c = counts(skewed, f.test);
    // Per class, floor or ceil of its share: 77/5 = 15.4, 18/5 = 3.6, 5/5 = 1.
    t.true(c[0] === 15 || c[0] === 16, JSON.stringify(c));
    t.true(c[1] === 3 || c[1] === 4, JSON.stringify(c));
    t.is(c[2], 1);
  }
  t.deepEqual(stratifiedKFold(skewed, { k: 5, shuffle: true, seed: 3 }), folds);
  t.notDeepEqual(tests(stratifiedKFold(skewed, { k: 5, shuffle: true, seed: 4 })), tests(folds));
  // One-hot targets stratify by their argmax.
  t.deepEqual(stratifiedKFold(tensor(y).oneHot(3), { k: 3 }), stratifiedKFold(y, { k: 3 }));
  t.throws(() => stratifiedKFold(skewed, { k: 6 }), { instanceOf: ValueError, message: /class 2 has only 5 members, fewer than k=6/ });
});

test('leaveOneOut and leavePOut enumerate every held-out set, with a size guard', (t) => {
  const loo = leaveOneOut(6);
  t.is(loo.length, 6);
  t.deepEqual(loo[2], { train: [0, 1, 3, 4, 5], test: [2] });
  assertPartition(t, loo, 6);
  // scikit-learn LeavePOut(2).split(range(5)): C(5, 2) = 10 folds in itertools.combinations order.
  const lpo = [...leavePOut(5, 2)];
  t.deepEqual(tests(lpo), [[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4]]);
  t.deepEqual(lpo[4]!.train, [0, 3, 4]);
  t.is([...leavePOut(8, 3)].length, 56);
  // The guard fires at the call, before any fold is generated, and names the count.
  t.throws(() => leavePOut(100, 5), { instanceOf: ValueError, message: /C\(100, 5\) = 75287520 folds is more than maxFolds = 1000000/ });
  t.throws(() => leavePOut(8, 3, { maxFolds: 55 }), { instanceOf: ValueError, message: /= 56 folds/ });
  t.is(leavePOut(30, 15, { maxFolds: Infinity }).next().value!.test.length, 15);
  t.throws(() => leavePOut(5, 5), { instanceOf: ValueError });
  t.throws(() => leaveOneOut(1), { instanceOf: ValueError });
});

test('trainValTestSplit gives 60/20/20 parts, stratified on request and reproducible by seed', (t) => {
  const n = 100;
  const ids = arange(n);
  const x = ids.reshape([n, 1]);
  const labels = Array.from({ length: n }, (_, i) => (i % 10 < 3 ? 1 : 0)); // 30 % positives
  const y = tensor(labels);
  const idsOf = (part: Tensor): number[] => Array.from(part.dataSync());
  const a = trainValTestSplit(x, y, { seed: 1, stratify: true });
  t.deepEqual([a.xTrain.shape, a.xVal.shape, a.xTest.shape], [[60, 1], [20, 1], [20, 1]]);
  const parts = [idsOf(a.xTrain), idsOf(a.xVal), idsOf(a.xTest)];
  t.deepEqual(parts.flat().sort((p, q) => p - q), Array.from({ length: n }, (_, i) => i));
  // Rows stay paired with their labels, and each part keeps the 30 % share of positives exactly.
  t.deepEqual(Array.from(a.yVal.dataSync()), parts[1]!.map((i) => labels[i]!));
  t.deepEqual(parts.map((p) => p.filter((i) => labels[i] === 1).length), [18, 6, 6]);
  t.deepEqual(idsOf(trainValTestSplit(x, y, { seed: 1, stratify: true }).xTest), parts[2]);
  t.notDeepEqual(idsOf(trainValTestSplit(x, y, { seed: 2, stratify: true }).xTest), parts[2]);
  // Without stratification the proportions drift, but sizes and coverage hold.
  const b = trainValTestSplit(x, y, { valSize: 0.1, testSize: 25, seed: 1 });
  t.deepEqual([b.yTrain.shape[0], b.yVal.shape[0], b.yTest.shape[0]], [65, 10, 25]);
  // Unshuffled: consecutive blocks, test last (as scikit-learn's shuffle=False).
  const c = trainValTestSplit(x, y, { shuffle: false });
  t.deepEqual([idsOf(c.xTrain), idsOf(c.xVal), idsOf(c.xTest)], [Array.from({ length: 60 }, (_, i) => i), Array.from({ length: 20 }, (_, i) => 60 + i), Array.from({ length: 20 }, (_, i) => 80 + i)]);
  t.throws(() => trainValTestSplit(x, y, { valSize: 0.5, testSize: 0.5 }), { instanceOf: ValueError, message: /leave no training samples/ });
  t.throws(() => trainValTestSplit(x, y, { stratify: true, shuffle: false }), { instanceOf: ValueError });
  // trainTestSplit's stratify option is the same allocation.
  const s = trainTestSplit(x, y, { testSize: 0.3, stratify: true, seed: 4 });
  t.is(Array.from(s.yTest.dataSync()).filter((v) => v === 1).length, 9);
  t.throws(() => trainTestSplit(x, tensor(labels.map((_, i) => (i === 0 ? 2 : labels[i]!))), { stratify: true }), { instanceOf: ValueError, message: /class 2 has only 1 sample/ });
});

test('crossValidate: 5-fold logistic regression on breast cancer, standardised inside each fold', async (t) => {
  const { x, y } = await breastCancer;
  const fittedRows: number[] = [];
  const built: Array<number | 'refit'> = [];
  const result = await crossValidate(
    (_params, context) => {
      built.push(context.fold);
      return binaryClassifier({}, context);
    },
    x,
    y,
    {
      cv: 5,
      stratify: true,
      shuffle: true,
      seed: 0,
      fit: fitArgs,
      // The scaler is fitted on each fold's training rows only, then applied to both parts.
      preprocess: () => {
        const scaler = new StandardScaler();
        return {
          fit: (xTrain: Tensor) => {
            fittedRows.push(xTrain.shape[0]!);
            scaler.fit(xTrain);
          },
          transform: (rows: Tensor) => scaler.transform(rows),
          dispose: () => scaler.dispose(),
        };
      },
    },
  );
  const accuracies = result.folds.map((f) => f.scores.accuracy!);
  t.log(`breast cancer, logistic regression: fold accuracies ${accuracies.map((a) => a.toFixed(4)).join(' ')}; mean ${result.mean.accuracy!.toFixed(4)} ± ${result.std.accuracy!.toFixed(4)}; fold seconds ${result.folds.map((f) => f.seconds.toFixed(3)).join(' ')}; total ${result.seconds.toFixed(3)} s`);
  t.deepEqual(built, [0, 1, 2, 3, 4]);
  t.deepEqual(result.folds.map((f) => [f.fold, f.trainSize, f.testSize]), [[0, 455, 114], [1, 455, 114], [2, 455, 114], [3, 455, 114], [4, 456, 113]]);
  t.deepEqual(fittedRows, [455, 455, 455, 455, 456]);
  for (const a of accuracies) t.true(a > 0.9, `fold accuracy ${a}`);
  t.true(result.mean.accuracy! > 0.94, `mean accuracy ${result.mean.accuracy}`);
  // mean and population std of the fold scores.
  const mean = accuracies.reduce((p, q) => p + q, 0) / 5;
  t.true(Math.abs(result.mean.accuracy! - mean) < 1e-12);
  t.true(Math.abs(result.std.accuracy! - Math.sqrt(accuracies.reduce((p, q) => p + (q - mean) ** 2, 0) / 5)) < 1e-12);
  t.true('loss' in result.mean && result.folds.every((f) => f.seconds > 0));
});

test('crossValidate on iris: a small MLP with sparse labels, stratified folds, custom metrics', async (t) => {
  const table = await loadCsv(path.join(__dirname, '..', 'data', 'iris', 'iris.data'), { header: false });
  const x = table.data.narrow(1, 0, 4).contiguous();
  const y = table.data.narrow(1, 4, 1).reshape([-1]).contiguous();
  let disposed = 0;
  const result = await crossValidate(
    (_params, context) => {
      manualSeed(context.seed);
      const net = sequential([layers.dense({ units: 16, activation: 'relu' }), layers.dense({ units: 3 })], { inputShape: [4] });
      net.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
      const dispose = net.dispose.bind(net);
      net.dispose = () => {
        disposed += 1;
        dispose();
      };
      return net;
    },
    x,
    y,
    {
      cv: 5,
      stratify: true,
      shuffle: true,
      seed: 1,
      preprocess: () => new StandardScaler(),
      fit: { epochs: 60, batchSize: 16 },
      metrics: async (model, xTest, yTest) => {
        const predicted = (await model.predict(xTest)).argmax(1).dataSync();
        const truth = yTest.dataSync();
        const errors = predicted.filter((p, i) => p !== truth[i]).length;
        return { ...(await model.evaluate(xTest, yTest)), errors };
      },
    },
  );
  t.log(`iris, MLP 4-16-3: fold accuracies ${result.folds.map((f) => f.scores.accuracy!.toFixed(4)).join(' ')}; mean ${result.mean.accuracy!.toFixed(4)} ± ${result.std.accuracy!.toFixed(4)}; ${result.seconds.toFixed(3)} s`);
  t.is(disposed, 5);
  t.deepEqual(result.folds.map((f) => f.testSize), [30, 30, 30, 30, 30]);
  for (const f of result.folds) t.is(f.scores.errors, Math.round((1 - f.scores.accuracy!) * 30));
  t.true(result.mean.accuracy! > 0.9, `mean accuracy ${result.mean.accuracy}`);
});

test('crossValidate with concurrency 2 gives the same per-fold scores as sequential folds', async (t) => {
  const { x, y } = await breastCancer;
  const options = { cv: 5, stratify: true, shuffle: true, seed: 5, fit: fitArgs, preprocess: () => new StandardScaler() };
  const factory = (_: undefined, context: TrialContext): Sequential => binaryClassifier({ units: 8 }, context);
  const sequentialRun = await crossValidate(factory, x, y, options);
  const parallelRun = await crossValidate(factory, x, y, { ...options, concurrency: 2 });
  t.log(`MLP 30-8-1 sequential ${sequentialRun.seconds.toFixed(3)} s, concurrency 2 ${parallelRun.seconds.toFixed(3)} s; accuracies ${sequentialRun.folds.map((f) => f.scores.accuracy!.toFixed(4)).join(' ')}`);
  t.deepEqual(
    parallelRun.folds.map((f) => f.scores),
    sequentialRun.folds.map((f) => f.scores),
  );
  await t.throwsAsync(crossValidate(factory, x, y, { ...options, concurrency: 0 }), { instanceOf: ValueError });
});

/** A custom Module: logistic regression written by hand. */
class Logistic extends Module {
  weight: Tensor;
  bias: Tensor;

  constructor(features: number) {
    super();
    this.weight = this.parameter('weight', [features, 1]);
    this.bias = this.parameter('bias', [1], 'zeros');
  }

  forward(x: Tensor): Tensor {
    return x.matmul(this.weight).add(this.bias);
  }
}

test('crossValidate takes explicit folds (leave-p-out generators) and custom Modules', async (t) => {
  const { x, y } = await breastCancer;
  // 40 rows (the first 20 and the last 20 of the file) in 4 interleaved blocks of 10; leave-2-blocks-out
  // gives C(4, 2) = 6 folds of 20 / 20 rows, passed as a lazy generator.
  const rows = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 549 + i)];
  const xs = x.indexSelect(0, rows);
  const ys = y.indexSelect(0, rows);
  const blocks = [0, 1, 2, 3].map((b) => rows.map((_, i) => i).filter((i) => i % 4 === b));
  const folds = (function* () {
    for (const { test } of leavePOut(4, 2)) {
      const held = test.flatMap((b) => blocks[b]!);
      yield { train: rows.map((_, i) => i).filter((i) => !held.includes(i)), test: held };
    }
  })();
  const model = (): Trainable => {
    const m = new Logistic(30);
    m.compile({ optimizer: { type: 'adam', lr: 0.05 }, loss: { type: 'binaryCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    return m;
  };
  manualSeed(3);
  const result = await crossValidate(model, xs, ys, { cv: folds, preprocess: () => new StandardScaler(), fit: { epochs: 30, batchSize: 8 } });
  t.is(result.folds.length, 6);
  t.true(result.folds.every((f) => f.trainSize === 20 && f.testSize === 20));
  t.true(result.mean.accuracy! > 0.8, JSON.stringify(result.mean));
  await t.throwsAsync(crossValidate(model, xs, ys, { cv: [{ train: [0, 1], test: [40] }] }), { instanceOf: ValueError, message: /index 40 is outside/ });
});

test('gridSearch over L2 × units ranks every combination by mean CV accuracy and refits on all data', async (t) => {
  const { x, y } = await breastCancer;
  const fitRows: Array<{ fold: number | 'refit'; rows: number }> = [];
  /** Records the rows every fit sees, around the real model. */
  const recorded = (params: { l2: number; units: number }, context: TrialContext): Trainable & { net: Sequential } => {
    const net = binaryClassifier(params, context);
    return {
      net,
      fit: (xs, ys, args) => {
        fitRows.push({ fold: context.fold, rows: (xs as Tensor).shape[0]! });
        return net.fit(xs, ys, args);
      },
      evaluate: (xs, ys) => net.evaluate(xs, ys),
      dispose: () => net.dispose(),
    };
  };
  const grid = { l2: [0, 1e-3, 3], units: [4, 16] };
  t.deepEqual(parameterGrid(grid), [
    { l2: 0, units: 4 },
    { l2: 0, units: 16 },
    { l2: 1e-3, units: 4 },
    { l2: 1e-3, units: 16 },
    { l2: 3, units: 4 },
    { l2: 3, units: 16 },
  ]);
  // A list of grids is the concatenation of their products.
  t.deepEqual(parameterGrid([{ l2: [0], units: [4, 8] }, { l2: [1e-2], units: [2] }]), [
    { l2: 0, units: 4 },
    { l2: 0, units: 8 },
    { l2: 1e-2, units: 2 },
  ]);
  const search = await gridSearch(recorded, grid, x, y, { cv: 5, stratify: true, shuffle: true, seed: 0, fit: fitArgs, preprocess: () => new StandardScaler() });
  t.log(
    `grid (mean ± std CV accuracy): ${search.results.map((r) => `l2=${r.params.l2} units=${r.params.units}: ${r.mean.accuracy!.toFixed(4)} ± ${r.std.accuracy!.toFixed(4)} (${r.seconds.toFixed(2)} s)`).join('; ')}; best ${JSON.stringify(search.best)}`,
  );
  t.is(search.results.length, 6);
  t.is(search.scoring, 'accuracy');
  t.is(search.mode, 'max');
  const scores = search.results.map((r) => r.mean.accuracy!);
  t.is(search.best.score, Math.max(...scores));
  t.deepEqual(search.best.params, search.results[scores.indexOf(Math.max(...scores))]!.params);
  t.is(search.results[search.best.index]!.rank, 1);
  // A heavy penalty (l2 = 3) shrinks the weights towards predicting one class and must lose.
  for (const r of search.results.filter((r) => r.params.l2 === 3)) t.true(r.rank > 1 && r.mean.accuracy! < search.best.score);
  t.true(search.results.every((r) => r.folds.length === 5));
  // 6 candidates x 5 folds on 455-456 rows, then one refit on all 569 rows with the best params.
  t.is(fitRows.length, 31);
  t.deepEqual(fitRows.at(-1), { fold: 'refit', rows: 569 });
  t.true(fitRows.slice(0, 30).every((r) => r.fold !== 'refit' && r.rows < 569));
  const xAll = search.preprocessor!.transform(x);
  const refit = await search.model.net.evaluate(xAll, y);
  t.log(`refit on all 569 rows: ${JSON.stringify(refit)}`);
  t.true(refit.accuracy! > 0.95, JSON.stringify(refit));
  search.model.dispose();
});

test('randomSearch draws log-uniform learning rates reproducibly by seed and scores a holdout split', async (t) => {
  const space = { lr: { min: 1e-4, max: 1e-1, log: true }, units: [4, 8], depth: { min: 1, max: 3, integer: true } };
  const draws = sampleParameters(space, 2000, 11);
  t.deepEqual(sampleParameters(space, 2000, 11), draws);
  t.notDeepEqual(sampleParameters(space, 20, 12), draws.slice(0, 20));
  t.true(draws.every((d) => d.lr >= 1e-4 && d.lr < 1e-1 && (d.units === 4 || d.units === 8) && [1, 2, 3].includes(d.depth)));
  // Log-uniform: half the draws fall below the geometric midpoint 10^-2.5 (uniform would give ~3 %),
  // and each decade gets about a third.
  const below = draws.filter((d) => d.lr < 10 ** -2.5).length / draws.length;
  t.true(Math.abs(below - 0.5) < 0.05, `share below 10^-2.5: ${below}`);
  const decade = draws.filter((d) => d.lr < 1e-3).length / draws.length;
  t.true(Math.abs(decade - 1 / 3) < 0.05, `share below 1e-3: ${decade}`);
  t.deepEqual([1, 2, 3].map((v) => draws.some((d) => d.depth === v)), [true, true, true]);
  // All-array spaces are sampled without replacement, at most the grid's size.
  t.is(new Set(sampleParameters({ a: [1, 2, 3], b: [1, 2] }, 50, 0).map((p) => `${p.a},${p.b}`)).size, 6);
  t.throws(() => sampleParameters({ lr: { min: 0, max: 1, log: true } }, 3), { instanceOf: ValueError });

  const { x, y } = await breastCancer;
  const run = () =>
    randomSearch((p, context) => binaryClassifier({ lr: p.lr, units: p.units }, context), { lr: { min: 1e-4, max: 1e-1, log: true }, units: [4, 8] }, x, y, {
      nIter: 4,
      seed: 21,
      cv: 'holdout',
      validationSize: 0.25,
      stratify: true,
      fit: fitArgs,
      preprocess: () => new StandardScaler(),
    });
  const a = await run();
  const b = await run();
  t.log(`random search (holdout 25 %): ${a.results.map((r) => `lr=${r.params.lr.toExponential(2)} units=${r.params.units}: ${r.score.toFixed(4)}`).join('; ')}`);
  t.deepEqual(
    b.results.map((r) => [r.params, r.mean]),
    a.results.map((r) => [r.params, r.mean]),
  );
  t.true(a.results.every((r) => r.folds.length === 1 && r.folds[0]!.testSize === 142));
  t.is(a.best.score, Math.max(...a.results.map((r) => r.score)));
  a.model.dispose();
  b.model.dispose();
  // Scoring by loss ranks the lowest first; an unknown key is refused.
  const byLoss = await gridSearch((p, c) => binaryClassifier(p, c), { lr: [1e-4, 1e-2] }, x, y, { cv: 'holdout', scoring: 'loss', fit: fitArgs, preprocess: () => new StandardScaler() });
  t.is(byLoss.mode, 'min');
  t.is(byLoss.best.score, Math.min(...byLoss.results.map((r) => r.score)));
  byLoss.model.dispose();
  await t.throwsAsync(gridSearch((p, c) => binaryClassifier(p, c), { lr: [1e-2] }, x, y, { cv: 'holdout', scoring: 'f1', fit: fitArgs }), {
    instanceOf: ValueError,
    message: /scoring 'f1' is not among the scores/,
  });
});

// Evaluation metrics through the TypeScript API against scikit-learn 1.2 / NLTK fixtures
// (scripts/gen_sklearn_fixtures.py), the course notes' worked examples, reports, and the
// streaming metrics of fit.
import * as fs from 'node:fs';
import * as path from 'node:path';

import test from 'ava';

import {
  ValueError,
  accuracyScore,
  averagePrecisionScore,
  bleu,
  classificationReport,
  classificationScoresOf,
  cohenKappaScore,
  confusionMatrix,
  confusionMatrixText,
  f1Score,
  fbetaScore,
  layers,
  logLoss,
  manualSeed,
  matthewsCorrcoef,
  metrics,
  perplexity,
  precisionRecallCurve,
  precisionScore,
  r2Score,
  recallScore,
  regressionScores,
  rocAucScore,
  rocCurve,
  sequential,
  specificityScore,
  tensor,
} from '../ts';

interface Fixture {
  classification: Array<{
    name: string;
    y_true: number[];
    y_pred: number[];
    classes: number;
    confusion: number[];
    accuracy: number;
    mcc: number;
    kappa: number;
    scores: Record<string, [number, number, number]>;
    report: string;
    specificity?: number;
  }>;
  curves: Array<{ name: string; y_true: number[]; scores: number[]; roc: { fpr: number[]; tpr: number[]; thresholds: number[] }; roc_auc: number; pr: { precision: number[]; recall: number[]; thresholds: number[] }; average_precision: number }>;
  multiclass: Array<{ name: string; labels: number[]; probs: number[]; classes: number; log_loss: number; roc_auc_macro?: number; roc_auc_weighted?: number }>;
  regression: Array<{ name: string; y_true: number[]; y_pred: number[]; outputs: number; mse: number; rmse: number; mae: number; mape: number; r2: number }>;
  bleu: Array<{ name: string; candidates: string[]; references: string[][]; bleu4: number; bleu2: number }>;
}

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sklearn', 'metrics.json'), 'utf8')) as Fixture;
const near = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol + tol * Math.abs(b);
const rows = (flat: number[], width: number): number[][] => Array.from({ length: flat.length / width }, (_, i) => flat.slice(i * width, (i + 1) * width));

test('classification scores match scikit-learn, including the text report', (t) => {
  for (const c of fx.classification) {
    t.deepEqual(confusionMatrix(c.y_true, c.y_pred, { numClasses: c.classes }), rows(c.confusion, c.classes), c.name);
    t.true(near(accuracyScore(c.y_true, c.y_pred), c.accuracy), c.name);
    t.true(near(matthewsCorrcoef(c.y_true, c.y_pred), c.mcc), c.name);
    t.true(near(cohenKappaScore(c.y_true, c.y_pred), c.kappa), c.name);
    for (const [key, [p, r, f]] of Object.entries(c.scores)) {
      const [average, beta] = key.split('/') as ['binary' | 'micro' | 'macro' | 'weighted', string];
      const options = { average, numClasses: c.classes };
      t.true(near(precisionScore(c.y_true, c.y_pred, options), p), `${c.name} ${key} precision`);
      t.true(near(recallScore(c.y_true, c.y_pred, options), r), `${c.name} ${key} recall`);
      t.true(near(fbetaScore(c.y_true, c.y_pred, Number(beta), options), f), `${c.name} ${key} fbeta`);
    }
    if (c.specificity !== undefined) t.true(near(specificityScore(c.y_true, c.y_pred), c.specificity), c.name);
    t.is(classificationReport(c.y_true, c.y_pred), c.report, c.name);
  }
});

test("the course notes' cancer example: TPR 0.75, TNR 0.75, precision 6/7, F1 exactly 0.8", (t) => {
  const yTrue = [...Array(8).fill(1), ...Array(4).fill(0)] as number[];
  const yPred = [...Array(6).fill(1), 0, 0, 1, 0, 0, 0];
  t.deepEqual(confusionMatrix(yTrue, yPred), [[3, 1], [2, 6]]);
  t.is(recallScore(yTrue, yPred), 0.75);
  t.is(specificityScore(yTrue, yPred), 0.75);
  t.is(precisionScore(yTrue, yPred), 6 / 7);
  t.true(Math.abs(f1Score(yTrue, yPred) - 0.8) < 1e-15);
  // Predictions may also be [N, 2] probability rows (argmax) or tensors.
  const probs = tensor(yPred.map((p) => (p === 1 ? [0.2, 0.8] : [0.9, 0.1])));
  t.is(recallScore(tensor(yTrue), probs), 0.75);
  t.regex(confusionMatrixText([[3, 1], [2, 6]], { labels: ['healthy', 'cancer'] }), /true \\ pred\s+healthy\s+cancer\nhealthy\s+3\s+1\ncancer\s+2\s+6/);
  t.throws(() => f1Score([0, 1], [0]), { instanceOf: ValueError, message: /2 labels but yPred 1/ });
  t.throws(() => f1Score([0, 1.5], [0, 1]), { instanceOf: ValueError, message: /class labels/ });
});

test('ROC and PR curves, AUCs and log-loss match scikit-learn', (t) => {
  for (const c of fx.curves) {
    const roc = rocCurve(c.y_true, c.scores);
    t.true(roc.fpr.every((v, i) => near(v, c.roc.fpr[i]!)) && roc.fpr.length === c.roc.fpr.length, c.name);
    t.true(roc.tpr.every((v, i) => near(v, c.roc.tpr[i]!)), c.name);
    t.true(roc.thresholds.every((v, i) => near(v, c.roc.thresholds[i]!)), c.name);
    t.true(near(rocAucScore(c.y_true, c.scores), c.roc_auc), c.name);
    const pr = precisionRecallCurve(c.y_true, c.scores);
    t.deepEqual(pr.precision.length, c.pr.precision.length);
    t.true(pr.precision.every((v, i) => near(v, c.pr.precision[i]!)) && pr.recall.every((v, i) => near(v, c.pr.recall[i]!)), c.name);
    t.true(near(averagePrecisionScore(c.y_true, c.scores), c.average_precision), c.name);
  }
  for (const c of fx.multiclass) {
    const probs = rows(c.probs, c.classes);
    t.true(near(logLoss(c.labels, probs), c.log_loss), c.name);
    if (c.roc_auc_macro !== undefined) {
      t.true(near(rocAucScore(c.labels, probs), c.roc_auc_macro), c.name);
      t.true(near(rocAucScore(c.labels, probs, { average: 'weighted' }), c.roc_auc_weighted!), c.name);
    }
  }
  t.throws(() => rocCurve([1, 1, 1], [0.1, 0.2, 0.3]), { instanceOf: ValueError, message: /both positive and negative/ });
});

test('regression scores match scikit-learn', (t) => {
  for (const c of fx.regression) {
    const yt = c.outputs === 1 ? c.y_true : rows(c.y_true, c.outputs);
    const yp = c.outputs === 1 ? c.y_pred : rows(c.y_pred, c.outputs);
    const s = regressionScores(yt, yp);
    for (const k of ['mse', 'rmse', 'mae', 'mape', 'r2'] as const) t.true(near(s[k], c[k]), `${c.name} ${k}: ${s[k]} vs ${c[k]}`);
  }
  t.is(r2Score(tensor([1, 2, 3]), tensor([1, 2, 3])), 1);
});

test("BLEU matches NLTK's corpus_bleu and the notes' unigram and bigram examples", (t) => {
  for (const c of fx.bleu) {
    t.true(near(bleu(c.candidates, c.references).score, c.bleu4), c.name);
    t.true(near(bleu(c.candidates, c.references, { maxN: 2 }).score, c.bleu2), c.name);
  }
  const refs = ['the cat is on the mat', 'there is a cat on the mat'];
  t.deepEqual(bleu(['the the the the the the the'], [refs], { maxN: 1 }).precisions, [2 / 7]);
  t.deepEqual(bleu(['the the cat'], [refs], { maxN: 2 }).precisions, [1, 0.5]);
  t.is(bleu(['the the cat'], [refs], { maxN: 2 }).brevityPenalty, Math.exp(1 - 6 / 3));
  t.true(near(perplexity(Math.log(7)), 7, 1e-12));
});

test('precision, recall, F1, AUC and perplexity stream through fit and evaluate', async (t) => {
  manualSeed(8);
  const n = 400;
  const x = tensor(Array.from({ length: n }, (_, i) => [Math.sin(i * 1.1), Math.cos(i * 0.37)]));
  const y = tensor((x.toArray() as number[][]).map(([a, b]) => [a! + 0.5 * b! > 0.2 ? 1 : 0]));
  const model = sequential([layers.dense({ units: 16, activation: 'tanh' }), layers.dense({ units: 1 })], { inputShape: [2] });
  model.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: { type: 'binaryCrossentropy', fromLogits: true }, metrics: ['accuracy', 'precision', 'recall', 'f1', 'auc', 'prAuc'] });
  const h = await model.fit(x, y, { epochs: 30, batchSize: 32, verbose: 0 });
  t.true(h.history.auc!.at(-1)! > 0.97, JSON.stringify(h.epochs.at(-1)!.logs));
  const scores = await model.evaluate(x, y, { batchSize: 64 });
  const logits = await model.predict(x);
  // The streamed values equal the whole-set functions on the model's own predictions.
  const predicted = (logits.toArray() as number[][]).map(([v]) => (v! > 0 ? 1 : 0));
  const truth = (y.toArray() as number[][]).map(([v]) => v!);
  t.true(near(scores.precision!, precisionScore(truth, predicted)), 'precision');
  t.true(near(scores.recall!, recallScore(truth, predicted)), 'recall');
  t.true(near(scores.f1!, f1Score(truth, predicted)), 'f1');
  t.true(near(scores.auc!, rocAucScore(truth, logits), 1e-6), 'auc');
  t.true(near(scores.pr_auc!, averagePrecisionScore(truth, logits), 1e-6), 'pr auc');
  t.true(near(scores.accuracy!, accuracyScore(truth, predicted), 1e-6), 'accuracy');
  t.true(near(metrics.accuracy(y, logits.gt(0)), scores.accuracy!, 1e-6));
  t.true(classificationScoresOf(truth, predicted).accuracy > 0.95);
});

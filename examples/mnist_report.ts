/**
 * Evaluation report for an MNIST model: trains the MLP of `npm start` for a few epochs (with
 * precision, recall, F1 and AUC streamed by `fit`), then writes to `out/mnist-report/`:
 * `report.txt` (scikit-learn-style classification report and confusion matrix), `roc.svg` and
 * `pr.svg` (one-vs-rest curves of every digit with their areas), `confusion.svg` (a heatmap
 * normalised by true class) and `training.svg` (loss and metric curves).
 * Run with `npx tsx examples/mnist_report.ts [epochs]`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  classificationReport,
  confusionMatrix,
  confusionMatrixSvg,
  confusionMatrixText,
  layers,
  loadMnist,
  manualSeed,
  precisionRecallCurve,
  precisionRecallCurveSvg,
  rocAucScore,
  rocCurve,
  rocCurveSvg,
  saveSvg,
  sequential,
  trainingCurvesSvg,
} from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 4);
  const out = path.join(process.cwd(), 'out', 'mnist-report');
  fs.mkdirSync(out, { recursive: true });
  manualSeed(3);
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  const model = sequential([layers.dense({ units: 256, activation: 'relu' }), layers.dense({ units: 10 })], { inputShape: [784] });
  model.compile({
    optimizer: { type: 'adam', lr: 1e-3 },
    loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true },
    metrics: ['accuracy', 'precision', 'recall', 'f1', 'auc'],
  });
  const history = await model.fit(trainImages, trainLabels, { epochs, batchSize: 64, validationData: [testImages, testLabels] });

  const probs = (await model.predict(testImages, { batchSize: 1000 })).softmax(-1);
  const yTrue = Array.from(testLabels.dataSync());
  const digits = Array.from({ length: 10 }, (_, d) => String(d));
  const matrix = confusionMatrix(yTrue, probs);
  const report = `${classificationReport(yTrue, probs, { digits: 4 })}\n${confusionMatrixText(matrix, { labels: digits })}\nROC-AUC (one-vs-rest, macro): ${rocAucScore(yTrue, probs).toFixed(5)}\n`;
  fs.writeFileSync(path.join(out, 'report.txt'), report);
  console.log(report);

  const columns = probs.toArray() as number[][];
  const curves = digits.map((label, d) => {
    const truth = yTrue.map((y) => (y === d ? 1 : 0));
    const scores = columns.map((row) => row[d]!);
    return { label, roc: rocCurve(truth, scores), pr: precisionRecallCurve(truth, scores) };
  });
  saveSvg(path.join(out, 'roc.svg'), rocCurveSvg(curves.map((c) => ({ ...c.roc, label: `digit ${c.label}` })), { title: 'MNIST test set: ROC, one digit against the rest' }));
  saveSvg(path.join(out, 'pr.svg'), precisionRecallCurveSvg(curves.map((c) => ({ ...c.pr, label: `digit ${c.label}` })), { title: 'MNIST test set: precision-recall' }));
  saveSvg(path.join(out, 'confusion.svg'), confusionMatrixSvg(matrix, { labels: digits, normalize: 'true', title: 'Confusion matrix (rows: true digit)' }));
  saveSvg(path.join(out, 'training.svg'), trainingCurvesSvg(history));
  console.log(`wrote report.txt, roc.svg, pr.svg, confusion.svg, training.svg to ${out}`);
}

void main();

/**
 * A functional (graph) model on MNIST: a residual block and two outputs (the digit, and whether
 * it is >= 5), fed by a streaming `Dataset` (seeded shuffle, batches, prefetch), with a user
 * callback, then saved and reloaded. Run with `npx tsx examples/functional.ts`.
 */

import { Dataset, Tensor, input, layers, loadMnist, loadModel, manualSeed, model } from '../ts/index';

async function main(): Promise<void> {
  manualSeed(1);
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  const high = (labels: Tensor): Tensor => labels.ge(5); // 1 for digits 5..9

  const pixels = input({ shape: [784], name: 'pixels' });
  const stem = layers.dense({ units: 256, activation: 'relu', name: 'stem' }).apply(pixels);
  const block = layers.dense({ units: 256, activation: 'relu', name: 'block' }).apply(stem);
  const features = layers.add({ name: 'residual' }).apply([stem, block]);
  const digit = layers.dense({ units: 10, name: 'digit' }).apply(features);
  const isHigh = layers.dense({ units: 1, name: 'high' }).apply(features);
  const net = model({ inputs: pixels, outputs: [digit, isHigh] });
  console.log(net.summary());

  net.compile({
    optimizer: { type: 'adamw', lr: 1e-3, weightDecay: 1e-4, paramGroups: [{ params: ['*.bias'], weightDecay: 0 }] },
    loss: [{ type: 'sparseCategoricalCrossentropy', fromLogits: true }, { type: 'binaryCrossentropy', fromLogits: true }],
    lossWeights: [1, 0.5],
    metrics: ['accuracy'],
  });

  // Batches of [inputs, [digit targets, high targets]]: gathered by index per batch, then regrouped.
  const asBatch = ([x, d, h]: Tensor[]): [Tensor, Tensor[]] => [x!, [d!, h!]];
  const train = Dataset.fromTensors([trainImages, trainLabels, high(trainLabels).reshape([-1, 1])])
    .shuffle(60000, { seed: 2 })
    .batch(128)
    .map(asBatch)
    .prefetch(2);
  const test = Dataset.fromTensors([testImages, testLabels, high(testLabels).reshape([-1, 1])]).batch(1000).map(asBatch);
  let best = 0;
  await net.fit(train, {
    epochs: 4,
    validationData: test,
    callbacks: [{ onEpochEnd: (e) => (best = Math.max(best, e.logs.val_digit_accuracy ?? 0)) }],
  });
  console.log(`best test accuracy on digits: ${(100 * best).toFixed(2)}%`);

  await net.save('/tmp/ferrograd-functional.safetensors');
  const again = await loadModel<Tensor[]>('/tmp/ferrograd-functional.safetensors');
  const scores = await again.evaluate(test);
  console.log(`reloaded: digit accuracy ${(100 * scores.digit_accuracy!).toFixed(2)}%, high/low accuracy ${(100 * scores.high_accuracy!).toFixed(2)}%`);
}

void main();

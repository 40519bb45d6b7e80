/**
 * `npm start`: trains a two-layer perceptron on the MNIST copy bundled in `data/mnist/` with the
 * native `fit` loop (whole epochs run in Rust, off the JS thread), then prints the test accuracy.
 * The Iris example with an eager, hand-written training loop is `examples/iris_eager.ts`.
 */

import { getNumThreads, layers, loadMnist, sequential, simdLevel, version } from '../ts/index';

async function main(): Promise<void> {
  console.log(`ferrograd ${version} (${simdLevel()}, ${getNumThreads()} threads)`);
  const started = Date.now();
  const mnist = await loadMnist();
  console.log(`loaded MNIST: ${mnist.trainImages.shape[0]} training and ${mnist.testImages.shape[0]} test images`);

  const model = sequential(
    [layers.dense({ units: 256, activation: 'relu' }), layers.dense({ units: 10 })],
    { inputShape: [784] },
  );
  console.log(model.summary());
  model.compile({
    optimizer: { type: 'adam', lr: 1e-3 },
    loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true },
    metrics: ['accuracy'],
  });
  await model.fit(mnist.trainImages, mnist.trainLabels, { epochs: 12, batchSize: 64, seed: 7 });
  const test = await model.evaluate(mnist.testImages, mnist.testLabels, { batchSize: 1000 });
  console.log(
    `final test loss ${test.loss!.toFixed(4)}, test accuracy ${(100 * test.accuracy!).toFixed(2)}% ` +
      `(${((Date.now() - started) / 1000).toFixed(1)} s in all)`,
  );
}

void main();

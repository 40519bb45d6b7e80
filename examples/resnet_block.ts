/**
 * A small ResNet-style network on MNIST with the functional API: a stem convolution, two
 * residual blocks (3×3 conv → batch norm → relu → 3×3 conv → batch norm, added to the block's
 * input, the second one strided with a 1×1 projection on the skip path), global average pooling
 * and a dense classifier. Training batches are augmented on the fly (random shifts and small
 * rotations). Run with `npx tsx examples/resnet_block.ts [epochs]` (default 2).
 */

import { Dataset, SymbolicTensor, augmentation, input, layers as L, loadMnist, manualSeed, model } from '../ts/index';

function residualBlock(x: SymbolicTensor, filters: number, stride: number): SymbolicTensor {
  let h = L.conv2d({ filters, kernelSize: 3, strides: stride, padding: 'same', useBias: false }).apply(x);
  h = L.activation({ activation: 'relu' }).apply(L.batchNormalization().apply(h));
  h = L.batchNormalization().apply(L.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false }).apply(h));
  // The skip path needs a 1x1 projection when the shape changes.
  const skip = stride === 1 && x.shape[0] === filters ? x : L.conv2d({ filters, kernelSize: 1, strides: stride, useBias: false }).apply(x);
  return L.activation({ activation: 'relu' }).apply(L.add().apply([h, skip]));
}

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 2);
  manualSeed(1);
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  const images = input({ shape: [1, 28, 28], name: 'image' });
  let h = L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(images);
  h = residualBlock(h, 16, 1);
  h = residualBlock(h, 32, 2);
  const logits = L.dense({ units: 10, name: 'logits' }).apply(L.globalAveragePooling2d().apply(h));
  const net = model({ inputs: images, outputs: logits });
  console.log(net.summary());
  net.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });

  const train = Dataset.fromTensors(trainImages.reshape([-1, 1, 28, 28]), trainLabels)
    .shuffle(60000, { seed: 2 })
    .batch(64)
    .map(augmentation([{ type: 'randomTranslation', height: 0.1, width: 0.1 }, { type: 'randomRotation', degrees: 10 }], { seed: 3 }))
    .prefetch(2);
  await net.fit(train, { epochs });
  const scores = await net.evaluate(testImages.reshape([-1, 1, 28, 28]), testLabels, { batchSize: 500 });
  console.log(`test accuracy ${(100 * scores.accuracy!).toFixed(2)}%`);
}

void main();

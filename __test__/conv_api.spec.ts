// Convolutional models from TypeScript: NCHW layers, shape inference that matches the native
// forward, training on MNIST through fit, a residual block, a conv autoencoder, save/load.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import test from 'ava';

import { ValueError, input, layers, loadMnist, loadModel, manualSeed, model, randn, sequential } from '../ts';

const L = layers;

test('channels-last global average pooling is the mean over the steps', (t) => {
  const m = sequential([L.globalAveragePooling1d({ dataFormat: 'channelsLast' })], { inputShape: [3, 2] });
  const x = randn([2, 3, 2]);
  const got = Array.from(m.eval().forward(x).dataSync());
  const v = x.dataSync();
  const expected = [0, 1].flatMap((b) => [0, 1].map((c) => (v[b * 6 + c]! + v[b * 6 + 2 + c]! + v[b * 6 + 4 + c]!) / 3));
  got.forEach((g, i) => t.true(Math.abs(g - expected[i]!) < 1e-6, `${g} vs ${expected[i]}`));
  t.throws(() => L.globalMaxPooling1d({ dataFormat: 'nhwc' as 'channelsLast' }), { instanceOf: ValueError, message: /dataFormat must be/ });
});

test('inferred output shapes equal the native forward shapes', (t) => {
  const cases: Array<[string, Parameters<typeof sequential>[0], number[]]> = [
    ['same conv stride 2, even kernel', [L.conv2d({ filters: 4, kernelSize: 4, strides: 2, padding: 'same' })], [3, 9, 7]],
    ['valid conv with dilation', [L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2 })], [1, 10, 10]],
    ['explicit asymmetric padding, groups', [L.conv2d({ filters: 4, kernelSize: [3, 2], padding: [1, 0, 2, 1], groups: 2 })], [2, 6, 6]],
    ['depthwise', [L.conv2d({ filters: 3, kernelSize: 3, groups: 3, padding: 'same' })], [3, 5, 5]],
    ['transposed same stride 2', [L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' })], [4, 5, 6]],
    ['transposed valid', [L.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 2 })], [1, 3, 3]],
    ['max pool same on odd size', [L.maxPooling2d({ poolSize: 2, padding: 'same' })], [2, 7, 5]],
    ['avg pool stride 1 padding 1', [L.averagePooling2d({ poolSize: 3, strides: 1, padding: 1 })], [1, 6, 6]],
    ['conv1d same + maxpool1d', [L.conv1d({ filters: 5, kernelSize: 4, padding: 'same' }), L.maxPooling1d({ poolSize: 2 })], [3, 11]],
    ['upsampling + adaptive pool + global pool', [L.upSampling2d({ size: 2, interpolation: 'bilinear' }), L.adaptiveAveragePooling2d({ outputSize: [3, 2] }), L.globalMaxPooling2d()], [2, 4, 5]],
    ['channels-last global pooling of a sequence', [L.globalAveragePooling1d({ dataFormat: 'channelsLast' })], [7, 3]],
    ['batch norm 2d + spatial dropout + flatten', [L.batchNormalization(), L.spatialDropout2d({ rate: 0.3 }), L.flatten()], [3, 4, 4]],
  ];
  for (const [name, specs, shape] of cases) {
    const m = sequential(specs, { inputShape: shape });
    const last = m.summary().trim().split('\n').at(-2)!;
    const out = m.eval().forward(randn([2, ...shape]));
    t.true(last.includes(`[1, ${out.shape.slice(1).join(', ')}]`), `${name}: summary ${last} vs forward [${out.shape.join(', ')}]`);
    const inferred = (specs.reduce((s, spec, i) => spec.build(s, i).outputShape, shape) as number[]).join(',');
    t.is(inferred, out.shape.slice(1).join(','), name);
  }
  t.throws(() => sequential([L.conv2d({ filters: 2, kernelSize: 3 })], { inputShape: [784] }), { instanceOf: ValueError, message: /conv2d.*\[channels, height, width\]/ });
  t.throws(() => sequential([L.conv2d({ filters: 2, kernelSize: 9 })], { inputShape: [1, 5, 5] }), { instanceOf: ValueError, message: /does not fit/ });
  t.throws(() => L.conv2d({ filters: 0, kernelSize: 3 }), { instanceOf: ValueError });
});

test('a small CNN learns MNIST digits through fit, and save/load keeps it', async (t) => {
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  manualSeed(4);
  const cnn = sequential(
    [
      L.reshape({ targetShape: [1, 28, 28] }),
      L.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu' }),
      L.maxPooling2d(),
      L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.maxPooling2d(),
      L.flatten(),
      L.dense({ units: 10 }),
    ],
    { inputShape: [784] },
  );
  cnn.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  await cnn.fit(trainImages.narrow(0, 0, 3000), trainLabels.narrow(0, 0, 3000), { epochs: 3, batchSize: 32, verbose: 0, seed: 1 });
  const xs = testImages.narrow(0, 0, 1000);
  const ys = testLabels.narrow(0, 0, 1000);
  const scores = await cnn.evaluate(xs, ys, { batchSize: 250 });
  t.log(`small CNN, 3000 training images, 3 epochs: test accuracy ${scores.accuracy!.toFixed(3)} on 1000 images`);
  t.true(scores.accuracy! > 0.9, JSON.stringify(scores));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-cnn-'));
  await cnn.save(path.join(dir, 'cnn.safetensors'));
  const again = await loadModel(path.join(dir, 'cnn.safetensors'));
  t.deepEqual(Array.from((await again.predict(xs.narrow(0, 0, 8))).dataSync()), Array.from((await cnn.predict(xs.narrow(0, 0, 8))).dataSync()));
  t.true(again.namedParameters().some(([n, p]) => n === '1.weight' && p.shape.join(',') === '8,1,5,5'), 'PyTorch weight layout [out, in, kh, kw]');
  fs.rmSync(dir, { recursive: true });
});

test('a residual conv block and a convolutional autoencoder build and train', async (t) => {
  // ResNet-style block: two 3x3 convs with batch norm, added to the input, through the functional API.
  const x = input({ shape: [1, 28, 28] });
  const stem = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  let h = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(stem);
  h = L.batchNormalization().apply(h);
  h = L.activation({ activation: 'relu' }).apply(h);
  h = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(h);
  h = L.batchNormalization().apply(h);
  const block = L.activation({ activation: 'relu' }).apply(L.add().apply([stem, h]));
  const out = L.dense({ units: 10 }).apply(L.globalAveragePooling2d().apply(block));
  const resnet = model({ inputs: x, outputs: out });
  // Inception-style branches concatenate along the channel axis (axis 1 of NCHW).
  const branches = L.concatenate({ axis: 1 }).apply([
    L.conv2d({ filters: 4, kernelSize: 1 }).apply(x),
    L.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }).apply(x),
    L.maxPooling2d({ poolSize: 3, strides: 1, padding: 1 }).apply(x),
  ]);
  t.deepEqual(branches.shape, [11, 28, 28]);
  const inception = model({ inputs: x, outputs: L.globalAveragePooling2d().apply(branches) });
  t.deepEqual(inception.forward(randn([2, 1, 28, 28])).shape, [2, 11]);
  t.regex(resnet.summary(), /add \(add\)\s+\[1, 8, 28, 28\]\s+0\s+stem, batchNormalization_1/);

  const { trainImages } = await loadMnist();
  const images = trainImages.narrow(0, 0, 512).reshape([512, 1, 28, 28]);
  resnet.compile({ optimizer: 'adam', loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  const y = images.sum([1, 2, 3]).gt(100); // a learnable 0/1 label (ink above a threshold)
  const hist = await resnet.fit(images, y, { epochs: 2, batchSize: 64, verbose: 0 });
  t.true(Number.isFinite(hist.history.loss!.at(-1)!));

  // Convolutional autoencoder: strided conv encoder, transposed-conv decoder back to 28x28.
  manualSeed(5);
  const ae = sequential(
    [
      L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.conv2dTranspose({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
    ],
    { inputShape: [1, 28, 28] },
  );
  t.deepEqual(ae.forward(images.narrow(0, 0, 2)).shape, [2, 1, 28, 28]);
  ae.compile({ optimizer: { type: 'adam', lr: 5e-3 }, loss: 'binaryCrossentropy', metrics: ['mse'] });
  const before = (await ae.evaluate(images, images, { batchSize: 128 })).mse!;
  await ae.fit(images, images, { epochs: 5, batchSize: 32, verbose: 0 });
  const after = (await ae.evaluate(images, images, { batchSize: 128 })).mse!;
  t.log(`conv autoencoder reconstruction MSE ${before.toFixed(4)} -> ${after.toFixed(4)}`);
  t.true(after < 0.5 * before, `${before} -> ${after}`);
});

/**
 * Adversarial examples on MNIST: a CNN (or, with `--mlp`, a one-hidden-layer MLP, faster) is
 * trained on the 60 000 training images, attacked with FGSM and 20-step PGD (L∞ budget 0.1 on
 * pixels in [0, 1]) over the full test set, then trained for 2 epochs on every batch plus its
 * FGSM copies and attacked again.
 * Run with `npx tsx examples/adversarial.ts [--mlp]`.
 */

import { Attack, Dataset, adversarialAccuracy, adversarialBatches, fgsm, layers, loadMnist, manualSeed, pgd, sequential } from '../ts';

const loss = { type: 'sparseCategoricalCrossentropy', fromLogits: true } as const;
const epsilon = 0.1;
const clean: Attack = (_model, x) => x;
const fgsmAttack: Attack = (m, x, y) => fgsm(m, x, y, { epsilon, loss, clipMin: 0, clipMax: 1 });
const pgdAttack: Attack = (m, x, y) => pgd(m, x, y, { epsilon, stepSize: 0.01, steps: 20, randomStart: true, seed: 1, loss, clipMin: 0, clipMax: 1 });

async function main(): Promise<void> {
  manualSeed(0);
  const { trainImages, trainLabels, testImages, testLabels } = await loadMnist();
  const net = process.argv.includes('--mlp')
    ? sequential([layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 10 })], { inputShape: [784] })
    : sequential(
        [
          layers.reshape({ targetShape: [1, 28, 28] }),
          layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
          layers.maxPooling2d(),
          layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
          layers.maxPooling2d(),
          layers.flatten(),
          layers.dense({ units: 10 }),
        ],
        { inputShape: [784] },
      );
  net.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss, metrics: ['accuracy'] });

  const report = async (label: string): Promise<void> => {
    const started = performance.now();
    const accs = [];
    for (const attack of [clean, fgsmAttack, pgdAttack]) accs.push(await adversarialAccuracy(net, testImages, testLabels, attack, { batchSize: 500 }));
    const [c, f, p] = accs.map((a) => (100 * a).toFixed(2).padStart(6));
    console.log(`${label.padEnd(28)} clean ${c}%   FGSM ${f}%   PGD-20 ${p}%   (${((performance.now() - started) / 1000).toFixed(1)} s, ${testImages.shape[0]} test images)`);
  };

  console.log(`Standard training (3 epochs on ${trainImages.shape[0]} images)...`);
  await net.fit(trainImages, trainLabels, { epochs: 3, batchSize: 64, seed: 1, verbose: 0 });
  await report('after standard training:');

  console.log('Adversarial training (2 epochs, every batch plus its FGSM copies)...');
  const mixed = Dataset.fromTensors(trainImages, trainLabels)
    .shuffle(trainImages.shape[0]!, { seed: 2 })
    .batch(64)
    .map((batch) => adversarialBatches(net, batch, { attack: fgsmAttack }));
  await net.fit(mixed, { epochs: 2, verbose: 0 });
  await report('after adversarial training:');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

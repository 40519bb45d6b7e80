// GanTrainer: every loss family trains a 1-D generator toward the data distribution (N(3, 0.5²))
// without the discriminator collapsing; WGAN-GP exercises double backward through the critic.
import test from 'ava';

import { GanLoss, GanTrainer, ValueError, imageGridSvg, layers, manualSeed, randn, sequential } from '../ts';

function nets(seed: number): { generator: ReturnType<typeof sequential>; discriminator: ReturnType<typeof sequential> } {
  manualSeed(seed);
  return {
    generator: sequential([layers.dense({ units: 16, activation: 'relu' }), layers.dense({ units: 1 })], { inputShape: [4] }),
    discriminator: sequential([layers.dense({ units: 16, activation: 'leakyRelu' }), layers.dense({ units: 1 })], { inputShape: [1] }),
  };
}

const stats = (t: ReturnType<typeof randn>): [number, number] => [t.mean().item(), t.std().item()];

for (const [loss, steps, extra] of [
  ['nonSaturating', 400, {}],
  ['leastSquares', 400, {}],
  ['minimax', 400, {}],
  ['wasserstein', 300, { discriminatorSteps: 3, clipValue: 0.1, generatorOptimizer: { type: 'rmsprop', lr: 5e-3 }, discriminatorOptimizer: { type: 'rmsprop', lr: 5e-3 } }],
  ['wassersteinGp', 300, { discriminatorSteps: 3, generatorOptimizer: { type: 'adam', lr: 2e-3, beta1: 0.5, beta2: 0.9 }, discriminatorOptimizer: { type: 'adam', lr: 2e-3, beta1: 0.5, beta2: 0.9 } }],
] as const) {
  test(`${loss}: generated samples move toward the data statistics`, (t) => {
    const gan = new GanTrainer({ ...nets(1), latentDim: 4, loss: loss as GanLoss, seed: 2, generatorOptimizer: { type: 'adam', lr: 5e-3, beta1: 0.5 }, discriminatorOptimizer: { type: 'adam', lr: 5e-3, beta1: 0.5 }, ...extra });
    const [m0] = stats(gan.sample(512, 99));
    let last = { discriminatorLoss: 0, generatorLoss: 0 };
    for (let i = 0; i < steps; i++) last = gan.step(randn([64, 1], 3, 0.5, { seed: 1000 + i }));
    const [m1, s1] = stats(gan.sample(512, 99));
    t.log(`${loss}: sample mean ${m0.toFixed(2)} -> ${m1.toFixed(2)} (data 3), std ${s1.toFixed(2)} (data 0.5); D loss ${last.discriminatorLoss.toFixed(3)}, G loss ${last.generatorLoss.toFixed(3)}`);
    t.true(Math.abs(m1 - 3) < 0.6 * Math.abs(m0 - 3), `mean ${m0} -> ${m1}`);
    t.true(s1 > 0.05, 'the generator did not collapse to a point');
    t.true(Number.isFinite(last.discriminatorLoss) && Number.isFinite(last.generatorLoss));
    if (loss === 'minimax' || loss === 'nonSaturating' || loss === 'leastSquares') {
      // A collapsed game has a discriminator that wins outright (loss near 0).
      t.true(last.discriminatorLoss > 0.1, `discriminator loss ${last.discriminatorLoss}`);
    }
  });
}

test('the same seed gives the same run; bad options are typed errors; samples render as a grid', (t) => {
  const run = (): number[] => {
    const gan = new GanTrainer({ ...nets(5), latentDim: 4, seed: 7 });
    for (let i = 0; i < 20; i++) gan.step(randn([32, 1], 3, 0.5, { seed: i }));
    return Array.from(gan.sample(8, 1).dataSync());
  };
  t.deepEqual(run(), run());
  t.throws(() => new GanTrainer({ ...nets(1), latentDim: 4, loss: 'hinge' as never }), { instanceOf: ValueError, message: /unknown loss 'hinge'/ });
  t.throws(() => new GanTrainer({ ...nets(1), latentDim: 0 }), { instanceOf: ValueError });
  const svg = imageGridSvg(randn([6, 16], 0.5, 0.2, { seed: 3 }), { columns: 3 });
  t.is((svg.match(/<rect /g) ?? []).length, 6 * 16 + 1);
});

// The perceptron update rule separates a linearly separable set (Iris setosa vs versicolor).
import test from 'ava';

import { tensor } from '../ts/index';
import { loadIris } from '../examples/iris';
import { predictPerceptron, trainPerceptron } from '../examples/perceptron';

test('the perceptron rule converges on setosa vs versicolor and classifies every flower', (t) => {
  const { features, labels } = loadIris();
  const rows = labels.map((l, i) => [l, i] as const).filter(([l]) => l < 2).map(([, i]) => i);
  const x = tensor(rows.map((i) => [features[i]![0]!, features[i]![2]!]));
  const y = tensor(rows.map((i) => labels[i]!));
  const { weights, mistakesPerEpoch } = trainPerceptron(x, y, { epochs: 100, lr: 0.1 });
  t.is(mistakesPerEpoch.at(-1), 0, `mistakes per epoch: ${mistakesPerEpoch.join(', ')}`);
  t.true(mistakesPerEpoch[0]! > 0);
  t.is(predictPerceptron(weights, x).reshape([-1]).eq(y).mean().item(), 1);
});

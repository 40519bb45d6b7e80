/**
 * The classic perceptron (Rosenblatt) with its update rule `w += lr · (y - f(x)) · x`, written
 * with ferrograd tensors: `npx tsx examples/perceptron.ts` separates Iris setosa from versicolor.
 * No gradients are involved: the rule updates on mistakes only.
 */

import { Tensor, noGrad, tensor, zeros } from '../ts/index';
import { loadIris } from './iris';

/** A trained perceptron: weights (bias last) and the number of mistakes per epoch. */
export interface Perceptron {
  weights: Tensor;
  mistakesPerEpoch: number[];
}

/** Step activation `f(x) = 1 if w·[x, 1] > 0 else 0`. */
export function predictPerceptron(weights: Tensor, x: Tensor): Tensor {
  const withBias = x.pad([[0, 0], [0, 1]], 1); // append a constant-1 input for the bias
  return withBias.matmul(weights).gt(0);
}

/** Trains with the perceptron rule, one sample at a time, until an epoch has no mistakes. */
export function trainPerceptron(x: Tensor, y: Tensor, options: { epochs?: number; lr?: number } = {}): Perceptron {
  const { epochs = 100, lr = 0.1 } = options;
  const [n, d] = x.shape as [number, number];
  let weights = zeros([d + 1]);
  const mistakesPerEpoch: number[] = [];
  noGrad(() => {
    for (let epoch = 0; epoch < epochs; epoch++) {
      let mistakes = 0;
      for (let i = 0; i < n; i++) {
        const xi = x.narrow(0, i, 1).pad([[0, 0], [0, 1]], 1).reshape([d + 1]);
        const target = y.narrow(0, i, 1).item();
        const output = xi.mul(weights).sum().item() > 0 ? 1 : 0;
        if (output !== target) {
          weights = weights.add(xi.mul(lr * (target - output))); // w += lr (y - f(x)) x
          mistakes++;
        }
      }
      mistakesPerEpoch.push(mistakes);
      if (mistakes === 0) break;
    }
  });
  return { weights, mistakesPerEpoch };
}

if (require.main === module) {
  const { features, labels } = loadIris();
  const rows = labels.map((l, i) => [l, i] as const).filter(([l]) => l < 2).map(([, i]) => i);
  const x = tensor(rows.map((i) => [features[i]![0]!, features[i]![2]!])); // sepal length, petal length
  const y = tensor(rows.map((i) => labels[i]!));
  const { weights, mistakesPerEpoch } = trainPerceptron(x, y);
  const accuracy = predictPerceptron(weights, x).reshape([-1]).eq(y).mean().item();
  console.log(`converged after ${mistakesPerEpoch.length} epochs (mistakes per epoch: ${mistakesPerEpoch.join(', ')})`);
  console.log(`weights ${weights.toString()}, training accuracy ${accuracy}`);
}

/**
 * `npx tsx examples/iris_eager.ts`: trains a small multilayer perceptron on the UCI Iris data with ferrograd's tensors
 * and autograd, printing progress and the final loss and accuracy.
 *
 * The training loop is written with eager ops (forward, backward, SGD update) so every step of the
 * algorithm is visible; the built-in `fit` of the model API runs the same loop natively.
 */

import { loadIris } from './iris';
import { Tensor, manualSeed, noGrad, randn, simdLevel, getNumThreads, tensor, version, zeros } from '../ts/index';

manualSeed(0);
const { features, labels } = loadIris();

// Standardise each feature (mean 0, std 1), then split 120 train / 30 test with a fixed shuffle.
const x = tensor(features);
const standardized = x.sub(x.mean(0)).div(x.std(0));
const order = shuffled(labels.length);
const trainIdx = order.slice(0, 120);
const testIdx = order.slice(120);
const xTrain = standardized.indexSelect(0, trainIdx);
const xTest = standardized.indexSelect(0, testIdx);
const yTrain = tensor(trainIdx.map((i) => labels[i]!));
const yTest = tensor(testIdx.map((i) => labels[i]!));
const yTrainOneHot = yTrain.oneHot(3);

// 4 -> 16 -> 3 MLP, He-initialised.
const w1 = randn([4, 16], 0, Math.sqrt(2 / 4)).requiresGrad_();
const b1 = zeros([16]).requiresGrad_();
const w2 = randn([16, 3], 0, Math.sqrt(2 / 16)).requiresGrad_();
const b2 = zeros([3]).requiresGrad_();
const params = [w1, b1, w2, b2];

const forward = (input: Tensor): Tensor => input.matmul(w1).add(b1).relu().matmul(w2).add(b2);
const crossEntropy = (logits: Tensor, oneHot: Tensor): Tensor => oneHot.mul(logits.logSoftmax(-1)).sum(-1).mean().neg();
const accuracy = (input: Tensor, target: Tensor): number =>
  noGrad(() => forward(input).argmax(-1).eq(target).mean().item());

console.log(`ferrograd ${version} (${simdLevel()}, ${getNumThreads()} threads): Iris MLP 4-16-3, SGD lr 0.1, full batch`);
const learningRate = 0.1;
let loss = Infinity;
for (let epoch = 1; epoch <= 300; epoch++) {
  const lossTensor = crossEntropy(forward(xTrain), yTrainOneHot);
  lossTensor.backward();
  loss = lossTensor.item();
  noGrad(() => {
    for (const p of params) {
      p.assign(p.sub(p.grad!.mul(learningRate)));
      p.zeroGrad();
    }
  });
  if (epoch === 1 || epoch % 50 === 0) {
    console.log(`epoch ${String(epoch).padStart(3)}  loss ${loss.toFixed(4)}  train acc ${accuracy(xTrain, yTrain).toFixed(3)}`);
  }
}
console.log(`final loss ${loss.toFixed(4)}, test accuracy ${accuracy(xTest, yTest).toFixed(3)} on ${testIdx.length} held-out flowers`);

/** A seeded permutation of 0..n-1 (argsort of seeded normal draws). */
function shuffled(n: number): number[] {
  const keys = randn([n], 0, 1, { seed: 42 }).dataSync();
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
}

/** The README's example, runnable: `npx tsx examples/quickstart.ts`. */

import { grad, noGrad, randn, tensor, zeros } from '../ts/index';

async function main(): Promise<void> {
  const x = randn([64, 3], 0, 1, { seed: 1 }); // inputs
  const y = x.matmul(tensor([[2], [-1], [0.5]])).add(0.3); // targets of a linear model

  const w = zeros([3, 1], { requiresGrad: true });
  const b = zeros([1], { requiresGrad: true });
  for (let step = 0; step < 200; step++) {
    const loss = x.matmul(w).add(b).sub(y).square().mean();
    loss.backward();
    noGrad(() => {
      for (const p of [w, b]) {
        p.assign(p.sub(p.grad!.mul(0.1)));
        p.zeroGrad();
      }
    });
  }
  console.log(w.toString()); // ≈ tensor([[ 2.0000], [-1.0000], [ 0.5000]], requires_grad=True)

  // Gradients with respect to inputs, and gradients of gradients:
  const [dx] = grad(x.matmul(w).sum(), [x.requiresGrad_()], { createGraph: true });
  console.log('d/dx has shape', dx!.shape);
  const big = randn([2048, 2048]);
  const product = await big.matmulAsync(big); // computed off the JS thread
  console.log('async product', product.shape);
}

void main();

// Runs inside a worker_threads Worker: loads the addon in the worker's own Node-API environment
// and does real tensor work (sync ops, autograd, an async matmul), reporting the results.
import { parentPort, workerData } from 'node:worker_threads';

import { arange, full, tensor } from '../../ts/index';

async function main(): Promise<void> {
  const id = (workerData as { id: number }).id;
  let checksum = 0;
  for (let i = 0; i < 50; i++) {
    const a = full([64, 64], id);
    const b = arange(64 * 64).reshape([64, 64]).div(4096);
    checksum = a.matmul(b).sum().item();
  }
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  x.mul(id).square().sum().backward();
  const big = full([256, 256], id);
  const product = await big.matmulAsync(big);
  parentPort!.postMessage({
    id,
    checksum,
    grad: Array.from(x.grad!.dataSync()),
    product: product.narrow(0, 0, 1).narrow(1, 0, 1).item(),
  });
}

main().catch((err: unknown) => {
  throw err;
});

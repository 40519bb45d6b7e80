/**
 * Principal component analysis by power iteration with deflation on the covariance matrix
 * (native matmuls; `d × d` covariance, so for `d` up to a few thousand features). Used to check
 * the course notes' claim that a linear autoencoder spans the top principal subspace.
 */

import { randn } from './creation';
import { concat } from './ops';
import { ValueError } from './errors';
import { Tensor } from './tensor';

/** The result of {@link pca}. */
export interface Pca {
  /** `[k, d]`: unit principal directions, by decreasing variance. */
  components: Tensor;
  /** Variance along each component. */
  explainedVariance: number[];
  /** `[d]`: the feature means subtracted before the analysis. */
  mean: Tensor;
}

/** The top `components` principal directions of `x` (`[n, d]`). */
export function pca(x: Tensor, options: { components: number; iterations?: number; seed?: number }): Pca {
  const [n, d] = x.shape;
  const k = options.components;
  if (x.rank !== 2 || n === undefined || d === undefined || n < 2) throw new ValueError(`pca: expects [n >= 2, d] data, got [${x.shape.join(', ')}]`);
  if (!Number.isInteger(k) || k < 1 || k > d) throw new ValueError(`pca: components must be an integer in [1, ${d}], got ${k}`);
  const mean = x.mean(0);
  const centered = x.sub(mean);
  let cov = centered.transpose(0, 1).matmul(centered).div(n - 1);
  const comps: Tensor[] = [];
  const variance: number[] = [];
  for (let c = 0; c < k; c++) {
    let v = randn([d, 1], 0, 1, { seed: (options.seed ?? 0) + c });
    v = v.div(v.square().sum().sqrt());
    for (let it = 0; it < (options.iterations ?? 200); it++) {
      const w = cov.matmul(v);
      v = w.div(w.square().sum().sqrt().add(1e-30));
    }
    const lambda = v.transpose(0, 1).matmul(cov).matmul(v).item();
    comps.push(v.reshape([1, d]));
    variance.push(lambda);
    // Deflate: remove the found direction's variance.
    cov = cov.sub(v.matmul(v.transpose(0, 1)).mul(lambda));
  }
  return { components: concat(comps, 0), explainedVariance: variance, mean };
}

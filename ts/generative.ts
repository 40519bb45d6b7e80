/**
 * Building blocks of variational autoencoders (course notes: reparameterisation, KL term, ELBO):
 * differentiable, so they go into custom training loops (`optimizer()`, `loss.backward()`) or
 * custom `Module`s.
 *
 * ```ts
 * const [mean, logVar] = split(encoder.forward(x));            // [N, 2·latent] -> 2 × [N, latent]
 * const z = reparameterize(mean, logVar);
 * const loss = vaeLoss(decoder.forward(z), x, mean, logVar, { beta: 1 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 * ```
 */

import { grad } from './autograd';
import { randn } from './creation';
import { ValueError } from './errors';
import { loss as builtinLoss } from './optimizers';
import { Tensor } from './tensor';

/**
 * `z = mean + exp(logVar / 2) · ε` with `ε ~ N(0, I)`: a sample of `N(mean, diag(exp(logVar)))`
 * through which gradients reach `mean` and `logVar` (the reparameterisation trick).
 */
export function reparameterize(mean: Tensor, logVar: Tensor, options: { seed?: number } = {}): Tensor {
  if (mean.shape.join(',') !== logVar.shape.join(',')) {
    throw new ValueError(`reparameterize: mean [${mean.shape.join(', ')}] and logVar [${logVar.shape.join(', ')}] must have the same shape`);
  }
  const eps = randn(mean.shape, 0, 1, { seed: options.seed });
  return mean.add(logVar.mul(0.5).exp().mul(eps));
}

/**
 * `KL(N(mean, exp(logVar)) ‖ N(0, I))` per sample, `-½ Σ_j (1 + logVar_j - mean_j² - exp(logVar_j))`,
 * averaged over the batch (`'mean'`, default), summed (`'sum'`), or per sample (`'none'`).
 */
export function gaussianKl(mean: Tensor, logVar: Tensor, options: { reduction?: 'mean' | 'sum' | 'none' } = {}): Tensor {
  if (mean.rank !== 2 || mean.shape.join(',') !== logVar.shape.join(',')) {
    throw new ValueError(`gaussianKl: expects [N, latent] mean and logVar of one shape, got [${mean.shape.join(', ')}] and [${logVar.shape.join(', ')}]`);
  }
  const perSample = logVar.add(1).sub(mean.square()).sub(logVar.exp()).sum(1).mul(-0.5);
  const reduction = options.reduction ?? 'mean';
  return reduction === 'none' ? perSample : reduction === 'sum' ? perSample.sum() : perSample.mean();
}

/** Options of {@link vaeLoss}. */
export interface VaeLossOptions {
  /** Weight of the KL term (β-VAE; default 1). */
  beta?: number;
  /** `'bce'` (Bernoulli decoder, default: pixels in [0, 1]) or `'mse'` (Gaussian decoder). */
  reconstruction?: 'bce' | 'mse';
}

/**
 * The negative ELBO per sample, averaged over the batch: the reconstruction term summed over
 * each sample's elements (binary cross-entropy on probabilities, or squared error) plus
 * `beta ·` {@link gaussianKl}.
 */
export function vaeLoss(reconstruction: Tensor, target: Tensor, mean: Tensor, logVar: Tensor, options: VaeLossOptions = {}): Tensor {
  const n = target.shape[0] ?? 1;
  const elements = target.size / Math.max(n, 1);
  const kind = options.reconstruction ?? 'bce';
  const spec = kind === 'bce' ? ('binaryCrossentropy' as const) : ('mse' as const);
  // The built-in losses average over elements; times the elements per sample gives the per-sample sum.
  const recon = builtinLoss(spec, reconstruction, target).mul(elements);
  return recon.add(gaussianKl(mean, logVar).mul(options.beta ?? 1));
}

/**
 * Contractive-autoencoder penalty `‖∂h/∂x‖²_F` (Rifai et al. 2011), averaged over the batch and
 * estimated without forming the Jacobian: for `v ~ N(0, I)`, `E‖Jᵀv‖² = ‖J‖²_F`, and `Jᵀv` is
 * one backward pass of `h·v` taken with `createGraph`, so the estimate is itself differentiable
 * (double backward) and can be added to a training loss. `x` must require grad and `code` must
 * be computed from it; more `samples` lower the variance.
 */
export function contractivePenalty(code: Tensor, x: Tensor, options: { samples?: number; seed?: number } = {}): Tensor {
  if (!x.requiresGrad) throw new ValueError('contractivePenalty: x must require grad (x.requiresGrad = true before computing the code)');
  const n = x.shape[0] ?? 1;
  const samples = options.samples ?? 1;
  let total: Tensor | undefined;
  for (let s = 0; s < samples; s++) {
    const v = randn(code.shape, 0, 1, { seed: options.seed === undefined ? undefined : options.seed + s });
    const [jtv] = grad(code.mul(v).sum(), [x], { createGraph: true });
    const term = jtv!.square().sum();
    total = total === undefined ? term : total.add(term);
  }
  return total!.div(samples * n);
}

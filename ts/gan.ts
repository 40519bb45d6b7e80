/**
 * Training generative adversarial networks: two models, two optimizers, alternating steps with
 * a configurable discriminator/generator ratio, and the loss families of the course notes —
 * minimax, non-saturating, least-squares (LSGAN), Wasserstein with weight clipping (WGAN) and
 * with a gradient penalty (WGAN-GP, which differentiates the critic's input gradient: double
 * backward through the critic's layers). The discriminator outputs one logit (or critic score)
 * per sample. Steps run eagerly on the calling thread, like any custom loop; move long runs
 * into a `worker_threads` worker.
 */

import { grad, noGrad } from './autograd';
import { rand, randn } from './creation';
import { ValueError } from './errors';
import type { Model, Tensors } from './model';
import type { Module } from './module';
import { Optimizer, loss as builtinLoss, optimizer as makeOptimizer } from './optimizers';
import type { OptimizerSpec } from './model';
import { Tensor } from './tensor';

/** The GAN objectives. */
export type GanLoss = 'minimax' | 'nonSaturating' | 'leastSquares' | 'wasserstein' | 'wassersteinGp';

/** Anything with an eager forward and parameters: a native `Model` or a custom `Module`. */
export type GanNetwork = Pick<Model<Tensor>, 'forward' | 'parameters'> | Module;

/** Options of {@link GanTrainer}. */
export interface GanOptions {
  /** Maps `[N, latentDim]` noise to samples. */
  generator: GanNetwork;
  /** Maps samples to `[N, 1]` logits (or critic scores for the Wasserstein losses). */
  discriminator: GanNetwork;
  /** Size of the generator's noise input. */
  latentDim: number;
  /** Objective (default `'nonSaturating'`). */
  loss?: GanLoss;
  /** Generator optimizer (default Adam lr 2e-4, beta1 0.5, as DCGAN). */
  generatorOptimizer?: OptimizerSpec;
  /** Discriminator optimizer (default the same). */
  discriminatorOptimizer?: OptimizerSpec;
  /** Discriminator steps per generator step (default 1; WGAN uses 5). */
  discriminatorSteps?: number;
  /** `'wasserstein'`: clip the critic's weights to `[-c, c]` after each step (default 0.01). */
  clipValue?: number;
  /** `'wassersteinGp'`: weight λ of the gradient penalty (default 10). */
  gradientPenalty?: number;
  /** Seed of the noise and interpolation draws (default 0): the same seed gives the same run. */
  seed?: number;
}

/** Losses of one {@link GanTrainer.step}. */
export interface GanStepLogs {
  /** Discriminator (critic) loss of the last discriminator step. */
  discriminatorLoss: number;
  /** Generator loss. */
  generatorLoss: number;
}

const forwardOf = (net: GanNetwork, x: Tensor): Tensor => (net as { forward(x: Tensor): Tensor }).forward(x);

/** Alternating GAN training with one of the {@link GanLoss} objectives. */
export class GanTrainer {
  private readonly options: Required<Omit<GanOptions, 'generatorOptimizer' | 'discriminatorOptimizer'>>;
  /** The generator's optimizer. */
  readonly generatorOptimizer: Optimizer;
  /** The discriminator's optimizer. */
  readonly discriminatorOptimizer: Optimizer;
  private draws = 0;

  constructor(options: GanOptions) {
    const dcgan: OptimizerSpec = { type: 'adam', lr: 2e-4, beta1: 0.5 };
    const loss = options.loss ?? 'nonSaturating';
    const losses: GanLoss[] = ['minimax', 'nonSaturating', 'leastSquares', 'wasserstein', 'wassersteinGp'];
    if (!losses.includes(loss)) throw new ValueError(`GanTrainer: unknown loss '${String(loss)}' (accepted: ${losses.join(', ')})`);
    if (!Number.isInteger(options.latentDim) || options.latentDim <= 0) throw new ValueError(`GanTrainer: latentDim must be a positive integer, got ${options.latentDim}`);
    this.options = {
      generator: options.generator,
      discriminator: options.discriminator,
      latentDim: options.latentDim,
      loss,
      discriminatorSteps: options.discriminatorSteps ?? 1,
      clipValue: options.clipValue ?? 0.01,
      gradientPenalty: options.gradientPenalty ?? 10,
      seed: options.seed ?? 0,
    };
    if (!Number.isInteger(this.options.discriminatorSteps) || this.options.discriminatorSteps < 1) throw new ValueError('GanTrainer: discriminatorSteps must be a positive integer');
    this.generatorOptimizer = makeOptimizer(options.generator.parameters(), options.generatorOptimizer ?? dcgan);
    this.discriminatorOptimizer = makeOptimizer(options.discriminator.parameters(), options.discriminatorOptimizer ?? dcgan);
  }

  /** `n` generator samples from seeded noise (no gradient). */
  sample(n: number, seed?: number): Tensor {
    return noGrad(() => forwardOf(this.options.generator, randn([n, this.options.latentDim], 0, 1, { seed: seed ?? this.nextSeed() })));
  }

  private nextSeed(): number {
    return this.options.seed * 1_000_003 + this.draws++;
  }

  private discriminatorLoss(real: Tensor, fake: Tensor): Tensor {
    const D = (x: Tensor): Tensor => forwardOf(this.options.discriminator, x);
    const dReal = D(real);
    const dFake = D(fake);
    const ones = (t: Tensor): Tensor => t.mul(0).add(1);
    const zeros = (t: Tensor): Tensor => t.mul(0);
    switch (this.options.loss) {
      case 'minimax':
      case 'nonSaturating':
        return builtinLoss({ type: 'binaryCrossentropy', fromLogits: true }, dReal, ones(dReal)).add(builtinLoss({ type: 'binaryCrossentropy', fromLogits: true }, dFake, zeros(dFake)));
      case 'leastSquares':
        return dReal.sub(1).square().mean().add(dFake.square().mean()).mul(0.5);
      case 'wasserstein':
        return dFake.mean().sub(dReal.mean());
      case 'wassersteinGp': {
        const n = real.shape[0]!;
        const epsShape = [n, ...real.shape.slice(1).map(() => 1)];
        const eps = rand(epsShape, 0, 1, { seed: this.nextSeed() });
        const mixed = real.mul(eps).add(fake.mul(eps.neg().add(1))).detach();
        mixed.requiresGrad = true;
        const [g] = grad(D(mixed).sum(), [mixed], { createGraph: true });
        const norms = g!.reshape([n, -1]).square().sum(1).add(1e-12).sqrt();
        const penalty = norms.sub(1).square().mean().mul(this.options.gradientPenalty);
        return dFake.mean().sub(dReal.mean()).add(penalty);
      }
    }
  }

  private generatorLoss(dFake: Tensor): Tensor {
    switch (this.options.loss) {
      case 'minimax':
        // Minimise log(1 - σ(D(G(z)))) = -BCE(D(G(z)), 0): saturates when D wins (kept for the notes).
        return builtinLoss({ type: 'binaryCrossentropy', fromLogits: true }, dFake, dFake.mul(0)).neg();
      case 'nonSaturating':
        return builtinLoss({ type: 'binaryCrossentropy', fromLogits: true }, dFake, dFake.mul(0).add(1));
      case 'leastSquares':
        return dFake.sub(1).square().mean().mul(0.5);
      case 'wasserstein':
      case 'wassersteinGp':
        return dFake.mean().neg();
    }
  }

  /**
   * One round on a batch of real samples: `discriminatorSteps` discriminator updates (on fresh
   * noise each), then one generator update.
   */
  step(real: Tensors): GanStepLogs {
    const x = Array.isArray(real) ? real[0]! : real;
    const n = x.shape[0] ?? 0;
    if (n < 1) throw new ValueError('GanTrainer.step: the real batch is empty');
    let dLoss = 0;
    for (let k = 0; k < this.options.discriminatorSteps; k++) {
      const fake = this.sample(n);
      const l = this.discriminatorLoss(x, fake);
      dLoss = l.item();
      this.discriminatorOptimizer.zeroGrad();
      l.backward();
      this.discriminatorOptimizer.step();
      this.discriminatorOptimizer.zeroGrad();
      if (this.options.loss === 'wasserstein') {
        const c = this.options.clipValue;
        noGrad(() => {
          for (const p of this.options.discriminator.parameters()) p.assign(p.clamp(-c, c));
        });
      }
    }
    this.generatorOptimizer.zeroGrad();
    this.discriminatorOptimizer.zeroGrad();
    const z = randn([n, this.options.latentDim], 0, 1, { seed: this.nextSeed() });
    const gl = this.generatorLoss(forwardOf(this.options.discriminator, forwardOf(this.options.generator, z)));
    const gLoss = gl.item();
    gl.backward();
    this.generatorOptimizer.step();
    this.generatorOptimizer.zeroGrad();
    this.discriminatorOptimizer.zeroGrad();
    return { discriminatorLoss: dLoss, generatorLoss: gLoss };
  }
}

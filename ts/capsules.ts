/**
 * Capsules (Sabour, Frosst & Hinton 2017; course notes): vectors whose length is the probability
 * that an entity is present. {@link squash} keeps directions and maps lengths into [0, 1);
 * {@link CapsuleLayer} predicts every output capsule from every input capsule with its own
 * matrix and combines the predictions by routing-by-agreement; {@link marginLoss} trains class
 * capsules' lengths.
 */

import { zeros } from './creation';
import { ValueError } from './errors';
import { Module } from './module';
import { Tensor } from './tensor';

/** `squash(s) = ‖s‖² / (1 + ‖s‖²) · s / ‖s‖` along `axis` (default -1). */
export function squash(s: Tensor, axis = -1): Tensor {
  const sq = s.square().sum(axis, { keepDims: true });
  return s.mul(sq.div(sq.add(1))).div(sq.add(1e-9).sqrt());
}

/** Options of {@link CapsuleLayer}. */
export interface CapsuleLayerArgs {
  /** Input capsules per sample. */
  inCapsules: number;
  /** Size of each input capsule. */
  inDim: number;
  /** Output capsules (e.g. one per class). */
  outCapsules: number;
  /** Size of each output capsule. */
  outDim: number;
  /** Routing iterations (default 3). */
  routings?: number;
}

/**
 * Dynamic routing between capsules: `û_{j|i} = W_ij u_i`, then for `routings` rounds
 * `c_i = softmax_j(b_i)`, `v_j = squash(Σ_i c_ij û_{j|i})`, `b_ij += û_{j|i} · v_j`.
 * Input `[N, inCapsules, inDim]`, output `[N, outCapsules, outDim]`. As in the reference
 * implementations, the agreement updates do not back-propagate into `û` (only the last round
 * does).
 */
export class CapsuleLayer extends Module {
  /** `[inCapsules, outCapsules, outDim, inDim]` transformation matrices. */
  readonly weight: Tensor;
  private readonly args: Required<CapsuleLayerArgs>;

  constructor(args: CapsuleLayerArgs) {
    super();
    const dims = [args.inCapsules, args.inDim, args.outCapsules, args.outDim];
    if (!dims.every((d) => Number.isInteger(d) && d > 0)) throw new ValueError(`CapsuleLayer: capsule counts and sizes must be positive integers, got ${JSON.stringify(args)}`);
    this.args = { routings: 3, ...args };
    this.weight = this.parameter('weight', [args.inCapsules, args.outCapsules, args.outDim, args.inDim], { type: 'randomNormal', stddev: 0.05 });
  }

  /** Routes `[N, inCapsules, inDim]` capsules to `[N, outCapsules, outDim]`. */
  forward(u: Tensor): Tensor {
    const { inCapsules, inDim, outCapsules, routings } = this.args;
    if (u.rank !== 3 || u.shape[1] !== inCapsules || u.shape[2] !== inDim) {
      throw new ValueError(`CapsuleLayer: expects [N, ${inCapsules}, ${inDim}] capsules, got [${u.shape.join(', ')}]`);
    }
    const n = u.shape[0]!;
    // û[n, i, j, :] = W[i, j] · u[n, i]: [inCaps, outCaps, outDim, inDim] · [N, inCaps, 1, inDim, 1].
    const uHat = this.weight.matmul(u.reshape([n, inCapsules, 1, inDim, 1])).squeeze(-1); // [N, in, out, outDim]
    const uHatStill = uHat.detach();
    let b = zeros([n, inCapsules, outCapsules]);
    let v: Tensor | undefined;
    for (let r = 0; r < routings; r++) {
      const c = b.softmax(2).unsqueeze(-1); // [N, in, out, 1]
      const last = r === routings - 1;
      const s = c.mul(last ? uHat : uHatStill).sum(1); // [N, out, outDim]
      v = squash(s);
      if (!last) b = b.add(uHatStill.mul(v.unsqueeze(1)).sum(3));
    }
    return v!;
  }
}

/**
 * The CapsNet margin loss on class-capsule lengths `[N, classes]` against integer labels `[N]`:
 * `T_k max(0, m⁺ − ‖v_k‖)² + λ (1 − T_k) max(0, ‖v_k‖ − m⁻)²`, summed over classes, averaged
 * over the batch (`m⁺ = 0.9`, `m⁻ = 0.1`, `λ = 0.5`).
 */
export function marginLoss(lengths: Tensor, labels: Tensor): Tensor {
  if (lengths.rank !== 2 || labels.size !== lengths.shape[0]) throw new ValueError(`marginLoss: expects [N, classes] lengths and N labels, got [${lengths.shape.join(', ')}] and [${labels.shape.join(', ')}]`);
  const t = labels.reshape([-1]).oneHot(lengths.shape[1]!);
  const present = lengths.neg().add(0.9).relu().square().mul(t);
  const absent = lengths.sub(0.1).relu().square().mul(t.neg().add(1)).mul(0.5);
  return present.add(absent).sum(1).mean();
}

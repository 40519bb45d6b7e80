/**
 * Eager recurrent ops for custom modules and loops: a whole fused sequence (`rnnSequence`) and
 * single steps (`lstmCell`, `gruCell`, `rnnCell`, `ugrnnCell`). The recurrent layers call the
 * same native op. Weights use PyTorch's layout: `weightIh [G·H, I]`, `weightHh [G·H, H]`, biases
 * `[G·H]`, gate blocks in the order i, f, g, o (LSTM), r, z, n (GRU), c, g (UGRNN).
 */

import { native } from './errors';
import { rnnSequence as nativeRnn } from './native';
import { Tensor } from './tensor';

/** Which recurrence: Elman with tanh or relu, LSTM, GRU or UGRNN. */
export type RnnCellKind = 'tanh' | 'relu' | 'lstm' | 'gru' | 'ugrnn';

/** The weights of one layer and direction. */
export interface RnnWeightTensors {
  /** `[G·H, I]` input projection. */
  weightIh: Tensor;
  /** `[G·H, H]` recurrent projection. */
  weightHh: Tensor;
  /** `[G·H]` (optional). */
  biasIh?: Tensor;
  /** `[G·H]` (optional). */
  biasHh?: Tensor;
  /** `[3, H]` peephole weights of the i, f, o gates (LSTM with `peephole`). */
  peephole?: Tensor;
}

/** Options of {@link rnnSequence}. */
export interface RnnSequenceOptions {
  /** The recurrence. */
  cell: RnnCellKind;
  /** `[B, H]` initial hidden state (default zeros). */
  h0?: Tensor;
  /** `[B, H]` initial cell state, LSTM only (default zeros). */
  c0?: Tensor;
  /** Real length of each sequence; later steps are padding (state carried, output zero). */
  lengths?: number[];
  /** Walk from the last real step to the first (default false). */
  reverse?: boolean;
  /** LSTM peephole connections (needs `weights.peephole`). */
  peephole?: boolean;
  /** LSTM coupled input/forget gates (`i = 1 - f`; three gate blocks). */
  coupledGates?: boolean;
}

/** Results of {@link rnnSequence}. */
export interface RnnSequenceResult {
  /** `[B, T, H]` hidden state after every step. */
  output: Tensor;
  /** `[B, H]` state after each sequence's last real step. */
  h: Tensor;
  /** `[B, H]` final cell state (LSTM only). */
  c?: Tensor;
}

/**
 * Runs one recurrent layer over a batch-first sequence `x [B, T, I]` in one fused native op
 * (forward and backward); differentiable in `x`, the weights and the initial states.
 */
export function rnnSequence(x: Tensor, weights: RnnWeightTensors, options: RnnSequenceOptions): RnnSequenceResult {
  const results = native(() =>
    nativeRnn(x.native, weights.weightIh.native, weights.weightHh.native, weights.biasIh?.native, weights.biasHh?.native, weights.peephole?.native, options.h0?.native, options.c0?.native, {
      cell: options.cell,
      peephole: options.peephole ?? false,
      coupled: options.coupledGates ?? false,
      reverse: options.reverse ?? false,
      lengths: options.lengths,
    }),
  ).map((t) => new Tensor(t));
  return { output: results[0]!, h: results[1]!, c: results[2] };
}

function step(x: Tensor, weights: RnnWeightTensors, options: RnnSequenceOptions): RnnSequenceResult {
  return rnnSequence(x.unsqueeze(1), weights, options);
}

/** One LSTM step: `x [B, I]`, state `{ h, c }` (`[B, H]` each, zeros when absent) → the next state. */
export function lstmCell(x: Tensor, state: { h?: Tensor; c?: Tensor }, weights: RnnWeightTensors, options: { peephole?: boolean; coupledGates?: boolean } = {}): { h: Tensor; c: Tensor } {
  const r = step(x, weights, { cell: 'lstm', h0: state.h, c0: state.c, ...options });
  return { h: r.h, c: r.c! };
}

/** One GRU step: `x [B, I]`, `h [B, H]` (zeros when absent) → the next `h`. */
export function gruCell(x: Tensor, h: Tensor | undefined, weights: RnnWeightTensors): Tensor {
  return step(x, weights, { cell: 'gru', h0: h }).h;
}

/** One Elman step `act(W_ih x + b_ih + W_hh h + b_hh)` with `activation` tanh (default) or relu. */
export function rnnCell(x: Tensor, h: Tensor | undefined, weights: RnnWeightTensors, options: { activation?: 'tanh' | 'relu' } = {}): Tensor {
  return step(x, weights, { cell: options.activation ?? 'tanh', h0: h }).h;
}

/** One update-gate RNN step (Collins et al. 2017). */
export function ugrnnCell(x: Tensor, h: Tensor | undefined, weights: RnnWeightTensors): Tensor {
  return step(x, weights, { cell: 'ugrnn', h0: h }).h;
}

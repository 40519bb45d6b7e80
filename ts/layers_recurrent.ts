/**
 * Recurrent layers: `simpleRNN`, `lstm`, `gru`, `ugrnn`, the `bidirectional` and
 * `timeDistributed` wrappers. Each runs a whole sequence (every stacked layer and direction) in
 * one fused native op, forward and backward.
 *
 * Inputs are batch-first `[batch, steps, features]`. Weights carry PyTorch's names and gate
 * layout (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `..._reverse`; gates
 * i, f, g, o for LSTM and r, z, n for GRU), so a `torch.nn.LSTM(batch_first=True)` state dict
 * loads by name.
 *
 * States are batch-first too: `h0`/`c0` and the returned `h`/`c` have shape
 * `[batch, numLayers·directions, units]` (PyTorch's `[numLayers·directions, batch, units]` with
 * the first two axes swapped), so they can be model inputs and outputs like any other tensor.
 */

import { ValueError } from './errors';
import { type LayerName, type LayerSpec, layerSpec } from './layers';

/** Options shared by every recurrent layer. */
export interface RecurrentArgs extends LayerName {
  /** Hidden units per direction. */
  units: number;
  /** Stacked layers (default 1), as PyTorch's `num_layers`. */
  numLayers?: number;
  /** Biases `bias_ih` and `bias_hh` (default true). */
  useBias?: boolean;
  /** Output every step `[steps, units]` (true) or only the last real step `[units]` (default false). */
  returnSequences?: boolean;
  /**
   * Also return the final states: `applyMulti` then yields `[output, h]` (`[output, h, c]` for
   * LSTM), each state `[numLayers·directions, units]` per sample. Default false.
   */
  returnState?: boolean;
  /** Dropout on the outputs of every stacked layer but the last, in training (PyTorch's `dropout`; default 0). */
  dropout?: number;
  /** Dropout on the hidden state entering the recurrent projection, one mask per sequence, in training (Keras' `recurrentDropout`; default 0). */
  recurrentDropout?: number;
  /**
   * Timesteps whose features all equal this value are padding (Keras' `Masking`): the state is
   * carried through them unchanged and their outputs are zero, so padding changes neither
   * results nor gradients. With `embedding({ maskZero: true })`, use `maskValue: 0`.
   */
  maskValue?: number;
  /**
   * Truncated backpropagation through time: gradients flow back at most this many steps (the
   * state carried between chunks is detached). Unidirectional layers only.
   */
  tbpttSteps?: number;
}

/** Options of {@link simpleRNN}. */
export interface SimpleRnnArgs extends RecurrentArgs {
  /** `h' = act(W x + U h + b)`: `'tanh'` (default) or `'relu'`. */
  activation?: 'tanh' | 'relu';
}

/** Options of {@link lstm}. */
export interface LstmArgs extends RecurrentArgs {
  /** Peephole connections: the input, forget and output gates also see the cell state (Gers & Schmidhuber). Default false. */
  peephole?: boolean;
  /** Coupled input and forget gates: `i = 1 - f` (the CIFG variant). Default false. */
  coupledGates?: boolean;
}

/** How {@link bidirectional} combines the two directions. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

/** A recurrent layer spec: a {@link LayerSpec} that {@link bidirectional} can wrap. */
export interface RecurrentLayerSpec extends LayerSpec {
  /** @internal The native config without the input size and direction settings. */
  readonly recurrent: { config: Record<string, unknown>; units: number; numLayers: number; returnSequences: boolean; returnState: boolean; cellState: boolean };
}

function checkInt(layer: string, field: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new ValueError(`${layer}: ${field} must be an integer >= ${min}, got ${v}`);
}

function checkRate(layer: string, field: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 0 && v < 1)) throw new ValueError(`${layer}: ${field} must be in [0, 1), got ${v}`);
}

function recurrent(type: string, layer: string, args: RecurrentArgs, extra: Record<string, unknown>, cellState: boolean): RecurrentLayerSpec {
  checkInt(layer, 'units', args.units, 1);
  checkInt(layer, 'numLayers', args.numLayers, 1);
  checkInt(layer, 'tbpttSteps', args.tbpttSteps, 1);
  checkRate(layer, 'dropout', args.dropout);
  checkRate(layer, 'recurrentDropout', args.recurrentDropout);
  const config: Record<string, unknown> = {
    type,
    hidden_size: args.units,
    num_layers: args.numLayers ?? 1,
    bias: args.useBias ?? true,
    dropout: args.dropout ?? 0,
    recurrent_dropout: args.recurrentDropout ?? 0,
    return_sequences: args.returnSequences ?? false,
    return_state: args.returnState ?? false,
    mask_value: args.maskValue ?? null,
    tbptt_steps: args.tbpttSteps ?? null,
    states_batch_first: true,
    ...extra,
  };
  const info = { config, units: args.units, numLayers: args.numLayers ?? 1, returnSequences: args.returnSequences ?? false, returnState: args.returnState ?? false, cellState };
  return withDirections(layer, args.name, info, false, 'concat');
}

/** Builds the spec for one direction setting (shared by the factories and `bidirectional`). */
function withDirections(layer: string, name: string | undefined, info: RecurrentLayerSpec['recurrent'], bidirectional: boolean, mergeMode: MergeMode): RecurrentLayerSpec {
  const directions = bidirectional ? 2 : 1;
  const width = bidirectional && mergeMode === 'concat' ? 2 * info.units : info.units;
  const configFor = (inputShape: number[], index: number | string): object => {
    if (inputShape.length !== 2) {
      throw new ValueError(`layer ${index} (${layer}): expects [steps, features] samples (batch-first sequences), got [${inputShape.join(', ')}]`);
    }
    return { ...info.config, input_size: inputShape[1]!, bidirectional, merge_mode: mergeMode };
  };
  const outputShape = (steps: number): number[] => (info.returnSequences ? [steps, width] : [width]);
  const stateShape = [info.numLayers * directions, info.units];
  const spec = layerSpec(
    layer,
    name,
    (inputShape, index) => ({ configs: [configFor(inputShape, index)], outputShape: outputShape(inputShape[0] ?? 0) }),
    (inputShapes) => {
      const [x, ...rest] = inputShapes;
      const config = configFor(x!, name ?? layer);
      const states = rest.filter((s) => s.length === 2);
      const lengths = rest.filter((s) => s.length === 0);
      if (states.length + lengths.length !== rest.length || lengths.length > 1 || states.length > (info.cellState ? 2 : 1)) {
        throw new ValueError(
          `${layer}.applyMulti: extra inputs must be initial states h0${info.cellState ? ', c0' : ''} of shape [${stateShape.join(', ')}] and/or one lengths input of shape [], got ${rest.map((s) => `[${s.join(', ')}]`).join(', ')}`,
        );
      }
      for (const s of states) {
        if (s[0] !== stateShape[0] || s[1] !== stateShape[1]) throw new ValueError(`${layer}.applyMulti: initial states must have shape [${stateShape.join(', ')}], got [${s.join(', ')}]`);
      }
      const outputs = [outputShape(x![0]!)];
      if (info.returnState) outputs.push(stateShape, ...(info.cellState ? [stateShape] : []));
      return { config, outputShapes: outputs };
    },
  );
  return Object.assign(spec, { recurrent: info });
}

/** A fully connected recurrent layer (Elman RNN, PyTorch's `nn.RNN`): `h' = act(W_ih x + b_ih + W_hh h + b_hh)`. */
export function simpleRNN(args: SimpleRnnArgs): RecurrentLayerSpec {
  const activation = args.activation ?? 'tanh';
  if (activation !== 'tanh' && activation !== 'relu') throw new ValueError(`simpleRNN: activation must be 'tanh' or 'relu', got '${String(activation)}'`);
  return recurrent('RNN', 'simpleRNN', args, { nonlinearity: activation }, false);
}

/** Long short-term memory (PyTorch's `nn.LSTM`), optionally with peepholes or coupled input/forget gates. */
export function lstm(args: LstmArgs): RecurrentLayerSpec {
  return recurrent('LSTM', 'lstm', args, { peephole: args.peephole ?? false, coupled: args.coupledGates ?? false }, true);
}

/** Gated recurrent unit (PyTorch's `nn.GRU`: `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 - z) ⊙ n + z ⊙ h`). */
export function gru(args: RecurrentArgs): RecurrentLayerSpec {
  return recurrent('GRU', 'gru', args, {}, false);
}

/**
 * Update-gate RNN (Collins et al. 2017): `c = tanh(W_c x + U_c h + b_c)`,
 * `g = sigmoid(W_g x + U_g h + b_g)`, `h' = g ⊙ h + (1 - g) ⊙ c` — one gate, nearly GRU quality
 * with two thirds of its parameters. Gate rows in the weights: c, g.
 */
export function ugrnn(args: RecurrentArgs): RecurrentLayerSpec {
  return recurrent('UGRNN', 'ugrnn', args, {}, false);
}

/** Options of {@link bidirectional}. */
export interface BidirectionalArgs extends LayerName {
  /** The recurrent layer to run in both directions (its weights become `..._l0` and `..._l0_reverse`). */
  layer: RecurrentLayerSpec;
  /** How the directions' outputs combine: `'concat'` (default, width 2·units), `'sum'`, `'mul'` or `'ave'`. */
  mergeMode?: MergeMode;
}

/**
 * Runs a recurrent layer forwards and backwards over the sequence and merges the two outputs
 * (Keras' `Bidirectional`, PyTorch's `bidirectional=True`). The backward direction reads each
 * sequence from its last real step, so padding is handled as in PyTorch's packed sequences.
 */
export function bidirectional(args: BidirectionalArgs): RecurrentLayerSpec {
  const mode = args.mergeMode ?? 'concat';
  if (!['concat', 'sum', 'mul', 'ave'].includes(mode)) throw new ValueError(`bidirectional: mergeMode must be concat, sum, mul or ave, got '${String(mode)}'`);
  const info = (args.layer as Partial<RecurrentLayerSpec>).recurrent;
  if (info === undefined) throw new ValueError(`bidirectional: layer must be a recurrent layer (simpleRNN, lstm, gru, ugrnn), got ${args.layer?.type}`);
  if (info.config.tbptt_steps !== null) throw new ValueError('bidirectional: truncated BPTT (tbpttSteps) applies to unidirectional layers only');
  return withDirections('bidirectional', args.name ?? args.layer.name, info, true, mode);
}

/** Options of {@link timeDistributed}. */
export interface TimeDistributedArgs extends LayerName {
  /** The layer applied to every timestep (with its own single set of weights). */
  layer: LayerSpec;
}

/** Applies `layer` to every timestep of `[steps, ...features]` samples independently (Keras' `TimeDistributed`). */
export function timeDistributed(args: TimeDistributedArgs): LayerSpec {
  return layerSpec('timeDistributed', args.name, (inputShape, index) => {
    if (inputShape.length < 2) throw new ValueError(`layer ${index} (timeDistributed): expects [steps, ...features] samples, got [${inputShape.join(', ')}]`);
    const inner = args.layer.build(inputShape.slice(1), index);
    const layer = inner.configs.length === 1 ? inner.configs[0]! : { type: 'Sequential', layers: inner.configs };
    return { configs: [{ type: 'TimeDistributed', layer }], outputShape: [inputShape[0]!, ...inner.outputShape] };
  });
}

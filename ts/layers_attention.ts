/**
 * Attention and transformer layers: `multiHeadAttention`, `transformerEncoderLayer`,
 * `transformerDecoderLayer`, their stacks, a full encoder-decoder `transformer`, `rmsNormalization`
 * and positional encodings. Attention runs in a fused native kernel that tiles over keys with an
 * online softmax (the FlashAttention idea), so its memory grows linearly with the sequence length.
 *
 * Samples are batch-first `[steps, dModel]`. Parameter names follow PyTorch
 * (`self_attn.in_proj_weight`, `self_attn.out_proj.weight`, `linear1.weight`, `norm1.weight`,
 * `layers.0.…`), so `torch.nn.TransformerEncoderLayer(batch_first=True)` state dicts load by name.
 *
 * Masks are extra inputs of `applyMulti` (see each layer): a key-padding mask is `[keys]` per
 * sample with 1 (true) marking padding; an attention mask is additive, `[1, queries, keys]` per
 * sample (0 = attend, -Infinity = blocked).
 */

import { ValueError } from './errors';
import { type LayerName, type LayerSpec, layerSpec } from './layers';

function positive(layer: string, field: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new ValueError(`${layer}: ${field} must be a positive integer, got ${v}`);
  return v;
}

function rate(layer: string, v: number | undefined, fallback: number): number {
  const r = v ?? fallback;
  if (!(r >= 0 && r < 1)) throw new ValueError(`${layer}: dropout must be in [0, 1), got ${r}`);
  return r;
}

function sequenceShape(layer: string, shape: number[] | undefined, what: string): [number, number] {
  if (shape === undefined || shape.length !== 2) throw new ValueError(`${layer}: ${what} must be [steps, features] per sample, got [${(shape ?? []).join(', ')}]`);
  return [shape[0]!, shape[1]!];
}

/** Checks the optional mask inputs after the `fixed` leading inputs: `[keys]` padding masks and `[1, queries, keys]` attention masks. */
function checkMasks(layer: string, shapes: number[][], fixed: number, kinds: Array<{ name: string; shape: number[] }>): void {
  const masks = shapes.slice(fixed);
  if (masks.length > kinds.length) throw new ValueError(`${layer}.applyMulti: takes at most ${fixed + kinds.length} inputs (${kinds.map((k) => k.name).join(', ')} after the first ${fixed}), got ${shapes.length}`);
  masks.forEach((s, i) => {
    const want = kinds[i]!;
    if (s.length !== want.shape.length || s.some((d, j) => d !== want.shape[j])) {
      throw new ValueError(`${layer}.applyMulti: ${want.name} must be [${want.shape.join(', ')}] per sample, got [${s.join(', ')}]`);
    }
  });
}

/** Options of {@link multiHeadAttention}. */
export interface MultiHeadAttentionArgs extends LayerName {
  /** Number of heads; must divide the model width (the query's feature size). */
  numHeads: number;
  /** Feature size of the keys (default: the query's; projections become separate `q/k/v_proj_weight` when it differs). */
  kdim?: number;
  /** Feature size of the values (default: the query's). */
  vdim?: number;
  /** Biases on the projections (default true). */
  useBias?: boolean;
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Causal (look-ahead) masking: query `i` attends keys `j <= i` (default false). */
  causal?: boolean;
  /** Also return the attention weights averaged over heads, `[queries, keys]` per sample, as a second result of `applyMulti` (uses the materialised path). Default false. */
  returnAttentionWeights?: boolean;
  /** Rotary position embedding on queries and keys with this base (commonly 10000); default none. */
  rotaryBase?: number;
}

/**
 * Multi-head attention (PyTorch's `nn.MultiheadAttention`, batch-first). `apply(x)` is
 * self-attention; `applyMulti([query, key, value, keyPaddingMask?, attnMask?])` is
 * cross-attention with optional masks (`[keys]` with 1 = padding; additive `[1, queries, keys]`).
 */
export function multiHeadAttention(args: MultiHeadAttentionArgs): LayerSpec {
  const layer = 'multiHeadAttention';
  const heads = positive(layer, 'numHeads', args.numHeads);
  const dropout = rate(layer, args.dropout, 0);
  const configFor = (q: number[], k: number[], v: number[]): { config: object; outputShapes: number[][] } => {
    const [lq, e] = sequenceShape(layer, q, 'the query');
    const [lk, kd] = sequenceShape(layer, k, 'the key');
    const [lv, vd] = sequenceShape(layer, v, 'the value');
    if (e % heads !== 0) throw new ValueError(`${layer}: numHeads ${heads} must divide the model width ${e}`);
    if (lk !== lv) throw new ValueError(`${layer}: key and value need the same number of steps, got ${lk} and ${lv}`);
    if (args.kdim !== undefined && args.kdim !== kd) throw new ValueError(`${layer}: kdim is ${args.kdim} but the key has ${kd} features`);
    if (args.vdim !== undefined && args.vdim !== vd) throw new ValueError(`${layer}: vdim is ${args.vdim} but the value has ${vd} features`);
    const config = {
      type: 'MultiHeadAttention',
      embed_dim: e,
      num_heads: heads,
      kdim: kd,
      vdim: vd,
      bias: args.useBias ?? true,
      dropout,
      causal: args.causal ?? false,
      need_weights: args.returnAttentionWeights ?? false,
      rotary_base: args.rotaryBase ?? null,
    };
    const outputShapes = [[lq, e]];
    if (args.returnAttentionWeights) outputShapes.push([lq, lk]);
    return { config, outputShapes };
  };
  return layerSpec(
    layer,
    args.name,
    (s) => {
      const built = configFor(s, s, s);
      return { configs: [built.config], outputShape: built.outputShapes[0]! };
    },
    (shapes) => {
      if (shapes.length === 1) return configFor(shapes[0]!, shapes[0]!, shapes[0]!);
      if (shapes.length < 3) throw new ValueError(`${layer}.applyMulti: takes [x] or [query, key, value, keyPaddingMask?, attnMask?], got ${shapes.length} inputs`);
      const built = configFor(shapes[0]!, shapes[1]!, shapes[2]!);
      checkMasks(layer, shapes, 3, [
        { name: 'keyPaddingMask', shape: [shapes[1]![0]!] },
        { name: 'attnMask', shape: [1, shapes[0]![0]!, shapes[1]![0]!] },
      ]);
      return built;
    },
  );
}

/** Options of the transformer layers. */
export interface TransformerLayerArgs extends LayerName {
  /** Attention heads; must divide the model width (the input's feature size). */
  numHeads: number;
  /** Width of the feed-forward block (default 2048, as PyTorch). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block, in training (default 0.1, as PyTorch). */
  dropout?: number;
  /** Feed-forward activation: `'relu'` (default) or `'gelu'`. */
  activation?: 'relu' | 'gelu';
  /** Layer-norm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** Pre-norm (`true`: `x + f(norm(x))`) or post-norm (default `false`: `norm(x + f(x))`, the original transformer). */
  normFirst?: boolean;
  /** Biases in the linear layers and layer norms (default true). */
  useBias?: boolean;
  /** Causal masking of the (self-)attention: position `i` sees positions `<= i` (default false; for decoders, of the self-attention). */
  causal?: boolean;
}

function layerFields(layer: string, args: TransformerLayerArgs, dModel: number): Record<string, unknown> {
  const heads = positive(layer, 'numHeads', args.numHeads);
  if (dModel % heads !== 0) throw new ValueError(`${layer}: numHeads ${heads} must divide the model width ${dModel}`);
  const activation = args.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'gelu') throw new ValueError(`${layer}: activation must be 'relu' or 'gelu', got '${String(activation)}'`);
  return {
    d_model: dModel,
    nhead: heads,
    dim_feedforward: positive(layer, 'dimFeedforward', args.dimFeedforward ?? 2048),
    dropout: rate(layer, args.dropout, 0.1),
    activation,
    layer_norm_eps: args.layerNormEps ?? 1e-5,
    norm_first: args.normFirst ?? false,
    bias: args.useBias ?? true,
  };
}

/** Options of the encoder and decoder stacks. */
export interface TransformerStackArgs extends TransformerLayerArgs {
  /** Number of layers. */
  numLayers: number;
  /** A final layer norm after the stack (default: `normFirst`, as pre-norm stacks need it). */
  finalNorm?: boolean;
}

function encoderLike(type: 'TransformerEncoderLayer' | 'TransformerEncoder', layer: string, args: TransformerLayerArgs, extra: (d: number) => Record<string, unknown>): LayerSpec {
  const configFor = (s: number[]): object => {
    const [, d] = sequenceShape(layer, s, 'the input');
    return { type, ...layerFields(layer, args, d), causal: args.causal ?? false, ...extra(d) };
  };
  return layerSpec(
    layer,
    args.name,
    (s) => ({ configs: [configFor(s)], outputShape: s }),
    (shapes) => {
      const x = shapes[0]!;
      const config = configFor(x);
      checkMasks(layer, shapes, 1, [
        { name: 'keyPaddingMask', shape: [x[0]!] },
        { name: 'attnMask', shape: [1, x[0]!, x[0]!] },
      ]);
      return { config, outputShapes: [x] };
    },
  );
}

/**
 * One transformer encoder layer (PyTorch's `nn.TransformerEncoderLayer`, batch-first): self-attention
 * and a feed-forward block, each with a residual connection and layer norm. `apply(x)`, or
 * `applyMulti([x, keyPaddingMask?, attnMask?])`.
 */
export function transformerEncoderLayer(args: TransformerLayerArgs): LayerSpec {
  return encoderLike('TransformerEncoderLayer', 'transformerEncoderLayer', args, () => ({}));
}

/** A stack of `numLayers` encoder layers (PyTorch's `nn.TransformerEncoder`; parameters `layers.N.…`, optional final `norm`). */
export function transformerEncoder(args: TransformerStackArgs): LayerSpec {
  const n = positive('transformerEncoder', 'numLayers', args.numLayers);
  return encoderLike('TransformerEncoder', 'transformerEncoder', args, () => ({ num_layers: n, norm: args.finalNorm ?? args.normFirst ?? false }));
}

function decoderLike(type: 'TransformerDecoderLayer' | 'TransformerDecoder', layer: string, args: TransformerLayerArgs, extra: Record<string, unknown>): LayerSpec {
  const build = (shapes: number[][]): { config: object; outputShapes: number[][] } => {
    if (shapes.length < 2) throw new ValueError(`${layer}.applyMulti: needs [tgt, memory, ...masks], got ${shapes.length} input(s)`);
    const [lt, d] = sequenceShape(layer, shapes[0], 'tgt');
    const [ls, dm] = sequenceShape(layer, shapes[1], 'memory');
    if (d !== dm) throw new ValueError(`${layer}: tgt and memory need the same width, got ${d} and ${dm}`);
    checkMasks(layer, shapes, 2, [
      { name: 'tgtKeyPaddingMask', shape: [lt] },
      { name: 'memoryKeyPaddingMask', shape: [ls] },
      { name: 'tgtMask', shape: [1, lt, lt] },
      { name: 'memoryMask', shape: [1, lt, ls] },
    ]);
    return { config: { type, ...layerFields(layer, args, d), causal: args.causal ?? true, ...extra }, outputShapes: [shapes[0]!] };
  };
  return layerSpec(
    layer,
    args.name,
    (_s, index) => {
      throw new ValueError(`layer ${index} (${layer}): a decoder needs the encoder's memory; use it in a functional model with applyMulti([tgt, memory])`);
    },
    build,
  );
}

/**
 * One transformer decoder layer (PyTorch's `nn.TransformerDecoderLayer`, batch-first): masked
 * self-attention (causal by default), attention over the encoder memory, and a feed-forward
 * block. `applyMulti([tgt, memory, tgtKeyPaddingMask?, memoryKeyPaddingMask?, tgtMask?, memoryMask?])`.
 */
export function transformerDecoderLayer(args: TransformerLayerArgs): LayerSpec {
  return decoderLike('TransformerDecoderLayer', 'transformerDecoderLayer', args, {});
}

/** A stack of `numLayers` decoder layers (PyTorch's `nn.TransformerDecoder`). `applyMulti([tgt, memory, ...masks])` as {@link transformerDecoderLayer}. */
export function transformerDecoder(args: TransformerStackArgs): LayerSpec {
  const n = positive('transformerDecoder', 'numLayers', args.numLayers);
  return decoderLike('TransformerDecoder', 'transformerDecoder', args, { num_layers: n, norm: args.finalNorm ?? args.normFirst ?? false });
}

/** Options of {@link transformer}. */
export interface TransformerArgs extends Omit<TransformerLayerArgs, 'causal'> {
  /** Encoder layers (default 6, as PyTorch). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6, as PyTorch). */
  numDecoderLayers?: number;
}

/**
 * The encoder-decoder transformer (PyTorch's `nn.Transformer`, batch-first; both stacks end in a
 * layer norm; the decoder's self-attention is causal).
 * `applyMulti([src, tgt, srcKeyPaddingMask?, tgtKeyPaddingMask?, memoryKeyPaddingMask?])` returns
 * the decoder output `[tgtSteps, dModel]`.
 */
export function transformer(args: TransformerArgs): LayerSpec {
  const layer = 'transformer';
  return layerSpec(
    layer,
    args.name,
    (_s, index) => {
      throw new ValueError(`layer ${index} (transformer): needs a source and a target; use it in a functional model with applyMulti([src, tgt])`);
    },
    (shapes) => {
      if (shapes.length < 2) throw new ValueError(`${layer}.applyMulti: needs [src, tgt, ...masks], got ${shapes.length} input(s)`);
      const [ls, d] = sequenceShape(layer, shapes[0], 'src');
      const [lt, dt] = sequenceShape(layer, shapes[1], 'tgt');
      if (d !== dt) throw new ValueError(`${layer}: src and tgt need the same width, got ${d} and ${dt}`);
      checkMasks(layer, shapes, 2, [
        { name: 'srcKeyPaddingMask', shape: [ls] },
        { name: 'tgtKeyPaddingMask', shape: [lt] },
        { name: 'memoryKeyPaddingMask', shape: [ls] },
      ]);
      const config = {
        type: 'Transformer',
        ...layerFields(layer, args, d),
        num_encoder_layers: positive(layer, 'numEncoderLayers', args.numEncoderLayers ?? 6),
        num_decoder_layers: positive(layer, 'numDecoderLayers', args.numDecoderLayers ?? 6),
      };
      return { config, outputShapes: [shapes[1]!] };
    },
  );
}

/** RMS normalisation over the last axis (`x / rms(x) · weight`, as PyTorch's `nn.RMSNorm`; epsilon default: float32 machine epsilon). */
export function rmsNormalization(args: { epsilon?: number } & LayerName = {}): LayerSpec {
  return layerSpec('rmsNormalization', args.name, (s, index) => {
    const d = s.at(-1);
    if (d === undefined) throw new ValueError(`layer ${index} (rmsNormalization): input shape [] has no feature axis`);
    return { configs: [{ type: 'RmsNorm', normalized_shape: [d], eps: args.epsilon ?? null }], outputShape: s };
  });
}

/** Options of the positional encodings. */
export interface PositionalArgs extends LayerName {
  /** Longest sequence the layer accepts (default: the input's length). */
  maxLen?: number;
}

function positional(type: string, layer: string, args: PositionalArgs): LayerSpec {
  return layerSpec(layer, args.name, (s) => {
    const [steps, d] = sequenceShape(layer, s, 'the input');
    const maxLen = args.maxLen ?? steps;
    if (maxLen < steps) throw new ValueError(`${layer}: maxLen ${maxLen} is shorter than the input's ${steps} steps`);
    return { configs: [{ type, d_model: d, max_len: maxLen }], outputShape: s };
  });
}

/** Adds the fixed sinusoidal position encoding of "Attention Is All You Need" to `[steps, dModel]` samples. */
export function sinusoidalPositionalEncoding(args: PositionalArgs = {}): LayerSpec {
  return positional('SinusoidalPositionalEncoding', 'sinusoidalPositionalEncoding', args);
}

/** Adds a learned vector per position (`maxLen` of them) to `[steps, dModel]` samples. */
export function learnedPositionalEmbedding(args: PositionalArgs = {}): LayerSpec {
  return positional('LearnedPositionalEmbedding', 'learnedPositionalEmbedding', args);
}

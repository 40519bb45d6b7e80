/**
 * Layer factories in the style of tfjs-layers (`layers.dense({ units: 10 })`). A factory returns
 * a {@link LayerSpec}; {@link sequential} infers each layer's input size from the previous one
 * and builds the native model.
 */

import { ValueError } from './errors';
import { SymbolicTensor, applyLayer, applyLayerMulti, applyMerge } from './functional';
import type { InitializerSpec } from './initializers';

/** Activation names accepted by `dense({ activation })` and `activation({ activation })`. */
export type ActivationName =
  | 'linear'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'gelu'
  | 'softplus'
  | 'softsign'
  | 'silu'
  | 'swish'
  | 'softmax'
  | 'maxout';

/** A layer description: knows its native config and output shape for a given input shape. */
export interface LayerSpec {
  /** Layer type, for messages and default names (`dense`, `dense_1`, ...). */
  readonly type: string;
  /** Name in a functional model (parameters become `<name>.weight`); default from the type. */
  readonly name: string | undefined;
  /** Native configs (a dense layer with an activation is two native layers) and the output shape. */
  build(inputShape: number[], index: number): { configs: object[]; outputShape: number[] };
  /**
   * Calls the layer on a symbolic tensor of a functional model (see {@link model}). Applying
   * the same layer object again shares its weights.
   */
  apply(input: SymbolicTensor): SymbolicTensor;
  /**
   * Calls the layer on several symbolic tensors and/or returns all its results: a recurrent
   * layer given initial states (`[x, h0, c0]`) or with `returnState` (`[output, h, c]`),
   * attention over `[query, key, value]`. Layers with one input and one result return `[apply(x)]`.
   */
  applyMulti(inputs: SymbolicTensor[]): SymbolicTensor[];
  /** @internal For layers with several inputs or results: the native config and each result's shape. */
  buildMulti?(inputShapes: number[][]): { config: object; outputShapes: number[][] };
}

/** The optional name every layer factory accepts. */
export interface LayerName {
  /** Name in a functional model (default: the type, numbered: `dense`, `dense_1`, ...). */
  name?: string;
}

/** @internal Wraps a build function into a layer spec that can also be applied functionally. */
export function layerSpec(type: string, name: string | undefined, build: LayerSpec['build'], buildMulti?: LayerSpec['buildMulti']): LayerSpec {
  const layer: LayerSpec = {
    type,
    name,
    build,
    buildMulti,
    // A multi-capable layer called on one tensor is the same native call, keeping its first result.
    apply: (x) => (buildMulti === undefined ? applyLayer(layer, x) : applyLayerMulti(layer, [x])[0]!),
    applyMulti: (inputs) => applyLayerMulti(layer, inputs),
  };
  return layer;
}

function last(shape: number[], layer: string, index: number): number {
  const d = shape.at(-1);
  if (d === undefined) throw new ValueError(`layer ${index} (${layer}): input shape [] has no feature dimension`);
  return d;
}

function positiveInt(value: number, layer: string, field: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ValueError(`${layer}: ${field} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Options of an activation (also usable inline in `dense`). */
export interface ActivationArgs {
  /** Which activation. */
  activation: ActivationName;
  /** Negative slope of `leakyRelu` (default 0.01, as PyTorch) or alpha of `elu` (default 1). */
  alpha?: number;
  /** Steepness `s` of `sigmoid(s·x)` (default 1). */
  steepness?: number;
  /** `gelu`: use the tanh approximation (default false). */
  approximate?: boolean;
  /** `softmax`: axis (default -1). */
  axis?: number;
  /** `maxout`: group size (default 2). */
  pieces?: number;
}

/** @internal The native config of an activation. */
export function activationLayerConfig(args: ActivationArgs): object {
  const { activation } = args;
  const cfg = (name: string, param: unknown = null): object => ({ type: 'Activation', activation: name, param });
  switch (activation) {
    case 'linear':
    case 'tanh':
    case 'relu':
    case 'softplus':
    case 'softsign':
    case 'silu':
      return cfg(activation);
    case 'swish':
      return cfg('silu');
    case 'sigmoid':
      return cfg('sigmoid', args.steepness ?? 1);
    case 'leakyRelu':
      return cfg('leaky_relu', args.alpha ?? 0.01);
    case 'elu':
      return cfg('elu', args.alpha ?? 1);
    case 'gelu':
      return cfg('gelu', args.approximate ?? false);
    case 'softmax':
      return cfg('softmax', args.axis ?? -1);
    case 'maxout':
      return cfg('maxout', positiveInt(args.pieces ?? 2, 'maxout', 'pieces'));
    default:
      throw new ValueError(`unknown activation '${String(activation)}'`);
  }
}

/** Options of {@link dense}. */
export interface DenseArgs {
  /** Output features. */
  units: number;
  /** Activation applied after the affine map (default linear). */
  activation?: ActivationName;
  /** Learn a bias (default true). */
  useBias?: boolean;
  /** Weight penalty added to the training loss of `fit`/`trainOnBatch`: `l1·Σ|W| + l2·ΣW²` (Keras' `kernelRegularizer`); `evaluate` reports the data loss alone. */
  kernelRegularizer?: { l1?: number; l2?: number };
  /**
   * Projection of the weights after every optimizer step (Keras constraints), per output unit:
   * `{ type: 'maxNorm', maxValue: 2 }`, `{ type: 'unitNorm' }` or `{ type: 'nonNeg' }`.
   */
  kernelConstraint?: { type: 'maxNorm'; maxValue?: number } | { type: 'unitNorm' } | { type: 'nonNeg' };
  /** Weight initializer (default `'glorotUniform'`, as Keras). */
  kernelInitializer?: InitializerSpec;
  /** Bias initializer (default `'zeros'`). */
  biasInitializer?: InitializerSpec;
  /** Penalty on the layer's outputs after the activation (sparse autoencoders), see {@link activityRegularization}. */
  activityRegularizer?: ActivityRegularizerArgs;
}

/** Options of {@link activityRegularization} (all default 0 / off). */
export interface ActivityRegularizerArgs {
  /** `l1·Σ|a| / batchSize`. */
  l1?: number;
  /** `l2·Σa² / batchSize`. */
  l2?: number;
  /**
   * KL sparsity target ρ in (0, 1): adds `klWeight · Σ_j KL(ρ ‖ ρ̂_j)` where ρ̂_j is unit j's mean
   * activation over the batch (activations must lie in (0, 1), e.g. after a sigmoid).
   */
  klTarget?: number;
  /** Weight β of the KL sparsity term (default 1 when `klTarget` is set). */
  klWeight?: number;
}

function activityConfig(args: ActivityRegularizerArgs): object {
  const config: Record<string, unknown> = { type: 'ActivityRegularization', l1: args.l1 ?? 0, l2: args.l2 ?? 0 };
  if (args.klTarget !== undefined) {
    config.kl_target = args.klTarget;
    config.kl_weight = args.klWeight ?? 1;
  } else if (args.klWeight !== undefined) {
    throw new ValueError('activityRegularizer: klWeight needs klTarget');
  }
  return config;
}

/** Fully connected layer `y = x·W + b` (Glorot-uniform weights, zero bias, as Keras). */
export function dense(args: DenseArgs & LayerName): LayerSpec {
  const units = positiveInt(args.units, 'dense', 'units');
  return layerSpec('dense', args.name, (inputShape, index) => {
    const inFeatures = last(inputShape, 'dense', index);
    const linear: Record<string, unknown> = { type: 'Linear', in_features: inFeatures, out_features: units, bias: args.useBias ?? true };
    const { l1 = 0, l2 = 0 } = args.kernelRegularizer ?? {};
    if (l1 > 0) linear.kernel_l1 = l1;
    if (l2 > 0) linear.kernel_l2 = l2;
    if (args.kernelConstraint !== undefined) linear.kernel_constraint = args.kernelConstraint;
    if (args.kernelInitializer !== undefined) linear.kernel_initializer = args.kernelInitializer;
    if (args.biasInitializer !== undefined) linear.bias_initializer = args.biasInitializer;
    if (l1 < 0 || l2 < 0) throw new ValueError(`dense: kernelRegularizer factors must be >= 0, got l1=${l1} l2=${l2}`);
    const configs: object[] = [linear];
    if (args.activation !== undefined && args.activation !== 'linear') configs.push(activationLayerConfig({ activation: args.activation }));
    if (args.activityRegularizer !== undefined) configs.push(activityConfig(args.activityRegularizer));
    return { configs, outputShape: [...inputShape.slice(0, -1), units] };
  });
}

/** A parameter-free activation layer. */
export function activation(args: ActivationArgs & LayerName): LayerSpec {
  const config = activationLayerConfig(args);
  return layerSpec('activation', args.name, (inputShape, index) => {
    const outputShape = [...inputShape];
    if (args.activation === 'maxout') {
      const pieces = args.pieces ?? 2;
      const d = last(inputShape, 'maxout', index);
      if (d % pieces !== 0) throw new ValueError(`layer ${index} (maxout): ${d} features are not divisible by pieces=${pieces}`);
      outputShape[outputShape.length - 1] = d / pieces;
    }
    return { configs: [config], outputShape };
  });
}

/**
 * Identity layer that adds a penalty on its input to the training loss (Keras'
 * `ActivityRegularization`, plus a KL sparsity target for sparse autoencoders). `evaluate`
 * reports the data loss without it.
 */
export function activityRegularization(args: ActivityRegularizerArgs & LayerName): LayerSpec {
  const config = activityConfig(args);
  return layerSpec('activityRegularization', args.name, (s) => ({ configs: [config], outputShape: s }));
}

/** Inverted dropout: drops a fraction `rate` of activations in training, identity in inference. */
export function dropout(args: { rate: number } & LayerName): LayerSpec {
  return layerSpec('dropout', args.name, (s) => ({ configs: [{ type: 'Dropout', p: args.rate }], outputShape: s }));
}

/** Adds `N(0, stddev²)` noise in training only. */
export function gaussianNoise(args: { stddev: number } & LayerName): LayerSpec {
  return layerSpec('gaussianNoise', args.name, (s) => ({ configs: [{ type: 'GaussianNoise', std: args.stddev }], outputShape: s }));
}

/** Options of {@link batchNormalization}. */
export interface BatchNormArgs {
  /** Added to the variance (default 1e-5, as PyTorch). */
  epsilon?: number;
  /** Weight of the new batch in the running statistics (default 0.1, PyTorch's convention). */
  momentum?: number;
}

/** Batch normalisation per feature of `[batch, features]`, or per channel of `[batch, channels, length]` and `[batch, channels, height, width]` (BatchNorm2d). */
export function batchNormalization(args: BatchNormArgs & LayerName = {}): LayerSpec {
  return layerSpec('batchNormalization', args.name, (inputShape, index) => {
    if (inputShape.length < 1) throw new ValueError(`layer ${index} (batchNormalization): needs a feature dimension`);
    const features = inputShape[0]!;
    return {
      configs: [{ type: inputShape.length === 3 ? 'BatchNorm2d' : 'BatchNorm1d', num_features: features, eps: args.epsilon ?? 1e-5, momentum: args.momentum ?? 0.1 }],
      outputShape: inputShape,
    };
  });
}

/** Layer normalisation over the last axis. */
export function layerNormalization(args: { epsilon?: number } & LayerName = {}): LayerSpec {
  return layerSpec('layerNormalization', args.name, (inputShape, index) => {
    const d = last(inputShape, 'layerNormalization', index);
    return { configs: [{ type: 'LayerNorm', normalized_shape: [d], eps: args.epsilon ?? 1e-5 }], outputShape: inputShape };
  });
}

/** Options of {@link embedding}. */
export interface EmbeddingArgs extends LayerName {
  /** Vocabulary size: ids are integers in `[0, inputDim)`. */
  inputDim: number;
  /** Vector size. */
  outputDim: number;
  /**
   * Id 0 is padding (Keras' `maskZero`, PyTorch's `padding_idx=0`): it always embeds to an exact
   * zero vector and its row is never trained, so a following recurrent layer with `maskValue: 0`
   * skips padded steps. Default false.
   */
  maskZero?: boolean;
  /** Weight initialiser (default `N(0, 1)`, as PyTorch; e.g. `{ type: 'randomUniform', minval: -0.05, maxval: 0.05 }` for Keras' default). */
  embeddingsInitializer?: InitializerSpec;
}

/** Lookup of `outputDim`-vectors for integer ids in `[0, inputDim)` (weights `N(0, 1)`, as PyTorch). */
export function embedding(args: EmbeddingArgs): LayerSpec {
  const n = positiveInt(args.inputDim, 'embedding', 'inputDim');
  const d = positiveInt(args.outputDim, 'embedding', 'outputDim');
  const config: Record<string, unknown> = { type: 'Embedding', num_embeddings: n, dim: d };
  if (args.maskZero) config.padding_idx = 0;
  if (args.embeddingsInitializer !== undefined) config.embeddings_initializer = args.embeddingsInitializer;
  return Object.assign(
    layerSpec('embedding', args.name, (s) => ({ configs: [config], outputShape: [...s, d] })),
    { embedding: { inputDim: n, outputDim: d } },
  );
}

/** @internal An embedding spec (what {@link tiedOutput} needs to know of it). */
type EmbeddingSpec = LayerSpec & { embedding: { inputDim: number; outputDim: number } };

/** Options of {@link tiedOutput}. */
export interface TiedOutputArgs extends LayerName {
  /** The `embedding` layer (of the same model) whose weight the projection reuses. */
  embedding: LayerSpec;
  /** A (not tied) bias per vocabulary entry (default true). */
  useBias?: boolean;
}

/**
 * Output projection tied to an embedding (Press & Wolf 2017): `logits = x · Eᵀ + b`, where `E`
 * is the `[inputDim, outputDim]` weight of `args.embedding`, which must be a layer of the same
 * model. Both uses train the one weight; it is saved once, and the tie is restored on load.
 */
export function tiedOutput(args: TiedOutputArgs): LayerSpec {
  const info = (args.embedding as Partial<EmbeddingSpec>).embedding;
  if (info === undefined) throw new ValueError(`tiedOutput: embedding must be an embedding layer, got ${args.embedding?.type}`);
  return layerSpec('tiedOutput', args.name, (inputShape, index) => {
    const d = last(inputShape, 'tiedOutput', index);
    if (d !== info.outputDim) throw new ValueError(`layer ${index} (tiedOutput): input features ${d} must equal the embedding's outputDim ${info.outputDim}`);
    return {
      configs: [{ type: 'TiedOutput', tied_to: args.embedding, num_embeddings: info.inputDim, bias: args.useBias ?? true }],
      outputShape: [...inputShape.slice(0, -1), info.inputDim],
    };
  });
}

/**
 * @internal Replaces the layer specs that `tiedOutput` configs reference by the native names of
 * those layers (`nameOf` returns undefined for a layer that is not in the model).
 */
export function resolveTies(configs: object[], nameOf: (spec: LayerSpec) => string | undefined): void {
  for (const c of configs as Array<Record<string, unknown>>) {
    if (c.type !== 'TiedOutput' || typeof c.tied_to === 'string') continue;
    const name = nameOf(c.tied_to as LayerSpec);
    if (name === undefined) throw new ValueError('tiedOutput: its embedding layer is not part of this model');
    c.tied_to = name;
  }
}

/** Flattens every axis after the batch axis. */
export function flatten(args: LayerName = {}): LayerSpec {
  return layerSpec('flatten', args.name, (s) => ({ configs: [{ type: 'Flatten', start: 1, end: -1 }], outputShape: [s.reduce((a, b) => a * b, 1)] }));
}

/** Reshapes each sample to `targetShape` (one entry may be -1); the batch axis is kept. */
export function reshape(args: { targetShape: number[] } & LayerName): LayerSpec {
  return layerSpec('reshape', args.name, (inputShape, index) => {
    const total = inputShape.reduce((a, b) => a * b, 1);
    const known = args.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const unknown = args.targetShape.filter((d) => d === -1).length;
    const outputShape = args.targetShape.map((d) => (d === -1 ? total / known : d));
    if (unknown > 1 || outputShape.some((d) => !Number.isInteger(d) || d < 0) || outputShape.reduce((a, b) => a * b, 1) !== total) {
      throw new ValueError(`layer ${index} (reshape): cannot reshape [${inputShape.join(', ')}] to [${args.targetShape.join(', ')}]`);
    }
    return { configs: [{ type: 'Reshape', shape: args.targetShape }], outputShape };
  });
}

/** Permutes the per-sample axes, numbered from 1 as in Keras (`permute({ dims: [2, 1] })`). */
export function permute(args: { dims: number[] } & LayerName): LayerSpec {
  return layerSpec('permute', args.name, (inputShape, index) => {
    const sorted = [...args.dims].sort((a, b) => a - b);
    if (sorted.length !== inputShape.length || sorted.some((d, i) => d !== i + 1)) {
      throw new ValueError(`layer ${index} (permute): dims must be a permutation of 1..${inputShape.length}, got [${args.dims.join(', ')}]`);
    }
    return { configs: [{ type: 'Permute', dims: args.dims }], outputShape: args.dims.map((d) => inputShape[d - 1]!) };
  });
}

/** A layer combining several symbolic tensors in a functional model. */
export interface MergeLayer {
  /** Merge kind (`'add'`, `'concatenate'`, ...). */
  readonly type: string;
  /** Combines the inputs (at least two; `subtract` takes exactly two). */
  apply(inputs: SymbolicTensor[]): SymbolicTensor;
}

function merge(op: string, args: LayerName & { axis?: number } = {}): MergeLayer {
  return { type: op, apply: (inputs) => applyMerge(op, inputs, args) };
}

/** Joins inputs along `axis` (default -1, the feature axis; counted with the batch axis as 0). */
export const concatenate = (args: LayerName & { axis?: number } = {}): MergeLayer => merge('concatenate', args);
/** Element-wise sum of same-shaped inputs (residual connections). */
export const add = (args: LayerName = {}): MergeLayer => merge('add', args);
/** `a - b` of two same-shaped inputs. */
export const subtract = (args: LayerName = {}): MergeLayer => merge('subtract', args);
/** Element-wise product of same-shaped inputs (gating). */
export const multiply = (args: LayerName = {}): MergeLayer => merge('multiply', args);
/** Element-wise mean of same-shaped inputs. */
export const average = (args: LayerName = {}): MergeLayer => merge('average', args);
/** Element-wise maximum of same-shaped inputs. */
export const maximum = (args: LayerName = {}): MergeLayer => merge('maximum', args);
/** Element-wise minimum of same-shaped inputs. */
export const minimum = (args: LayerName = {}): MergeLayer => merge('minimum', args);

export {
  adaptiveAveragePooling2d,
  averagePooling1d,
  averagePooling2d,
  conv1d,
  conv1dTranspose,
  conv2d,
  conv2dTranspose,
  globalAveragePooling1d,
  globalAveragePooling2d,
  globalMaxPooling1d,
  globalMaxPooling2d,
  maxPooling1d,
  maxPooling2d,
  spatialDropout2d,
  sumPooling2d,
  upSampling2d,
} from './layers_conv';
export type { ConvArgs, ConvPadding, ConvTransposeArgs, GlobalPoolArgs, Pair, PoolArgs } from './layers_conv';
export { bidirectional, gru, lstm, simpleRNN, timeDistributed, ugrnn } from './layers_recurrent';
export type { BidirectionalArgs, LstmArgs, MergeMode, RecurrentArgs, RecurrentLayerSpec, SimpleRnnArgs, TimeDistributedArgs } from './layers_recurrent';
export {
  learnedPositionalEmbedding,
  multiHeadAttention,
  rmsNormalization,
  sinusoidalPositionalEncoding,
  transformer,
  transformerDecoder,
  transformerDecoderLayer,
  transformerEncoder,
  transformerEncoderLayer,
} from './layers_attention';
export type { MultiHeadAttentionArgs, PositionalArgs, TransformerArgs, TransformerLayerArgs, TransformerStackArgs } from './layers_attention';

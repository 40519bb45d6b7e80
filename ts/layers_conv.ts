/**
 * Convolutional layer factories, Keras names over the engine's NCHW layout: inputs are
 * `[channels, height, width]` per sample (`[channels, length]` for 1-D layers), weights
 * `[filters, channels/groups, kh, kw]` as PyTorch's. Data stored channels-last (NHWC, as in
 * tfjs) converts with `x.permute([0, 3, 1, 2])`.
 */

import { ValueError } from './errors';
import type { ActivationName, LayerName, LayerSpec } from './layers';
import { activationLayerConfig, layerSpec } from './layers';
import type { InitializerSpec } from './initializers';

/** One size for both spatial axes, or `[height, width]`. */
export type Pair = number | [number, number];

const pair = (v: Pair, what: string, layer: string): [number, number] => {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d > 0)) throw new ValueError(`${layer}: ${what} must be positive integers, got ${JSON.stringify(v)}`);
  return p;
};

/** How a convolution pads: `'valid'` (none), `'same'` (output = ceil(input / stride)), or explicit zeros. */
export type ConvPadding = 'valid' | 'same' | number | [number, number] | [number, number, number, number];

function paddingConfig(p: ConvPadding | undefined, layer: string, oneD: boolean): string | number[] {
  if (p === undefined || p === 'valid' || p === 'same') return p ?? 'valid';
  const list = typeof p === 'number' ? (oneD ? [0, 0, p, p] : [p, p, p, p]) : p.length === 2 ? (oneD ? [0, 0, p[0], p[1]] : [p[0], p[0], p[1], p[1]]) : [...p];
  if (!list.every((d) => Number.isInteger(d) && d >= 0)) throw new ValueError(`${layer}: padding must be non-negative integers, got ${JSON.stringify(p)}`);
  return list;
}

function outSize(input: number, k: number, s: number, d: number, before: number, after: number): number {
  return Math.floor((input + before + after - d * (k - 1) - 1) / s) + 1;
}

/** Options of {@link conv2d} and {@link conv1d}. */
export interface ConvArgs extends LayerName {
  /** Output channels. */
  filters: number;
  /** Window `k` or `[kh, kw]` (1-D layers: a number). */
  kernelSize: Pair;
  /** Stride (default 1). */
  strides?: Pair;
  /** Padding (default `'valid'`); `'same'` pads one more at the bottom/right when the total is odd, as TensorFlow. */
  padding?: ConvPadding;
  /** Dilation (default 1). */
  dilationRate?: Pair;
  /** Channel groups (default 1; `groups = channels` is a depthwise convolution). */
  groups?: number;
  /** Learn a bias (default true). */
  useBias?: boolean;
  /** Activation after the convolution (default linear). */
  activation?: ActivationName;
  /** Weight initializer (default `'glorotUniform'`, as Keras). */
  kernelInitializer?: InitializerSpec;
  /** Bias initializer (default `'zeros'`). */
  biasInitializer?: InitializerSpec;
}

function conv(args: ConvArgs, oneD: boolean): LayerSpec {
  const layer = oneD ? 'conv1d' : 'conv2d';
  const filters = args.filters;
  if (!Number.isInteger(filters) || filters <= 0) throw new ValueError(`${layer}: filters must be a positive integer, got ${filters}`);
  const k = oneD ? [1, pair(args.kernelSize as number, 'kernelSize', layer)[0]] : pair(args.kernelSize, 'kernelSize', layer);
  const s = oneD ? [1, pair((args.strides ?? 1) as number, 'strides', layer)[0]] : pair(args.strides ?? 1, 'strides', layer);
  const d = oneD ? [1, pair((args.dilationRate ?? 1) as number, 'dilationRate', layer)[0]] : pair(args.dilationRate ?? 1, 'dilationRate', layer);
  const padding = paddingConfig(args.padding, layer, oneD);
  const groups = args.groups ?? 1;
  return layerSpec(layer, args.name, (inputShape, index) => {
    const rank = oneD ? 2 : 3;
    if (inputShape.length !== rank) throw new ValueError(`layer ${index} (${layer}): expects per-sample input [channels, ${oneD ? 'length' : 'height, width'}], got [${inputShape.join(', ')}]`);
    const channels = inputShape[0]!;
    if (channels % groups !== 0 || filters % groups !== 0) throw new ValueError(`layer ${index} (${layer}): groups ${groups} must divide ${channels} input channels and ${filters} filters`);
    const spatial = oneD ? [1, inputShape[1]!] : [inputShape[1]!, inputShape[2]!];
    const out = spatial.map((size, a) => {
      if (padding === 'same') return Math.ceil(size / s[a]!);
      const [before, after] = padding === 'valid' ? [0, 0] : [(padding as number[])[2 * a]!, (padding as number[])[2 * a + 1]!];
      return outSize(size, k[a]!, s[a]!, d[a]!, before, after);
    });
    if (out.some((o) => o <= 0)) throw new ValueError(`layer ${index} (${layer}): a ${k.join('x')} window does not fit input [${inputShape.join(', ')}]`);
    const config: Record<string, unknown> = {
      type: oneD ? 'Conv1d' : 'Conv2d',
      in_channels: channels,
      out_channels: filters,
      kernel: k,
      stride: s,
      dilation: d,
      groups,
      bias: args.useBias ?? true,
      padding,
    };
    if (args.kernelInitializer !== undefined) config.kernel_initializer = args.kernelInitializer;
    if (args.biasInitializer !== undefined) config.bias_initializer = args.biasInitializer;
    const configs: object[] = [config];
    if (args.activation !== undefined && args.activation !== 'linear') configs.push(activationLayerConfig({ activation: args.activation }));
    return { configs, outputShape: oneD ? [filters, out[1]!] : [filters, out[0]!, out[1]!] };
  });
}

/** 2-D convolution over `[channels, height, width]` samples. */
export const conv2d = (args: ConvArgs): LayerSpec => conv(args, false);
/** 1-D convolution over `[channels, length]` samples. */
export const conv1d = (args: ConvArgs): LayerSpec => conv(args, true);

/** Options of {@link conv2dTranspose} and {@link conv1dTranspose}. */
export interface ConvTransposeArgs extends LayerName {
  /** Output channels. */
  filters: number;
  /** Window. */
  kernelSize: Pair;
  /** Stride (default 1): the upsampling factor. */
  strides?: Pair;
  /** `'valid'` (default: output `(in - 1)·s + k`), `'same'` (output `in · s`), or PyTorch's symmetric `padding` removed from the output. */
  padding?: 'valid' | 'same' | Pair;
  /** Extra rows/columns at the bottom/right (PyTorch's `output_padding`). */
  outputPadding?: Pair;
  /** Dilation (default 1). */
  dilationRate?: Pair;
  /** Channel groups (default 1). */
  groups?: number;
  /** Learn a bias (default true). */
  useBias?: boolean;
  /** Activation after the convolution. */
  activation?: ActivationName;
}

function convTranspose(args: ConvTransposeArgs, oneD: boolean): LayerSpec {
  const layer = oneD ? 'conv1dTranspose' : 'conv2dTranspose';
  const one = (v: Pair | undefined, dflt: number, what: string): [number, number] =>
    oneD ? [1, pair((v ?? dflt) as number, what, layer)[0]] : pair(v ?? dflt, what, layer);
  const k = one(args.kernelSize, 1, 'kernelSize');
  const s = one(args.strides, 1, 'strides');
  const d = one(args.dilationRate, 1, 'dilationRate');
  const groups = args.groups ?? 1;
  return layerSpec(layer, args.name, (inputShape, index) => {
    const rank = oneD ? 2 : 3;
    if (inputShape.length !== rank) throw new ValueError(`layer ${index} (${layer}): expects per-sample input of rank ${rank}, got [${inputShape.join(', ')}]`);
    const channels = inputShape[0]!;
    const spatial = oneD ? [1, inputShape[1]!] : [inputShape[1]!, inputShape[2]!];
    // 'same': output in·s, from PyTorch's formula with padding p and output padding op:
    // (in - 1)s - 2p + d(k - 1) + op + 1 = in·s  =>  2p - op = d(k - 1) + 1 - s.
    let pad: [number, number] = [0, 0];
    let outPad: [number, number] = args.outputPadding === undefined ? [0, 0] : (oneD ? [0, pair(args.outputPadding as number, 'outputPadding', layer)[0]] : pair(args.outputPadding, 'outputPadding', layer));
    if (args.padding === 'same') {
      const need = [0, 1].map((a) => d[a]! * (k[a]! - 1) + 1 - s[a]!);
      if (need.some((n) => n < 0)) throw new ValueError(`layer ${index} (${layer}): 'same' needs kernel >= stride`);
      pad = [Math.ceil(need[0]! / 2), Math.ceil(need[1]! / 2)];
      outPad = [2 * pad[0] - need[0]!, 2 * pad[1] - need[1]!];
    } else if (args.padding !== undefined && args.padding !== 'valid') {
      const p = typeof args.padding === 'number' ? [args.padding, args.padding] : args.padding;
      pad = oneD ? [0, p[0]!] : [p[0]!, p[1]!];
    }
    const out = [0, 1].map((a) => (spatial[a]! - 1) * s[a]! - 2 * pad[a]! + d[a]! * (k[a]! - 1) + outPad[a]! + 1);
    if (out.some((o) => o <= 0)) throw new ValueError(`layer ${index} (${layer}): empty output for input [${inputShape.join(', ')}]`);
    const configs: object[] = [
      {
        type: oneD ? 'ConvTranspose1d' : 'ConvTranspose2d',
        in_channels: channels,
        out_channels: args.filters,
        kernel: k,
        stride: s,
        dilation: d,
        groups,
        bias: args.useBias ?? true,
        padding: pad,
        output_padding: outPad,
      },
    ];
    if (args.activation !== undefined && args.activation !== 'linear') configs.push(activationLayerConfig({ activation: args.activation }));
    return { configs, outputShape: oneD ? [args.filters, out[1]!] : [args.filters, out[0]!, out[1]!] };
  });
}

/** Transposed 2-D convolution (learned upsampling, decoders). */
export const conv2dTranspose = (args: ConvTransposeArgs): LayerSpec => convTranspose(args, false);
/** Transposed 1-D convolution. */
export const conv1dTranspose = (args: ConvTransposeArgs): LayerSpec => convTranspose(args, true);

/** Options of the pooling layers. */
export interface PoolArgs extends LayerName {
  /** Window (default 2). */
  poolSize?: Pair;
  /** Stride (default: the window). */
  strides?: Pair;
  /** `'valid'` (default) drops a partial last window; `'same'` keeps it (output = ceil(input / stride)); a number pads both sides (at most half the window). */
  padding?: 'valid' | 'same' | Pair;
}

function pool(kind: 'max' | 'avg' | 'sum', args: PoolArgs, oneD: boolean): LayerSpec {
  const layer = `${kind}Pooling${oneD ? '1d' : '2d'}`;
  const k = oneD ? [1, pair((args.poolSize ?? 2) as number, 'poolSize', layer)[0]] : pair(args.poolSize ?? 2, 'poolSize', layer);
  const s = args.strides === undefined ? k : oneD ? [1, pair(args.strides as number, 'strides', layer)[0]] : pair(args.strides, 'strides', layer);
  const same = args.padding === 'same';
  const p: [number, number] =
    args.padding === undefined || args.padding === 'valid' || same
      ? [0, 0]
      : typeof args.padding === 'number'
        ? oneD
          ? [0, args.padding]
          : [args.padding, args.padding]
        : [(args.padding as [number, number])[0], (args.padding as [number, number])[1]];
  return layerSpec(layer, args.name, (inputShape, index) => {
    const rank = oneD ? 2 : 3;
    if (inputShape.length !== rank) throw new ValueError(`layer ${index} (${layer}): expects per-sample input of rank ${rank}, got [${inputShape.join(', ')}]`);
    const spatial = oneD ? [1, inputShape[1]!] : [inputShape[1]!, inputShape[2]!];
    const out = [0, 1].map((a) => {
      const span = spatial[a]! + 2 * p[a]! - k[a]!;
      return (same ? Math.ceil(span / s[a]!) : Math.floor(span / s[a]!)) + 1;
    });
    if (out.some((o) => o <= 0)) throw new ValueError(`layer ${index} (${layer}): a ${k.join('x')} window does not fit input [${inputShape.join(', ')}]`);
    const config = { type: oneD ? 'Pool1d' : 'Pool2d', kind, kernel: k, stride: s, padding: p, ceil_mode: same, count_include_pad: !same };
    return { configs: [config], outputShape: oneD ? [inputShape[0]!, out[1]!] : [inputShape[0]!, out[0]!, out[1]!] };
  });
}

/** Max pooling over `[C, H, W]` samples. */
export const maxPooling2d = (args: PoolArgs = {}): LayerSpec => pool('max', args, false);
/** Average pooling over `[C, H, W]` samples. */
export const averagePooling2d = (args: PoolArgs = {}): LayerSpec => pool('avg', args, false);
/** Sum pooling over `[C, H, W]` samples. */
export const sumPooling2d = (args: PoolArgs = {}): LayerSpec => pool('sum', args, false);
/** Max pooling over `[C, L]` samples. */
export const maxPooling1d = (args: PoolArgs = {}): LayerSpec => pool('max', args, true);
/** Average pooling over `[C, L]` samples. */
export const averagePooling1d = (args: PoolArgs = {}): LayerSpec => pool('avg', args, true);

/** Options of the global pooling layers. */
export interface GlobalPoolArgs extends LayerName {
  /**
   * `'channelsFirst'` (default): samples are `[C, ...spatial]`, as the convolution layers emit.
   * `'channelsLast'`: samples are `[...steps, C]`, as recurrent and transformer layers emit; the
   * result is the mean/max over the steps (mean-pooling a sequence).
   */
  dataFormat?: 'channelsFirst' | 'channelsLast';
}

function globalPool(kind: 'max' | 'avg', args: GlobalPoolArgs): LayerSpec {
  const layer = `global${kind === 'max' ? 'Max' : 'Average'}Pooling`;
  const last = args.dataFormat === 'channelsLast';
  if (args.dataFormat !== undefined && !last && args.dataFormat !== 'channelsFirst') {
    throw new ValueError(`${layer}: dataFormat must be 'channelsFirst' or 'channelsLast', got '${String(args.dataFormat)}'`);
  }
  return layerSpec(layer, args.name, (inputShape, index) => {
    if (inputShape.length < 2) {
      throw new ValueError(`layer ${index} (${layer}): expects ${last ? '[...steps, channels]' : '[channels, ...spatial]'} samples, got [${inputShape.join(', ')}]`);
    }
    const config = last ? { type: 'GlobalPool', kind, channels_last: true } : { type: 'GlobalPool', kind };
    return { configs: [config], outputShape: [last ? inputShape.at(-1)! : inputShape[0]!] };
  });
}

/** Mean over every spatial position: `[C, ...] -> [C]` (or `[..., C] -> [C]` with `dataFormat: 'channelsLast'`). */
export const globalAveragePooling2d = (args: GlobalPoolArgs = {}): LayerSpec => globalPool('avg', args);
/** Maximum over every spatial position: `[C, ...] -> [C]` (or `[..., C] -> [C]` with `dataFormat: 'channelsLast'`). */
export const globalMaxPooling2d = (args: GlobalPoolArgs = {}): LayerSpec => globalPool('max', args);
/** 1-D global average pooling (same computation); `dataFormat: 'channelsLast'` mean-pools a `[steps, features]` sequence. */
export const globalAveragePooling1d = globalAveragePooling2d;
/** 1-D global max pooling (same computation); `dataFormat: 'channelsLast'` max-pools a `[steps, features]` sequence. */
export const globalMaxPooling1d = globalMaxPooling2d;

/** Average pooling to a fixed `[C, h, w]` output whatever the input size (PyTorch's bins). */
export function adaptiveAveragePooling2d(args: { outputSize: Pair } & LayerName): LayerSpec {
  const [h, w] = pair(args.outputSize, 'outputSize', 'adaptiveAveragePooling2d');
  return layerSpec('adaptiveAveragePooling2d', args.name, (inputShape, index) => {
    if (inputShape.length !== 3) throw new ValueError(`layer ${index} (adaptiveAveragePooling2d): expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    return { configs: [{ type: 'AdaptivePool2d', kind: 'avg', output: [h, w] }], outputShape: [inputShape[0]!, h, w] };
  });
}

/** Upsampling by integer factors, `'nearest'` (default) or `'bilinear'`. */
export function upSampling2d(args: { size?: Pair; interpolation?: 'nearest' | 'bilinear' } & LayerName = {}): LayerSpec {
  const [fh, fw] = pair(args.size ?? 2, 'size', 'upSampling2d');
  return layerSpec('upSampling2d', args.name, (inputShape, index) => {
    if (inputShape.length !== 3) throw new ValueError(`layer ${index} (upSampling2d): expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    return { configs: [{ type: 'Upsample', scale: [fh, fw], mode: args.interpolation ?? 'nearest' }], outputShape: [inputShape[0]!, inputShape[1]! * fh, inputShape[2]! * fw] };
  });
}

/** Drops whole channels of conv feature maps in training (Keras `SpatialDropout2D`). */
export function spatialDropout2d(args: { rate: number } & LayerName): LayerSpec {
  return layerSpec('spatialDropout2d', args.name, (s) => ({ configs: [{ type: 'SpatialDropout', p: args.rate }], outputShape: s }));
}

/**
 * The functional (graph) API, Keras style: start from {@link input}, call layers on symbolic
 * tensors with `layer.apply(x)`, combine branches with merge layers (`layers.add()`,
 * `layers.concatenate()`, ...), and turn inputs and outputs into a trainable {@link Model}:
 *
 * ```ts
 * const x = input({ shape: [16] });
 * const h = layers.dense({ units: 16, activation: 'relu' }).apply(x);
 * const y = layers.dense({ units: 3 }).apply(layers.add().apply([x, h]));   // a residual block
 * const net = model({ inputs: x, outputs: y });
 * ```
 *
 * Applying the same layer object twice shares its weights (siamese branches).
 */

import { NativeModel } from './native';
import { ValueError, native } from './errors';
import { type LayerSpec, resolveTies } from './layers';
import { Model } from './model';
import type { Tensor } from './tensor';

/** How a symbolic tensor was produced. */
type Producer =
  | { kind: 'input'; name: string | undefined }
  | { kind: 'layer'; spec: LayerSpec; configs: object[]; input: SymbolicTensor }
  | { kind: 'call'; spec: LayerSpec; config: object; inputs: SymbolicTensor[] }
  | { kind: 'output'; call: SymbolicTensor; index: number }
  | { kind: 'merge'; op: string; axis: number | undefined; name: string | undefined; inputs: SymbolicTensor[] };

/**
 * A placeholder for a tensor in a graph being defined: it knows its per-sample shape (batch
 * dimension excluded) and how it is computed, but holds no data.
 */
export class SymbolicTensor {
  /** Per-sample shape (without the batch dimension). */
  readonly shape: number[];
  /** @internal */
  readonly producer: Producer;

  /** @internal Created by {@link input}, `layer.apply` and merge layers. */
  constructor(shape: number[], producer: Producer) {
    this.shape = [...shape];
    this.producer = producer;
  }
}

/** Options of {@link input}. */
export interface InputArgs {
  /** Shape of one sample, without the batch dimension (e.g. `[784]`). */
  shape: number[];
  /** Node name (default `input`, `input_1`, ...). */
  name?: string;
}

/** A graph input of per-sample `shape`. */
export function input(args: InputArgs): SymbolicTensor {
  if (!args.shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(`input: shape must be positive integers, got [${args.shape.join(', ')}]`);
  }
  return new SymbolicTensor(args.shape, { kind: 'input', name: args.name });
}

/** @internal Applies a layer spec to a symbolic tensor (what `layer.apply` does). */
export function applyLayer(spec: LayerSpec, x: SymbolicTensor): SymbolicTensor {
  if (!(x instanceof SymbolicTensor)) {
    throw new ValueError(`${spec.type}.apply: expected a symbolic tensor from input() or another layer`);
  }
  const built = spec.build(x.shape, 0);
  return new SymbolicTensor(built.outputShape, { kind: 'layer', spec, configs: built.configs, input: x });
}

/**
 * @internal Calls a layer with several inputs or results (a recurrent layer given initial states
 * or returning its final states, attention over query/key/value) on symbolic tensors; returns
 * one symbolic tensor per result.
 */
export function applyLayerMulti(spec: LayerSpec, inputs: SymbolicTensor[]): SymbolicTensor[] {
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((t) => t instanceof SymbolicTensor)) {
    throw new ValueError(`${spec.type}.applyMulti: expected a non-empty list of symbolic tensors from input() or other layers`);
  }
  if (spec.buildMulti === undefined) {
    if (inputs.length !== 1) throw new ValueError(`${spec.type}.applyMulti: this layer takes one input, got ${inputs.length}`);
    return [applyLayer(spec, inputs[0]!)];
  }
  const built = spec.buildMulti(inputs.map((t) => t.shape));
  const call = new SymbolicTensor(built.outputShapes[0] ?? [], { kind: 'call', spec, config: built.config, inputs });
  return built.outputShapes.map((shape, index) => new SymbolicTensor(shape, { kind: 'output', call, index }));
}

/** @internal Applies a merge to several symbolic tensors, inferring the output shape. */
export function applyMerge(op: string, inputs: SymbolicTensor[], options: { axis?: number; name?: string }): SymbolicTensor {
  if (!Array.isArray(inputs) || inputs.length < 2 || !inputs.every((t) => t instanceof SymbolicTensor)) {
    throw new ValueError(`${op}: expects a list of at least 2 symbolic tensors`);
  }
  if (op === 'subtract' && inputs.length !== 2) throw new ValueError(`subtract: expects exactly 2 inputs, got ${inputs.length}`);
  const first = inputs[0]!.shape;
  const describe = inputs.map((t) => `[${t.shape.join(', ')}]`).join(', ');
  let shape: number[];
  if (op === 'concatenate') {
    const rank = first.length + 1; // with the batch axis
    const axis = (options.axis ?? -1) < 0 ? (options.axis ?? -1) + rank : options.axis!;
    if (axis <= 0 || axis >= rank) throw new ValueError(`concatenate: axis ${options.axis} is out of range for per-sample shapes ${describe} (axis 0 is the batch)`);
    const ok = inputs.every((t) => t.shape.length === first.length && t.shape.every((d, i) => i === axis - 1 || d === first[i]));
    if (!ok) throw new ValueError(`concatenate: shapes ${describe} differ off axis ${options.axis ?? -1}`);
    shape = [...first];
    shape[axis - 1] = inputs.reduce((sum, t) => sum + t.shape[axis - 1]!, 0);
  } else {
    if (!inputs.every((t) => t.shape.length === first.length && t.shape.every((d, i) => d === first[i]))) {
      throw new ValueError(`${op}: inputs must have the same shape, got ${describe}`);
    }
    shape = [...first];
  }
  return new SymbolicTensor(shape, { kind: 'merge', op, axis: options.axis, name: options.name, inputs });
}

/** Options of {@link model}. */
export interface ModelArgs<O extends SymbolicTensor | SymbolicTensor[]> {
  /** The graph inputs, in the order `fit`/`predict` take their tensors. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The outputs: one symbolic tensor, or a list (then `predict`/`forward` return lists). */
  outputs: O;
}

/** Unique names: a requested name must be free; otherwise `base`, `base_1`, `base_2`, ... */
class Names {
  private readonly used = new Set<string>();

  take(requested: string | undefined, base: string, what: string): string {
    if (requested !== undefined) {
      if (requested === '' || requested.includes('.') || this.used.has(requested)) {
        throw new ValueError(`model: ${what} name '${requested}' is empty, contains '.', or is used twice`);
      }
      this.used.add(requested);
      return requested;
    }
    for (let k = 0; ; k++) {
      const name = k === 0 ? base : `${base}_${k}`;
      if (!this.used.has(name)) {
        this.used.add(name);
        return name;
      }
    }
  }
}

/**
 * Builds a trainable model from the graph between `inputs` and `outputs`. Layers applied more
 * than once share weights; every layer's parameters are named after it (`dense_1.weight`).
 */
export function model<O extends SymbolicTensor | SymbolicTensor[]>(args: ModelArgs<O>): Model<O extends SymbolicTensor[] ? Tensor[] : Tensor> {
  const inputs = Array.isArray(args.inputs) ? args.inputs : [args.inputs];
  const outputs: SymbolicTensor[] = Array.isArray(args.outputs) ? args.outputs : [args.outputs as SymbolicTensor];
  if (outputs.length === 0) throw new ValueError('model: needs at least one output');

  // Depth-first post-order from the outputs gives a topological order.
  const order: SymbolicTensor[] = [];
  const state = new Map<SymbolicTensor, 'visiting' | 'done'>();
  const visit = (t: SymbolicTensor): void => {
    if (state.get(t) === 'done') return;
    const p = t.producer;
    if (p.kind === 'input' && !inputs.includes(t)) {
      throw new ValueError(`model: the outputs depend on input '${p.name ?? '(unnamed)'}' [${t.shape.join(', ')}], which is not listed in inputs`);
    }
    state.set(t, 'visiting');
    if (p.kind === 'layer') visit(p.input);
    if (p.kind === 'merge' || p.kind === 'call') p.inputs.forEach(visit);
    if (p.kind === 'output') visit(p.call);
    state.set(t, 'done');
    order.push(t);
  };
  inputs.forEach((t) => {
    if (!(t instanceof SymbolicTensor) || t.producer.kind !== 'input') throw new ValueError('model: inputs must come from input()');
  });
  outputs.forEach(visit);
  // Inputs the outputs do not use are still inputs (fit passes them); keep them in the graph.
  inputs.forEach((t) => {
    if (!state.has(t)) {
      state.set(t, 'done');
      order.unshift(t);
    }
  });

  const layerNames = new Names();
  const nodeNames = new Names();
  const layers: Array<{ name: string; config: object }> = [];
  const nodes: object[] = [];
  const nodeOf = new Map<SymbolicTensor, string>();
  const layerOf = new Map<LayerSpec, { names: string[]; configs: string; calls: number }>();
  // Multi-input/-result layers are one native layer each; calling one again shares its weights.
  const callLayers = new Map<LayerSpec, { name: string; config: string }>();
  const callLayerName = (spec: LayerSpec, config: object): string => {
    const json = JSON.stringify(config);
    const known = callLayers.get(spec);
    if (known !== undefined) {
      if (known.config !== json) throw new ValueError(`model: shared layer '${known.name}' is applied to inputs of a different shape than at its first use`);
      return known.name;
    }
    const name = layerNames.take(spec.name, spec.type, 'layer');
    layers.push({ name, config: { ...config } });
    callLayers.set(spec, { name, config: json });
    return name;
  };
  for (const t of order) {
    const p = t.producer;
    if (p.kind === 'input') {
      const name = nodeNames.take(p.name, 'input', 'input');
      nodes.push({ name, op: 'input', index: inputs.indexOf(t) });
      nodeOf.set(t, name);
    } else if (p.kind === 'call') {
      const name = callLayerName(p.spec, p.config);
      const node = nodeNames.take(undefined, name, 'node');
      nodes.push({ name: node, op: 'layer', layer: name, inputs: p.inputs.map((i) => nodeOf.get(i)!) });
      nodeOf.set(t, node);
    } else if (p.kind === 'output') {
      const call = nodeOf.get(p.call)!;
      const name = nodeNames.take(undefined, `${call}:${p.index}`, 'node');
      nodes.push({ name, op: 'output', index: p.index, inputs: [call] });
      nodeOf.set(t, name);
    } else if (p.kind === 'merge') {
      const name = nodeNames.take(p.name, p.op, 'layer');
      const node: Record<string, unknown> = { name, op: p.op, inputs: p.inputs.map((i) => nodeOf.get(i)!) };
      if (p.op === 'concatenate') node.axis = p.axis ?? -1;
      nodes.push(node);
      nodeOf.set(t, name);
    } else {
      let entry = layerOf.get(p.spec);
      const configs = JSON.stringify(p.configs);
      if (entry === undefined) {
        const base = layerNames.take(p.spec.name, p.spec.type, 'layer');
        const names = p.configs.map((c, j) => (j === 0 ? base : `${base}_${String((c as { type?: string }).type ?? j).toLowerCase()}`));
        names.slice(1).forEach((n) => layerNames.take(n, n, 'layer'));
        p.configs.forEach((config, j) => layers.push({ name: names[j]!, config: { ...config } }));
        entry = { names, configs, calls: 0 };
        layerOf.set(p.spec, entry);
      } else if (entry.configs !== configs) {
        throw new ValueError(`model: shared layer '${entry.names[0]}' is applied to inputs of a different shape ([${p.input.shape.join(', ')}]) than at its first use`);
      }
      const call = entry.calls++;
      const suffix = call === 0 ? '' : `@${call}`;
      let previous = nodeOf.get(p.input)!;
      entry.names.forEach((layerName, j) => {
        const last = j === entry!.names.length - 1;
        const name = nodeNames.take(undefined, last ? `${entry!.names[0]}${suffix}` : `${entry!.names[0]}/${j}${suffix}`, 'node');
        nodes.push({ name, op: 'layer', layer: layerName, inputs: [previous] });
        previous = name;
      });
      nodeOf.set(t, previous);
    }
  }
  resolveTies(
    layers.map((l) => l.config),
    (spec) => layerOf.get(spec)?.names[0] ?? callLayers.get(spec)?.name,
  );
  const config = JSON.stringify({ type: 'Graph', layers, nodes, outputs: outputs.map((o) => nodeOf.get(o)!) });
  const handle = native(() => NativeModel.fromConfig(config));
  return new Model(handle, inputs.map((i) => i.shape), Array.isArray(args.outputs)) as Model<O extends SymbolicTensor[] ? Tensor[] : Tensor>;
}

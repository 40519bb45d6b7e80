/** State dicts of {@link Module}: copies of named parameters and buffers, and validated loading. */

import { ShapeError, ValueError, nativeAsync } from './errors';
import { loadTensors, saveTensors } from './native';
import { Tensor } from './tensor';

/** One saved tensor: a row-major copy of its elements and its shape. */
export interface StateEntry {
  /** Dimensions of the tensor. */
  shape: number[];
  /** The elements, row-major (`shape` product of them). */
  data: Float32Array;
}

/** Dotted name (`'encoder.0.weight'`) → saved tensor, in traversal order, as PyTorch's `state_dict()`. */
export type StateDict = Record<string, StateEntry>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Require exactly the module's names (default `true`, as PyTorch). With `false`, missing and
   * unexpected names are reported in the result instead of thrown; shapes are always checked.
   */
  strict?: boolean;
}

/** What {@link Module.loadStateDict} did not match (both empty after a strict load). */
export interface LoadStateDictResult {
  /** Names of the module that the state did not provide (left unchanged). */
  missingKeys: string[];
  /** Names in the state that the module does not have (ignored). */
  unexpectedKeys: string[];
}

const dims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Copies named tensors into a state dict. @internal */
export function snapshot(named: Array<[string, Tensor]>): StateDict {
  const state: StateDict = {};
  for (const [name, t] of named) state[name] = { shape: t.shape, data: t.dataSync() };
  return state;
}

/** The shape and elements of one state value (a {@link StateEntry} or a Tensor), validated. */
function entryOf(op: string, name: string, value: unknown): StateEntry {
  if (value instanceof Tensor) return { shape: value.shape, data: value.dataSync() };
  const e = value as Partial<StateEntry> | null;
  if (e === null || typeof e !== 'object' || !Array.isArray(e.shape) || !(e.data instanceof Float32Array)) {
    throw new ValueError(`${op}: '${name}' must be a Tensor or { shape: number[], data: Float32Array }`);
  }
  const size = e.shape.reduce((a, b) => a * b, 1);
  if (e.data.length !== size) {
    throw new ShapeError(`${op}: '${name}' has ${e.data.length} elements but its shape ${dims(e.shape)} needs ${size}`);
  }
  return { shape: e.shape, data: e.data };
}

/**
 * Validates `state` against the module's named tensors — every problem reported at once, before
 * anything is written — then copies the values in place.
 * @internal
 */
export function loadState(
  op: string,
  target: Array<[string, Tensor]>,
  state: Record<string, StateEntry | Tensor>,
  strict: boolean,
): LoadStateDictResult {
  if (state === null || typeof state !== 'object') throw new ValueError(`${op}: expected an object of name → tensor, got ${String(state)}`);
  const names = new Set(target.map(([n]) => n));
  const missingKeys = target.map(([n]) => n).filter((n) => !Object.hasOwn(state, n));
  const unexpectedKeys = Object.keys(state).filter((n) => !names.has(n));
  if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
    const parts = [];
    if (missingKeys.length > 0) parts.push(`missing ${missingKeys.map((n) => `'${n}'`).join(', ')}`);
    if (unexpectedKeys.length > 0) parts.push(`unexpected ${unexpectedKeys.map((n) => `'${n}'`).join(', ')}`);
    throw new ValueError(`${op}: names do not match (${parts.join('; ')}); pass { strict: false } to load a subset`);
  }
  const writes: Array<[Tensor, Float32Array]> = [];
  const mismatched: string[] = [];
  for (const [name, t] of target) {
    if (!Object.hasOwn(state, name)) continue;
    const entry = entryOf(op, name, state[name]);
    if (dims(entry.shape) !== dims(t.shape)) mismatched.push(`'${name}': got ${dims(entry.shape)}, expected ${dims(t.shape)}`);
    else writes.push([t, entry.data]);
  }
  if (mismatched.length > 0) throw new ShapeError(`${op}: shape mismatch for ${mismatched.join('; ')}`);
  for (const [t, data] of writes) t.assign(data);
  return { missingKeys, unexpectedKeys };
}

/** @internal Writes `named` tensors to a safetensors file, off the JS thread and atomically. */
export async function saveWeightsFile(path: string, named: Array<[string, Tensor]>): Promise<void> {
  await nativeAsync(() => saveTensors(path, named.map(([n]) => n), named.map(([, t]) => t.native)));
}

/**
 * @internal Reads a safetensors file off the JS thread and loads it into `target` like
 * {@link loadState} (validated names and shapes, nothing written on error).
 */
export async function loadWeightsFile(op: string, path: string, target: Array<[string, Tensor]>, strict: boolean): Promise<LoadStateDictResult> {
  const file = await nativeAsync(() => loadTensors(path));
  const state: Record<string, Tensor> = {};
  for (const name of file.names()) state[name] = new Tensor(file.get(name)!);
  try {
    return loadState(op, target, state, strict);
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
}

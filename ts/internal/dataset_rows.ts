/**
 * Random access into in-memory tensors sliced along axis 0 (the source of `Dataset.fromTensors`).
 *
 * Sample `i` is a view of row `i` of every tensor. A batch of rows is gathered with one
 * `indexSelect` per tensor, so a shuffled batch of 64 costs a handful of native calls instead of
 * 64 slices and a stack per tensor.
 *
 * @internal
 */

import type { TensorSlices as TensorTable } from '../dataset';
import { ShapeError, ValueError } from '../errors';
import { Tensor, tensor } from '../tensor';
import { adopt, isRecord } from './dataset_elements';

/** Applies `fn` to every tensor of the table, keeping its structure. */
export function mapTable(table: TensorTable, fn: (t: Tensor) => Tensor): unknown {
  if (table instanceof Tensor) return fn(table);
  if (Array.isArray(table)) return table.map(fn);
  const out: Record<string, Tensor> = {};
  for (const [key, t] of Object.entries(table)) out[key] = fn(t);
  return out;
}

function tensorsOf(table: TensorTable): Array<[string, unknown]> {
  if (table instanceof Tensor) return [['tensor', table]];
  if (Array.isArray(table)) return table.map((t, i) => [`tensor ${i}`, t]);
  if (isRecord(table)) return Object.entries(table);
  throw new ValueError('Dataset.fromTensors: expected a Tensor, an array of Tensors or a record of Tensors');
}

/** Checks the table and returns its number of rows. */
export function rowCount(table: TensorTable): number {
  const entries = tensorsOf(table);
  if (entries.length === 0) throw new ValueError('Dataset.fromTensors: needs at least one tensor');
  let rows: number | undefined;
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new ValueError(`Dataset.fromTensors: ${name} is not a Tensor`);
    const shape = t.shape;
    if (shape.length === 0) throw new ShapeError(`Dataset.fromTensors: ${name} is 0-d; samples are sliced along axis 0`);
    rows ??= shape[0]!;
    if (shape[0] !== rows) {
      throw new ShapeError(`Dataset.fromTensors: every tensor needs the same first dimension, got ${rows} and ${shape[0]} (${name})`);
    }
  }
  return rows!;
}

/** Row `i` of every tensor, as views. */
export function sliceRow(table: TensorTable, i: number): unknown {
  return mapTable(table, (t) => {
    const row = t.narrow(0, i, 1);
    const sample = row.squeeze(0);
    row.dispose();
    return adopt(sample);
  });
}

const FLOAT32_EXACT_INTEGERS = 2 ** 24;

function isAscendingRun(indices: number[]): boolean {
  for (let k = 1; k < indices.length; k++) if (indices[k] !== indices[0]! + k) return false;
  return true;
}

/**
 * Rows `indices` of every tensor stacked along axis 0. A run of consecutive rows (an unshuffled
 * pipeline) is a `narrow` view and copies nothing; any other order is one `indexSelect` per tensor
 * sharing a single index tensor.
 */
export function gatherRows(table: TensorTable, indices: number[]): unknown {
  if (isAscendingRun(indices)) return mapTable(table, (t) => adopt(t.narrow(0, indices[0]!, indices.length)));
  // Index tensors are float32 (the engine's only dtype), which counts integers exactly up to 2^24.
  const largest = indices.reduce((a, b) => Math.max(a, b), 0);
  if (largest >= FLOAT32_EXACT_INTEGERS) {
    throw new ValueError(`Dataset.batch: row ${largest} is past 2^24 and cannot be gathered with a float32 index; split the tensors and concatenate the datasets`);
  }
  const index = tensor(Float32Array.from(indices), [indices.length]);
  try {
    return mapTable(table, (t) => adopt(t.indexSelect(0, index)));
  } finally {
    index.dispose();
  }
}

/** Turning tensors and arrays into the label and score vectors evaluation functions take. @internal */

import { ValueError } from '../errors';
import { Tensor } from '../tensor';

/** Labels or scores: a tensor, or a plain array of numbers (1-D) or rows (2-D). */
export type Values = Tensor | ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** Flat values and the width of a row (1 for a vector, C for `[N, C]`). */
export function flat(op: string, v: Values, what: string): { data: number[]; width: number; rows: number } {
  if (v instanceof Tensor) {
    const shape = v.shape;
    const data = Array.from(v.dataSync(), Number);
    if (shape.length === 0) throw new ValueError(`${op}: ${what} must be a vector or a matrix, got a scalar`);
    const rows = shape[0]!;
    const width = shape.length === 1 ? 1 : data.length / Math.max(rows, 1);
    if (shape.length > 2) throw new ValueError(`${op}: ${what} must be [N] or [N, C], got [${shape.join(', ')}]`);
    return { data, width, rows };
  }
  const arr = Array.from(v as ArrayLike<number | ArrayLike<number>>);
  if (arr.length > 0 && typeof arr[0] === 'object') {
    const rows = arr.map((r) => Array.from(r as ArrayLike<number>));
    const width = rows[0]!.length;
    if (rows.some((r) => r.length !== width)) throw new ValueError(`${op}: ${what} rows have different lengths`);
    return { data: rows.flat(), width, rows: rows.length };
  }
  return { data: arr as number[], width: 1, rows: arr.length };
}

/**
 * Class labels from labels or scores: a vector of integers is taken as is; `[N, 1]` too; `[N, C]`
 * rows (probabilities, logits or one-hot) become their argmax.
 */
export function toLabels(op: string, v: Values, what: string): number[] {
  const { data, width } = flat(op, v, what);
  if (width === 1) {
    const bad = data.find((x) => !(Number.isInteger(x) && x >= 0));
    if (bad !== undefined) throw new ValueError(`${op}: ${what} must be class labels (integers >= 0) or [N, C] scores, got ${bad}`);
    return data;
  }
  const out: number[] = [];
  for (let r = 0; r * width < data.length; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (data[r * width + c]! > data[r * width + best]!) best = c;
    out.push(best);
  }
  return out;
}

/** Number of classes: the given count, or one more than the largest label seen. */
export function classCount(op: string, given: number | undefined, ...labelSets: number[][]): number {
  const seen = Math.max(1, ...labelSets.map((l) => (l.length === 0 ? 0 : Math.max(...l) + 1)));
  if (given === undefined) return Math.max(seen, 2);
  if (!Number.isInteger(given) || given < 1) throw new ValueError(`${op}: numClasses must be a positive integer, got ${given}`);
  if (seen > given) throw new ValueError(`${op}: label ${seen - 1} is not below numClasses ${given}`);
  return given;
}

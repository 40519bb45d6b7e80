/**
 * Class labels for stratification: one class per sample, and the samples of each class.
 *
 * @internal
 */

import { ValueError } from '../errors';
import { Tensor } from '../tensor';

/**
 * The class of every sample of `y`: its values for `[n]` or `[n, 1]` labels, the argmax of each
 * row for `[n, classes]` one-hot or probability targets. `op` names the caller in errors.
 */
export function classLabels(op: string, y: Tensor | ArrayLike<number>): number[] {
  if (!(y instanceof Tensor)) return Array.from(y);
  const shape = y.shape;
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) return Array.from(y.dataSync());
  if (shape.length === 2) {
    const argmax = y.argmax(1);
    try {
      return Array.from(argmax.dataSync());
    } finally {
      argmax.dispose();
    }
  }
  throw new ValueError(`${op}: class labels must be [n], [n, 1] or one-hot [n, classes], got [${shape.join(', ')}]`);
}

/** Classes in order of first appearance (`values`) and the positions of each class, ascending (`members`). */
export function groupByClass(labels: ArrayLike<number>): { values: number[]; members: number[][] } {
  const index = new Map<number, number>();
  const values: number[] = [];
  const members: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    let c = index.get(label);
    if (c === undefined) {
      c = values.length;
      index.set(label, c);
      values.push(label);
      members.push([]);
    }
    members[c]!.push(i);
  }
  return { values, members };
}

/**
 * What a dataset element is made of, who owns its tensors, and how a list of elements becomes
 * one batch.
 *
 * Elements are Tensors, numbers, or arrays / plain records of them, nested to any depth (other
 * values pass through `map`/`filter` but cannot be batched).
 *
 * Ownership: tensors the pipeline creates itself (sample slices, stacked batches) are recorded in
 * a WeakSet. A stage that consumes an element without handing it on (batch, skip, a rejecting
 * filter, a map whose result does not contain it, an abandoned buffer) disposes the recorded
 * tensors at once instead of leaving native memory to the garbage collector. Tensors that came
 * from the user (array or generator sources, values returned by `map`) are never recorded, so
 * the pipeline never disposes them.
 *
 * @internal
 */

import { ShapeError, ValueError } from '../errors';
import { stack } from '../ops';
import { Tensor, tensor } from '../tensor';

const createdByPipeline = new WeakSet<Tensor>();

/** Records `t` as created by the pipeline, so the stage that consumes it may dispose it. */
export function adopt(t: Tensor): Tensor {
  createdByPipeline.add(t);
  return t;
}

/** A plain `{...}` object (not a class instance such as a Tensor, Map or Date). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every Tensor inside `element` (through arrays and plain records). */
export function tensorsIn(element: unknown, found: Tensor[] = []): Tensor[] {
  if (element instanceof Tensor) found.push(element);
  else if (Array.isArray(element)) for (const item of element) tensorsIn(item, found);
  else if (isRecord(element)) for (const item of Object.values(element)) tensorsIn(item, found);
  return found;
}

/** Disposes the pipeline-created tensors of an element the pipeline is dropping. */
export function disposeOwned(element: unknown): void {
  for (const t of tensorsIn(element)) if (createdByPipeline.has(t)) t.dispose();
}

/** Disposes the pipeline-created tensors of `input` that `output` does not carry on (after a map). */
export function disposeConsumed(input: unknown, output: unknown): void {
  const owned = tensorsIn(input).filter((t) => createdByPipeline.has(t));
  if (owned.length === 0) return;
  const kept = new Set(tensorsIn(output));
  for (const t of owned) if (!kept.has(t)) t.dispose();
}

function describe(value: unknown): string {
  if (value instanceof Tensor) return `a Tensor of shape [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return 'null';
  return isRecord(value) ? 'a record' : `a ${typeof value}`;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Stacks one field (`path`) of every element of a batch. */
function stackField(items: unknown[], path: string): unknown {
  const first = items[0];
  if (first instanceof Tensor) {
    const shape = first.shape;
    items.forEach((item, i) => {
      if (!(item instanceof Tensor)) throw new ValueError(`batch: ${path} is ${describe(item)} in sample ${i} but a Tensor in sample 0`);
      const other = item.shape;
      if (!sameShape(other, shape)) {
        throw new ShapeError(
          `batch: ${path} has shape [${other.join(', ')}] in sample ${i} but [${shape.join(', ')}] in sample 0; map samples to one shape before batching`,
        );
      }
    });
    return adopt(stack(items as Tensor[]));
  }
  if (typeof first === 'number') {
    items.forEach((item, i) => {
      if (typeof item !== 'number') throw new ValueError(`batch: ${path} is ${describe(item)} in sample ${i} but a number in sample 0`);
    });
    return adopt(tensor(Float32Array.from(items as number[]), [items.length]));
  }
  if (Array.isArray(first)) {
    items.forEach((item, i) => {
      if (!Array.isArray(item) || item.length !== first.length) {
        throw new ValueError(`batch: ${path} is ${describe(item)} in sample ${i} but ${describe(first)} in sample 0`);
      }
    });
    return first.map((_, k) => stackField(items.map((item) => (item as unknown[])[k]), `${path}[${k}]`));
  }
  if (isRecord(first)) {
    const keys = Object.keys(first);
    const out: Record<string, unknown> = {};
    items.forEach((item, i) => {
      if (!isRecord(item) || Object.keys(item).length !== keys.length || !keys.every((k) => k in item)) {
        throw new ValueError(`batch: ${path} in sample ${i} does not have the keys of sample 0 (${keys.join(', ')})`);
      }
    });
    for (const key of keys) out[key] = stackField(items.map((item) => (item as Record<string, unknown>)[key]), `${path}.${key}`);
    return out;
  }
  throw new ValueError(`batch: cannot batch ${describe(first)} at ${path}; elements must be Tensors, numbers, or arrays/records of them`);
}

/**
 * Stacks elements field by field along a new axis 0: Tensors with `stack`, numbers into a 1-D
 * tensor, arrays and records recursively. The inputs' pipeline-created tensors are disposed.
 */
export function batchElements(items: unknown[]): unknown {
  try {
    return stackField(items, 'element');
  } finally {
    for (const item of items) disposeOwned(item);
  }
}

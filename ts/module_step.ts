/**
 * One step of a {@link Module} run by its loops: the tensor scope that disposes what a step
 * created, the checked `forward` call, batched prediction, and small argument helpers.
 * @internal
 */

import { ValueError } from './errors';
import { noGrad } from './autograd';
import { scoped } from './internal/scope';
import type { Module } from './module';
import { concat } from './ops';
import { Tensor } from './tensor';

/** `[2, 3]`, for messages. @internal */
export const dims = (t: Tensor): string => `[${t.shape.join(', ')}]`;

/** Lets timers, I/O and abort events run between two batches. @internal */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `value` if it is an integer `>= min`, else a `ValueError` naming `op` and the argument. @internal */
export function integer(op: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ValueError(`${op}: ${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/**
 * Tensors made during earlier steps and kept only because a module field held them (cached
 * activations): each is disposed at the end of the first later step in which no field holds it.
 */
const parkedByModule = new WeakMap<Module, Set<Tensor>>();

/**
 * Runs one step of `module` (training, evaluation or prediction) in a tensor scope: at the end,
 * every tensor it created is disposed unless the module tree holds it (parameters, buffers,
 * fields) or it is `result()`; field-held ones are released once a later step no longer holds them.
 * @internal
 */
export function inStep<T>(module: Module, fn: () => T, result?: () => Tensor | undefined): T {
  const parked = parkedByModule.get(module) ?? new Set<Tensor>();
  parkedByModule.set(module, parked);
  let out: Tensor | undefined;
  const keep = (): Set<Tensor> => {
    const retained = module.retainedTensors();
    for (const t of parked) {
      if (retained.has(t)) continue;
      parked.delete(t);
      if (!t.isDisposed) t.dispose();
    }
    out = result?.();
    if (out !== undefined) retained.add(out);
    return retained;
  };
  return scoped(fn, keep, (survivors) => {
    for (const t of survivors) if (t !== out) parked.add(t);
  });
}

/** Calls `forward` and checks that it returned a tensor. @internal */
export function forwardOf(module: Module, op: string, x: Tensor): Tensor {
  const out: unknown = module.forward(x);
  if (!(out instanceof Tensor)) throw new ValueError(`${op}: forward() must return a Tensor, got ${out === null ? 'null' : typeof out}`);
  return out;
}

/** Batched inference in eval mode under `noGrad` (previous mode restored), yielding between batches. @internal */
export async function predictModule(module: Module, x: Tensor, batchSize: number): Promise<Tensor> {
  const op = `${module.constructor.name}.predict`;
  integer(op, 'batchSize', batchSize, 1);
  const n = x instanceof Tensor ? (x.shape[0] ?? 0) : 0;
  if (n === 0) throw new ValueError(`${op}: x must be a non-empty batch Tensor`);
  const wasTraining = module.training;
  module.eval();
  const parts: Tensor[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      if (start > 0) await yieldToEventLoop();
      const len = Math.min(batchSize, n - start);
      let out: Tensor | undefined;
      inStep(
        module,
        () => {
          out = noGrad(() => forwardOf(module, op, x.narrow(0, start, len)));
        },
        () => out,
      );
      parts.push(out!);
    }
  } finally {
    module.train(wasTraining);
  }
  if (parts.length === 1) return parts[0]!;
  const joined = concat(parts, 0);
  // A forward may return a tensor the module holds (a parameter, a cached field): keep those.
  const retained = module.retainedTensors();
  for (const p of parts) if (!retained.has(p)) p.dispose();
  return joined;
}

import * as fg from '../../ts/index';
import type { Backend } from './backend';

type T = fg.Tensor;

export function create(): Backend<T> {
  const disposeAll = (t: T | T[]): void => {
    for (const x of Array.isArray(t) ? t : [t]) x.dispose();
  };
  return {
    id: 'ferrograd',
    threads: fg.getNumThreads(),
    info: { version: fg.version, simd: fg.simdLevel(), threads: fg.getNumThreads() },
    fromData: (data, shape) => fg.tensor(data, shape),
    matmul: (a, b) => a.matmul(b),
    add: (a, b) => a.add(b),
    mul: (a, b) => a.mul(b),
    relu: (a) => a.relu(),
    exp: (a) => a.exp(),
    softmax: (a) => a.softmax(-1),
    logSoftmax: (a) => a.logSoftmax(-1),
    sum: (a, axis) => a.sum(axis),
    mean: (a) => a.mean(),
    neg: (a) => a.neg(),
    valueAndGrads(f, params) {
      for (const p of params) if (!p.requiresGrad) p.requiresGrad = true;
      const value = f(params);
      const grads = fg.grad(value, params).map((g, i) => {
        if (g === null) throw new Error(`ferrograd: no gradient for param ${i}`);
        return g;
      });
      return { value, grads };
    },
    sgd(params, grads, lr) {
      return fg.noGrad(() =>
        params.map((p, i) => {
          const next = p.sub(grads[i]!.mul(lr));
          next.requiresGrad = true;
          return next;
        }),
      );
    },
    scope: (fn) => fn(),
    sync: () => undefined,
    dispose: disposeAll,
  };
}

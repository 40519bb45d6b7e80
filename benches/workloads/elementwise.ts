import { measure } from '../lib/stats';
import { seededUniform } from '../lib/data';
import type { CaseResult } from '../lib/types';
import { errorResult, unavailable, type NodeWorkload } from './common';

export const ELEMENTWISE_CASES = [
  'add [1024,1024] + [1024,1024]',
  'exp [1024,1024]',
  'softmax rows of [1024,1024]',
  'sum axis 0 of [1024,1024]',
];

export const elementwise: NodeWorkload = {
  id: 'elementwise',
  description: 'per-op time on 1M (1024×1024) f32 elements: add, exp, softmax over rows, sum over axis 0',
  async run(engine, backend, quick) {
    if (backend === null) return { results: unavailable(ELEMENTWISE_CASES, `${engine} has no tensor-op API`) };
    const shape = [1024, 1024];
    const x = backend.fromData(seededUniform(1024 * 1024, 3), shape);
    const y = backend.fromData(seededUniform(1024 * 1024, 4), shape);
    const ops: Array<() => unknown> = [
      () => backend.add(x, y),
      () => backend.exp(x),
      () => backend.softmax(x),
      () => backend.sum(x, 0),
    ];
    const results: CaseResult[] = [];
    for (let i = 0; i < ops.length; i++) {
      const name = ELEMENTWISE_CASES[i]!;
      try {
        const samples = await measure(() => {
          const out = ops[i]!();
          backend.sync(out);
          backend.dispose(out);
        }, { quick, budgetMs: 1500 });
        results.push({ case: name, status: 'ok', samples, items: 1024 * 1024 });
      } catch (err) {
        results.push(errorResult(name, err));
      }
    }
    backend.dispose([x, y]);
    return { results };
  },
};

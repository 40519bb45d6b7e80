import type { WorkloadId } from '../lib/types';
import type { NodeWorkload } from './common';
import { elementwise } from './elementwise';
import { gemm } from './gemm';
import { mlpInference, mlpTrainStep } from './mlp';

export const WORKLOADS: NodeWorkload[] = [gemm, elementwise, mlpInference, mlpTrainStep];

/** Workloads of the issue that need APIs ferrograd does not expose to TS yet. */
export const NOT_YET: Array<{ id: WorkloadId; description: string; note: string }> = [
  { id: 'mlp-fit', description: 'the same MLP trained with layers + optimizer + `fit`', note: 'not available yet (needs issue 3/4/5/6: layers, optimizers, fit not exposed to TS)' },
];

export function workloadById(id: string): NodeWorkload {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}; known: ${WORKLOADS.map((x) => x.id).join(', ')}`);
  return w;
}

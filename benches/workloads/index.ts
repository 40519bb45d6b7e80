import type { WorkloadId } from '../lib/types';
import type { NodeWorkload } from './common';
import { elementwise } from './elementwise';
import { gemm } from './gemm';
import { mlpInference, mlpTrainStep } from './mlp';
import { mlpFit } from './mlp_fit';
import { cnn } from './cnn';

export const WORKLOADS: NodeWorkload[] = [gemm, elementwise, mlpInference, mlpTrainStep, mlpFit, cnn];

/** Workloads of the issue that need APIs ferrograd does not expose to TS yet. */
export const NOT_YET: Array<{ id: WorkloadId; description: string; note: string }> = [
  {
    id: 'lstm',
    description: 'LSTM input 64, hidden 256, sequence 64, batch 32, dense 10 on the last step',
    note: 'not available yet: ferrograd has no recurrent layers (issue 5)',
  },
  {
    id: 'transformer',
    description: '2 encoder layers, d_model 128, 4 heads, ff 512, sequence 128, batch 32, mean-pool, dense 10',
    note: 'not available yet: ferrograd has no attention layers (issue 6)',
  },
];

export function workloadById(id: string): NodeWorkload {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}; known: ${WORKLOADS.map((x) => x.id).join(', ')}`);
  return w;
}

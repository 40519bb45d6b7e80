import type { WorkloadId } from '../lib/types';
import type { NodeWorkload } from './common';
import { elementwise } from './elementwise';
import { gemm } from './gemm';
import { mlpInference, mlpTrainStep } from './mlp';
import { mlpFit } from './mlp_fit';
import { cnn } from './cnn';
import { lstm } from './lstm';
import { transformer } from './transformer';

export const WORKLOADS: NodeWorkload[] = [gemm, elementwise, mlpInference, mlpTrainStep, mlpFit, cnn, lstm, transformer];

/** Workloads of the issue that need APIs ferrograd does not expose to TS yet. */
export const NOT_YET: Array<{ id: WorkloadId; description: string; note: string }> = [];

export function workloadById(id: string): NodeWorkload {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}; known: ${WORKLOADS.map((x) => x.id).join(', ')}`);
  return w;
}

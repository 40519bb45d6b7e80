import type { Backend } from '../lib/backend';
import type { CaseResult, NodeEngineId, WorkloadId } from '../lib/types';

export interface WorkloadOutput {
  results: CaseResult[];
  threads?: number;
  info?: Record<string, string | number | boolean>;
}

export interface NodeWorkload {
  id: WorkloadId;
  /** One line for the README/table: what is timed. */
  description: string;
  /** Runs every case on one JS engine; `backend` is null for brain.js. */
  run(engine: NodeEngineId, backend: Backend | null, quick: boolean): Promise<WorkloadOutput>;
}

export function unavailable(cases: string[], note: string): CaseResult[] {
  return cases.map((c) => ({ case: c, status: 'unavailable' as const, note }));
}

export function errorResult(name: string, err: unknown): CaseResult {
  const msg = err instanceof Error ? err.message : String(err);
  return { case: name, status: 'error', note: msg.split('\n')[0]!.slice(0, 200) };
}

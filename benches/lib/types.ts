/** Shapes of the JSON exchanged between the harness and its engine child processes. */

export type EngineId = 'ferrograd' | 'torch' | 'tfjs-cpu' | 'tfjs-wasm' | 'brain.js';
export const NODE_ENGINES = ['ferrograd', 'tfjs-cpu', 'tfjs-wasm', 'brain.js'] as const;
export type NodeEngineId = (typeof NODE_ENGINES)[number];

export type WorkloadId =
  | 'gemm'
  | 'elementwise'
  | 'mlp-inference'
  | 'mlp-train-step-eager'
  | 'mlp-fit'
  | 'cnn'
  | 'lstm'
  | 'transformer'
  | 'layers-api';

export type CaseStatus = 'ok' | 'unavailable' | 'skipped' | 'error';

export interface CaseResult {
  /** Case name, identical across engines (e.g. `matmul 1024x1024x1024`). */
  case: string;
  status: CaseStatus;
  /** Wall-clock per repeat, ms. */
  samples?: number[];
  /** Floating-point operations per repeat (GFLOP/s is derived from them). */
  flops?: number;
  /** Items (samples) per repeat (items/s is derived from them). */
  items?: number;
  note?: string;
  /**
   * Event-loop delay while the case ran (mlp-fit, Node engines): `monitorEventLoopDelay`
   * (resolution 10 ms) percentiles minus the 10 ms resolution, ms; `count` = timer samples.
   */
  eventLoopDelayMs?: EventLoopDelay;
}

export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface EngineRun {
  engine: EngineId;
  workload: WorkloadId;
  /** Threads the engine computed with, when it has a setting. */
  threads?: number;
  results: CaseResult[];
  /** Peak resident set size of the engine's process, MB. */
  peakRssMB?: number;
  info: Record<string, string | number | boolean>;
}

export const RESULT_MARKER = '@@BENCH_RESULT ';

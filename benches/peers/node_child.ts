/**
 * One JS engine × one workload, in its own process (so peak RSS is per engine and workload):
 *   node --import tsx benches/peers/node_child.ts <engine> <workload> [--quick]
 * Prints one `@@BENCH_RESULT {json}` line on stdout (tfjs prints banners, hence the marker).
 */
import { loadBackend } from '../lib/backend';
import { NODE_ENGINES, RESULT_MARKER, type EngineRun, type NodeEngineId } from '../lib/types';
import { errorResult } from '../workloads/common';
import { workloadById } from '../workloads/index';

async function main(): Promise<void> {
  const [engineArg, workloadArg] = process.argv.slice(2);
  const quick = process.argv.includes('--quick');
  if (!NODE_ENGINES.includes(engineArg as NodeEngineId) || workloadArg === undefined) {
    throw new Error(`usage: node_child.ts <${NODE_ENGINES.join('|')}> <workload> [--quick]`);
  }
  const engine = engineArg as NodeEngineId;
  const workload = workloadById(workloadArg);
  let info: Record<string, string | number | boolean> = {};
  let backend = null;
  let threads: number | undefined;
  if (engine === 'brain.js') {
    const { loadBrain } = require('../lib/brain') as typeof import('../lib/brain');
    info = { version: loadBrain().version, threads: 1 };
    threads = 1;
  } else {
    backend = await loadBackend(engine);
    info = { ...backend.info };
    threads = backend.threads;
  }
  let run: EngineRun;
  try {
    const out = await workload.run(engine, backend, quick);
    run = { engine, workload: workload.id, threads: out.threads ?? threads, results: out.results, info: { ...info, ...(out.info ?? {}) } };
  } catch (err) {
    run = { engine, workload: workload.id, threads, results: [errorResult('*', err)], info };
  }
  run.peakRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(run)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

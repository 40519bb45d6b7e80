/**
 * Benchmark harness entry: `npm run bench [-- --quick] [-- --workloads=gemm,elementwise] [-- --engines=ferrograd,torch]`.
 *
 * Every workload runs on ferrograd and on each peer found on this machine, each engine in its own
 * child process, alternating engines across rounds (full mode: 2 rounds, the engine order rotating).
 * Writes benches/results/<date>-<machine>.json and benches/results/latest.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { summarize, type Stats } from './lib/stats';
import { RESULT_MARKER, type CaseResult, type EngineId, type EngineRun, type EventLoopDelay } from './lib/types';
import { NOT_YET, WORKLOADS } from './workloads/index';

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const listArg = (name: string): string[] | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(',').filter(Boolean);
const onlyWorkloads = listArg('workloads');
const onlyEngines = listArg('engines');
const ROUNDS = quick ? 1 : 2;
const CORES = os.cpus().length;
const CHILD_TIMEOUT_MS = quick ? 120_000 : 900_000;

interface Peer {
  engine: EngineId;
  /** Engine-specific thread settings to try (torch: 1 and all cores). */
  threadSettings: Array<number | undefined>;
  info: Record<string, string | number | boolean>;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function parseMarker(stdout: string): unknown {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  return line === undefined ? undefined : JSON.parse(line.slice(RESULT_MARKER.length));
}

function findTorch(): { python: string; info: Record<string, string | number | boolean> } | { error: string } {
  const errors: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, [path.join(__dirname, 'peers', 'torch_bench.py'), '--probe'], { encoding: 'utf8', timeout: 60_000 });
    const info = r.status === 0 ? parseMarker(r.stdout) : undefined;
    if (info !== undefined) return { python, info: info as Record<string, string | number | boolean> };
    errors.push(`${python}: ${(r.stderr || String(r.error ?? '')).trim().split('\n').pop() ?? 'failed'}`);
  }
  return { error: errors.join('; ') };
}

function npmPeer(pkg: string): string | undefined {
  try {
    const pj = require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
    return (require(pj) as { version: string }).version;
  } catch {
    return undefined;
  }
}

function discover(): { peers: Peer[]; missing: Record<string, string>; torchPython?: string } {
  const peers: Peer[] = [{ engine: 'ferrograd', threadSettings: [undefined], info: {} }];
  const missing: Record<string, string> = {};
  const torch = findTorch();
  let torchPython: string | undefined;
  if ('python' in torch) {
    torchPython = torch.python;
    const settings = [...new Set([1, CORES])];
    peers.push({ engine: 'torch', threadSettings: settings, info: { ...torch.info, threadsTried: settings.join(',') } });
  } else missing.torch = `no python3 with torch (${torch.error})`;
  const tfjs = npmPeer('@tensorflow/tfjs');
  if (tfjs) peers.push({ engine: 'tfjs-cpu', threadSettings: [undefined], info: { package: `@tensorflow/tfjs@${tfjs}` } });
  else missing['tfjs-cpu'] = '@tensorflow/tfjs not installed';
  const wasm = npmPeer('@tensorflow/tfjs-backend-wasm');
  if (tfjs && wasm) peers.push({ engine: 'tfjs-wasm', threadSettings: [undefined], info: { package: `@tensorflow/tfjs-backend-wasm@${wasm}` } });
  else missing['tfjs-wasm'] = '@tensorflow/tfjs-backend-wasm (or @tensorflow/tfjs) not installed';
  const brain = npmPeer('brain.js');
  if (brain) peers.push({ engine: 'brain.js', threadSettings: [undefined], info: { package: `brain.js@${brain}` } });
  else missing['brain.js'] = 'brain.js not installed';
  const filtered = onlyEngines ? peers.filter((p) => onlyEngines.includes(p.engine)) : peers;
  return { peers: filtered, missing, torchPython };
}

function runChild(peer: Peer, workload: string, threads: number | undefined, torchPython?: string): EngineRun {
  const t0 = Date.now();
  const cmd =
    peer.engine === 'torch'
      ? { file: torchPython!, argv: [path.join(__dirname, 'peers', 'torch_bench.py'), workload, '--threads', String(threads ?? CORES)] }
      : { file: process.execPath, argv: ['--import', 'tsx', path.join(__dirname, 'peers', 'node_child.ts'), peer.engine, workload] };
  if (quick) cmd.argv.push('--quick');
  const r = spawnSync(cmd.file, cmd.argv, { cwd: ROOT, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 << 20 });
  const parsed = parseMarker(r.stdout ?? '') as EngineRun | undefined;
  log(`  ${peer.engine}${threads ? ` (${threads} thr)` : ''} ${workload}: ${((Date.now() - t0) / 1000).toFixed(1)} s${parsed ? '' : ' FAILED'}`);
  if (parsed) return parsed;
  const why = r.error ? String(r.error) : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
  return { engine: peer.engine, workload: workload as EngineRun['workload'], threads, results: [{ case: '*', status: 'error', note: why.slice(0, 300) }], info: {} };
}

interface Row {
  workload: string;
  case: string;
  engine: EngineId;
  threads?: number;
  status: CaseResult['status'];
  stats?: Stats;
  /** GFLOP/s (gemm) or items/s (others), from the median. */
  throughput?: number;
  unit?: string;
  /** ferrograd throughput / this engine's throughput (= peer time / ferrograd time); >1: ferrograd faster. */
  ferrogradOverPeer?: number;
  pctOfPeak?: number;
  peakRssMB?: number;
  note?: string;
  /** torch: the per-thread-setting medians considered. */
  alternatives?: Array<{ threads?: number; medianMs: number }>;
  /** Event-loop delay while the case ran: the worst p50 / p99 / max over the rounds, ms. */
  eventLoopDelayMs?: EventLoopDelay;
}

/** Worst-of-rounds event-loop delay (percentiles of separate runs cannot be pooled exactly). */
function worstDelay(a: EventLoopDelay | undefined, b: EventLoopDelay | undefined): EventLoopDelay | undefined {
  if (!a || !b) return a ?? b;
  return { p50: Math.max(a.p50, b.p50), p99: Math.max(a.p99, b.p99), max: Math.max(a.max, b.max), count: a.count + b.count };
}

function mergeRuns(runs: EngineRun[]): Map<string, { result: CaseResult; threads?: number; peakRssMB?: number }> {
  const out = new Map<string, { result: CaseResult; threads?: number; peakRssMB?: number }>();
  for (const run of runs) {
    for (const res of run.results) {
      const key = `${res.case}@@${run.threads ?? ''}`;
      const prev = out.get(key);
      if (!prev) {
        out.set(key, { result: { ...res, samples: res.samples ? [...res.samples] : undefined }, threads: run.threads, peakRssMB: run.peakRssMB });
      } else {
        if (res.samples) prev.result.samples = [...(prev.result.samples ?? []), ...res.samples];
        const eld = worstDelay(prev.result.eventLoopDelayMs, res.eventLoopDelayMs);
        if (prev.result.status !== 'ok' && res.status === 'ok') prev.result = { ...res, samples: prev.result.samples };
        prev.result.eventLoopDelayMs = eld;
        prev.peakRssMB = Math.max(prev.peakRssMB ?? 0, run.peakRssMB ?? 0);
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = Date.now();
  const { peers, missing, torchPython } = discover();
  log(`ferrograd bench${quick ? ' (--quick: proves the harness, no timing claims)' : ''}`);
  log(`engines found: ${peers.map((p) => p.engine).join(', ')}`);
  for (const [k, v] of Object.entries(missing)) log(`engine missing: ${k}: ${v}`);

  const workloads = WORKLOADS.filter((w) => !onlyWorkloads || onlyWorkloads.includes(w.id));
  const rows: Row[] = [];
  const engineInfo: Record<string, Record<string, string | number | boolean>> = {};
  const rawRuns: EngineRun[] = [];
  let peakGflops: number | undefined;

  for (const w of workloads) {
    log(`== ${w.id}`);
    const runsByEngine = new Map<EngineId, EngineRun[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = peers.map((_, i) => peers[(i + round) % peers.length]!);
      for (const peer of order) {
        for (const threads of peer.threadSettings) {
          const run = runChild(peer, w.id, threads, torchPython);
          rawRuns.push(run);
          const list = runsByEngine.get(peer.engine) ?? [];
          list.push(run);
          runsByEngine.set(peer.engine, list);
          engineInfo[peer.engine] = { ...peer.info, ...(engineInfo[peer.engine] ?? {}), ...run.info };
          if (peer.engine === 'ferrograd' && typeof run.info.peakGflops === 'number') peakGflops = run.info.peakGflops;
        }
      }
    }
    const wRows: Row[] = [];
    for (const peer of peers) {
      const merged = mergeRuns(runsByEngine.get(peer.engine) ?? []);
      const byCase = new Map<string, Array<{ result: CaseResult; threads?: number; peakRssMB?: number }>>();
      for (const v of merged.values()) byCase.set(v.result.case, [...(byCase.get(v.result.case) ?? []), v]);
      for (const [name, variants] of byCase) {
        const scored = variants.map((v) => ({ ...v, stats: v.result.samples?.length ? summarize(v.result.samples) : undefined }));
        const okOnes = scored.filter((v) => v.result.status === 'ok' && v.stats);
        const best = okOnes.sort((a, b) => a.stats!.median - b.stats!.median)[0] ?? scored[0]!;
        const r = best.result;
        const row: Row = { workload: w.id, case: name, engine: peer.engine, threads: best.threads, status: r.status, stats: best.stats, peakRssMB: best.peakRssMB, note: r.note, eventLoopDelayMs: r.eventLoopDelayMs };
        if (scored.length > 1) row.alternatives = scored.filter((v) => v.stats).map((v) => ({ threads: v.threads, medianMs: v.stats!.median }));
        if (best.stats && r.status === 'ok') {
          const sec = best.stats.median / 1000;
          if (r.flops) {
            row.throughput = r.flops / sec / 1e9;
            row.unit = 'GFLOP/s';
            if (peakGflops) row.pctOfPeak = (100 * row.throughput) / peakGflops;
          } else if (r.items) {
            row.throughput = r.items / sec;
            row.unit = w.id === 'elementwise' ? 'elem/s' : 'samples/s';
          }
        }
        wRows.push(row);
      }
    }
    for (const row of wRows) {
      const base = row.case.replace(' (matmulAsync)', '');
      const fg = wRows.find((x) => x.engine === 'ferrograd' && x.case === base);
      if (row.engine !== 'ferrograd' && fg?.stats && row.stats && fg.status === 'ok' && row.status === 'ok') {
        row.ferrogradOverPeer = row.stats.median / fg.stats.median;
      }
    }
    rows.push(...wRows);
  }

  const elapsedS = (Date.now() - t0) / 1000;
  const machine = {
    hostname: os.hostname(),
    cpu: os.cpus()[0]?.model ?? '?',
    cores: CORES,
    memGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
  const report = {
    date: started.toISOString(),
    mode: quick ? 'quick' : 'full',
    rounds: ROUNDS,
    elapsedS,
    machine,
    ferrogradPeakGflops: peakGflops,
    enginesFound: peers.map((p) => p.engine),
    enginesMissing: missing,
    engineInfo,
    notYetAvailable: NOT_YET,
    workloads: WORKLOADS.map((x) => ({ id: x.id, description: x.description })),
    rows,
    rawRuns,
  };
  const dir = path.join(__dirname, 'results');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const slug = `${started.toISOString().slice(0, 10)}-${machine.hostname.replace(/[^A-Za-z0-9_.-]/g, '_')}${quick ? '-quick' : ''}`;
  const jsonPath = path.join(dir, `${slug}.json`);
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + '\n');
  const md = renderMarkdown(report, rows);
  if (!quick) writeFileSync(path.join(dir, 'latest.md'), md);
  process.stdout.write(md);
  log(`wrote ${path.relative(ROOT, jsonPath)}${quick ? '' : ' and benches/results/latest.md'} (${elapsedS.toFixed(0)} s)`);
  const fgFailed = rows.filter((r) => r.engine === 'ferrograd' && r.status === 'error');
  if (fgFailed.length > 0) {
    log(`ferrograd failed: ${fgFailed.map((r) => `${r.workload}/${r.case}: ${r.note}`).join('; ')}`);
    process.exitCode = 1;
  }
}

const fmt = (x: number, digits = 3): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(digits));
const fmtRate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : fmt(x));

function noteText(r: Row): string {
  const parts: string[] = [];
  const d = r.eventLoopDelayMs;
  if (d) parts.push(`event-loop delay p50 ${fmt(d.p50)} ms, p99 ${fmt(d.p99)} ms, max ${fmt(d.max)} ms`);
  if (r.note) parts.push(r.note.replace(/\|/g, '/'));
  return parts.join('; ');
}

function renderMarkdown(report: { date: string; mode: string; rounds: number; elapsedS: number; machine: Record<string, string | number>; ferrogradPeakGflops?: number; enginesMissing: Record<string, string>; engineInfo: Record<string, Record<string, string | number | boolean>> }, rows: Row[]): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`## Results ${report.date.slice(0, 16).replace('T', ' ')} UTC (${report.mode}${report.mode === 'quick' ? ': no timing claims' : ''})`, '');
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memGB} GB, ${m.platform}, Node ${m.node}. ${report.rounds} round(s), engines alternating; ${report.elapsedS.toFixed(0)} s total.`);
  if (report.ferrogradPeakGflops) lines.push(`FP32 FMA peak measured by ferrograd \`measurePeakGflops()\` in this run: ${report.ferrogradPeakGflops.toFixed(0)} GFLOP/s (all cores).`);
  lines.push('', 'Engines:');
  for (const [e, info] of Object.entries(report.engineInfo)) {
    const keys = ['version', 'package', 'python', 'blas', 'backend', 'simd', 'multithread', 'threads', 'threadsTried', 'defaultThreads'];
    lines.push(`- **${e}**: ${keys.filter((k) => info[k] !== undefined).map((k) => `${k} ${info[k]}`).join(', ')}`);
  }
  for (const [e, why] of Object.entries(report.enginesMissing)) lines.push(`- **${e}**: not found (${why})`);
  lines.push('', 'Times are wall-clock per call, median (min–max) over all repeats of all rounds. `fg/peer` = peer median time ÷ ferrograd median time: **> 1 means ferrograd is faster**. torch: the faster of 1 thread and all cores is shown (threads column). mlp-fit: one call = one training epoch (warm-up epoch untimed); event-loop delay = `monitorEventLoopDelay({resolution: 10})` percentiles minus the 10 ms resolution (≈ 0.1 ms when idle), enabled only during the timed epochs, worst of the rounds.', '');
  lines.push('| workload | case | engine | thr | median ms | min–max ms | n | throughput | % peak | fg/peer | peak RSS MB | note |');
  lines.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const s = r.stats;
    const ok = r.status === 'ok' && s;
    lines.push(
      `| ${r.workload} | ${r.case} | ${r.engine} | ${r.threads ?? ''} | ${ok ? fmt(s.median) : r.status} | ${ok ? `${fmt(s.min)}–${fmt(s.max)}` : ''} | ${s?.n ?? ''} | ${r.throughput !== undefined ? `${fmtRate(r.throughput)} ${r.unit}` : ''} | ${r.pctOfPeak !== undefined ? `${r.pctOfPeak.toFixed(1)}%` : ''} | ${r.ferrogradOverPeer !== undefined ? `${r.ferrogradOverPeer.toFixed(2)}×` : ''} | ${r.peakRssMB !== undefined ? r.peakRssMB.toFixed(0) : ''} | ${noteText(r)}${r.alternatives ? ` (medians: ${r.alternatives.map((a) => `${a.threads} thr ${fmt(a.medianMs)} ms`).join(', ')})` : ''} |`,
    );
  }
  for (const n of NOT_YET) lines.push(`| ${n.id} | ${n.description} | ferrograd | | — | | | | | | | ${n.note} |`);
  lines.push('');
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * Peak memory of fused attention: one forward + backward of `scaledDotProductAttention` for
 * batch 1, 8 heads, d_model 512 (head dim 64) at 1k, 2k and 4k tokens, each in a fresh Node
 * process (so `maxRSS` is that length's peak), next to a PyTorch 1.13 reference that materialises
 * the `[heads, L, L]` weights (torch 1.13 has no fused attention). Writes
 * `benches/results/attention-memory.md`.
 *
 *     npx tsx benches/attention_memory.ts
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const LENGTHS = [1024, 2048, 4096];
const HEADS = 8;
const HEAD_DIM = 64;

/** Child: one forward + backward at `length`, prints peak RSS and baseline RSS (MiB). */
async function child(length: number): Promise<void> {
  const fg = require('../ts/index') as typeof import('../ts/index');
  const base = process.resourceUsage().maxRSS / 1024;
  const shape = [1, HEADS, length, HEAD_DIM];
  const [q, k, v] = [0, 1, 2].map((s) => fg.randn(shape, 0, 1, { requiresGrad: true, seed: s }));
  const inputs = process.resourceUsage().maxRSS / 1024;
  const t0 = performance.now();
  const out = fg.scaledDotProductAttention(q!, k!, v!, { causal: false });
  out.sum().backward();
  const ms = performance.now() - t0;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ length, base, inputs, peak, ms, gradOk: q!.grad !== null && k!.grad !== null && v!.grad !== null }));
}

const TORCH = `
import resource, sys, time, torch
L, H, D = int(sys.argv[1]), ${HEADS}, ${HEAD_DIM}
torch.set_num_threads(2)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
q, k, v = (torch.randn(1, H, L, D, requires_grad=True) for _ in range(3))
t = time.perf_counter()
w = torch.softmax(q @ k.transpose(-2, -1) / D ** 0.5, dim=-1)
(w @ v).sum().backward()
ms = (time.perf_counter() - t) * 1e3
print(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, ms)
`;

function main(): void {
  if (process.argv[2] === '--child') {
    void child(Number(process.argv[3]));
    return;
  }
  const rows: string[] = [];
  const ours: Array<{ length: number; extra: number }> = [];
  for (const length of LENGTHS) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', String(length)], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    const m = JSON.parse(line) as { length: number; base: number; inputs: number; peak: number; ms: number; gradOk: boolean };
    const tensors = (6 * HEADS * length * HEAD_DIM * 4) / 2 ** 20; // q, k, v and their gradients
    const extra = m.peak - m.inputs;
    ours.push({ length, extra });
    let torch = 'not run';
    const t = spawnSync('/usr/bin/python3', ['-c', TORCH, String(length)], { encoding: 'utf8' });
    if (t.status === 0) {
      const [base, peak, ms] = t.stdout.trim().split(' ').map(Number);
      torch = `${(peak! - base!).toFixed(0)} MiB above start, ${ms!.toFixed(0)} ms`;
    }
    rows.push(`| ${length} | ${m.peak.toFixed(0)} | ${extra.toFixed(0)} | ${tensors.toFixed(0)} | ${((HEADS * length * length * 4) / 2 ** 20).toFixed(0)} | ${m.ms.toFixed(0)} | ${m.gradOk ? 'yes' : 'NO'} | ${torch} |`);
    console.log(rows.at(-1));
  }
  const growth = ours.slice(1).map((o, i) => `${ours[i]!.length}→${o.length}: ×${(o.extra / ours[i]!.extra).toFixed(2)}`).join(', ');
  const md = [
    `# Fused attention peak memory (${new Date().toISOString().slice(0, 10)})`,
    '',
    `One \`scaledDotProductAttention\` forward + backward, batch 1, ${HEADS} heads, head dim ${HEAD_DIM} (d_model ${HEADS * HEAD_DIM}), each length in a fresh Node process (\`npx tsx benches/attention_memory.ts\`).`,
    '"Above inputs" = peak RSS minus RSS after q, k, v were created: everything the op and its backward allocated (output, log-sum-exp rows, gradients of q, k, v).',
    '',
    '| tokens | peak RSS (MiB) | above inputs (MiB) | q,k,v + grads (MiB) | one materialised [H, L, L] f32 matrix (MiB) | fwd+bwd ms | grads | PyTorch 1.13, materialised softmax(QKᵀ)V |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...rows,
    '',
    `Growth of the memory above the inputs when the length doubles: ${growth} (linear = ×2; a materialised attention matrix grows ×4).`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, 'results', 'attention-memory.md'), md);
  console.log(md);
}

main();

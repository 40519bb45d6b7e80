// Attention and transformer layers from TypeScript: attention weights and masks, causality,
// PyTorch parameter names, positional encodings, RMS norm, save/load, errors, and small
// transformers learning to sort digit sequences (encoder-only and encoder-decoder).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import test from 'ava';

import { ValueError, attentionWithWeights, grad, input, layers as L, loadModel, manualSeed, model, randn, scaledDotProductAttention, sequential, tensor } from '../ts';
import { mulberry32 } from '../ts/internal/prng';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): boolean => a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]!) <= tol);

test('attention weights are distributions, zero above the diagonal when causal', (t) => {
  const x = input({ shape: [5, 8] });
  const [out, weights] = L.multiHeadAttention({ numHeads: 2, causal: true, returnAttentionWeights: true }).applyMulti([x, x, x]);
  t.deepEqual([out!.shape, weights!.shape], [[5, 8], [5, 5]]);
  const m = model({ inputs: x, outputs: [out!, weights!] });
  const [, w] = m.eval().forward(randn([2, 5, 8]));
  const v = w!.dataSync();
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < 5; i++) {
      const row = Array.from(v.subarray(b * 25 + i * 5, b * 25 + i * 5 + 5));
      t.true(Math.abs(row.reduce((a, c) => a + c, 0) - 1) < 1e-5);
      t.true(row.slice(i + 1).every((p) => p === 0), `row ${i}: ${row}`);
    }
  }
});

test('a key-padding mask hides the padded keys: changing them changes nothing', (t) => {
  const q = input({ shape: [3, 8] });
  const kv = input({ shape: [4, 8] });
  const pad = input({ shape: [4] });
  const mha = L.multiHeadAttention({ numHeads: 4, kdim: 8, vdim: 8 });
  const m = model({ inputs: [q, kv, pad], outputs: mha.applyMulti([q, kv, kv, pad])[0]! }).eval();
  const query = randn([1, 3, 8]);
  const keys = randn([1, 4, 8]).dataSync();
  const changed = Float32Array.from(keys);
  for (let j = 2 * 8; j < 4 * 8; j++) changed[j] = 100 * Math.sin(j); // keys 2 and 3 are padding
  const mask = tensor([[0, 0, 1, 1]]);
  const a = m.forward([query, tensor(keys, [1, 4, 8]), mask]).dataSync();
  const b = m.forward([query, tensor(changed, [1, 4, 8]), mask]).dataSync();
  t.true(close(a, b));
  const unmasked = m.forward([query, tensor(changed, [1, 4, 8]), tensor([[0, 0, 0, 0]])]).dataSync();
  t.false(close(a, unmasked));
});

test('decoder self-attention is causal: later target steps do not change earlier outputs', (t) => {
  const src = input({ shape: [4, 8] });
  const tgt = input({ shape: [3, 8] });
  const m = model({ inputs: [src, tgt], outputs: L.transformer({ numEncoderLayers: 1, numDecoderLayers: 2, numHeads: 2, dimFeedforward: 16, dropout: 0 }).applyMulti([src, tgt])[0]! }).eval();
  const s = randn([1, 4, 8]);
  const target = randn([1, 3, 8]).dataSync();
  const edited = Float32Array.from(target);
  for (let j = 16; j < 24; j++) edited[j] = 5; // the last step
  const a = m.forward([s, tensor(target, [1, 3, 8])]).dataSync();
  const b = m.forward([s, tensor(edited, [1, 3, 8])]).dataSync();
  t.true(close(a.subarray(0, 16), b.subarray(0, 16)), 'steps 0 and 1 are unchanged');
  t.false(close(a.subarray(16), b.subarray(16)), 'step 2 sees its own input');
});

test('transformer parameters carry PyTorch names', (t) => {
  const m = sequential([L.transformerEncoder({ numLayers: 2, numHeads: 4, dimFeedforward: 32, normFirst: true })], { inputShape: [6, 16] });
  const names = new Map(m.namedParameters().map(([n, p]) => [n, p.shape]));
  t.deepEqual(names.get('0.layers.0.self_attn.in_proj_weight'), [48, 16]);
  t.deepEqual(names.get('0.layers.1.self_attn.out_proj.weight'), [16, 16]);
  t.deepEqual(names.get('0.layers.1.linear1.weight'), [32, 16]);
  t.deepEqual(names.get('0.layers.0.norm2.bias'), [16]);
  t.deepEqual(names.get('0.norm.weight'), [16], 'pre-norm stacks end in a layer norm');
  const x = input({ shape: [5, 8] });
  const kv = input({ shape: [7, 6] });
  const cross = model({ inputs: [x, kv], outputs: L.multiHeadAttention({ numHeads: 2 }).applyMulti([x, kv, kv])[0]! });
  t.deepEqual(cross.namedParameters().map(([n]) => n), [
    'multiHeadAttention.q_proj_weight',
    'multiHeadAttention.k_proj_weight',
    'multiHeadAttention.v_proj_weight',
    'multiHeadAttention.in_proj_bias',
    'multiHeadAttention.out_proj.weight',
    'multiHeadAttention.out_proj.bias',
  ]);
});

test('sinusoidal encodings, learned positions and RMS norm compute what they document', (t) => {
  const pe = sequential([L.sinusoidalPositionalEncoding({ maxLen: 10 })], { inputShape: [3, 4] }).eval();
  const v = pe.forward(tensor(new Float32Array(12), [1, 3, 4])).dataSync();
  // PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...), d = 4.
  const expected = [0, 1, 2].flatMap((pos) => [Math.sin(pos), Math.cos(pos), Math.sin(pos / 100), Math.cos(pos / 100)]);
  t.true(close(v, expected, 1e-6), `${Array.from(v)}`);
  const learned = sequential([L.learnedPositionalEmbedding({ maxLen: 8 })], { inputShape: [5, 4] });
  t.deepEqual(learned.namedParameters().map(([, p]) => p.shape), [[8, 4]]);
  const rms = sequential([L.rmsNormalization({ epsilon: 1e-12 })], { inputShape: [4] }).eval();
  const r = rms.forward(tensor([[1, 2, 3, 4]])).dataSync();
  const scale = Math.sqrt((1 + 4 + 9 + 16) / 4);
  t.true(close(r, [1, 2, 3, 4].map((x) => x / scale)));
  t.throws(() => sequential([L.learnedPositionalEmbedding({ maxLen: 4 })], { inputShape: [5, 4] }), { instanceOf: ValueError, message: /maxLen 4 is shorter than the input's 5 steps/ });
});

test('a saved transformer loads with identical predictions', async (t) => {
  const m = sequential([L.transformerEncoderLayer({ numHeads: 2, dimFeedforward: 16, activation: 'gelu', normFirst: true }), L.globalAveragePooling1d({ dataFormat: 'channelsLast' }), L.dense({ units: 3 })], { inputShape: [6, 8] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-attn-'));
  const file = path.join(dir, 'tf.fgm');
  await m.save(file);
  const back = await loadModel(file);
  const x = randn([2, 6, 8]);
  t.true(close(m.eval().forward(x).dataSync(), back.eval().forward(x).dataSync(), 0));
  fs.rmSync(dir, { recursive: true });
});

test('bad attention configurations are rejected with the offending value', (t) => {
  t.throws(() => sequential([L.multiHeadAttention({ numHeads: 3 })], { inputShape: [4, 8] }), { instanceOf: ValueError, message: /numHeads 3 must divide the model width 8/ });
  t.throws(() => L.transformerEncoderLayer({ numHeads: 2, dropout: 1 }).build([4, 8], 0), { instanceOf: ValueError, message: /dropout must be in \[0, 1\), got 1/ });
  t.throws(() => sequential([L.transformerDecoderLayer({ numHeads: 2 })], { inputShape: [4, 8] }), { instanceOf: ValueError, message: /needs the encoder's memory/ });
  const x = input({ shape: [4, 8] });
  t.throws(() => L.multiHeadAttention({ numHeads: 2 }).applyMulti([x, x, x, input({ shape: [5] })]), { instanceOf: ValueError, message: /keyPaddingMask must be \[4\] per sample, got \[5\]/ });
  t.throws(() => L.transformerEncoderLayer({ numHeads: 2, activation: 'tanh' as 'relu' }).build([4, 8], 0), { instanceOf: ValueError, message: /activation must be 'relu' or 'gelu'/ });
});

/** Digit sequences and their sorted versions. */
function sortingData(n: number, len: number, seed: number): { src: number[][]; sorted: number[][] } {
  const rand = mulberry32(seed);
  const src = Array.from({ length: n }, () => Array.from({ length: len }, () => Math.floor(rand() * 10)));
  return { src, sorted: src.map((s) => [...s].sort((a, b) => a - b)) };
}

const ids = (rows: number[][]) => tensor(Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]);

test.serial('an encoder-only transformer learns to sort digit sequences (>= 99% token accuracy)', async (t) => {
  manualSeed(3);
  const len = 8;
  const train = sortingData(3000, len, 7);
  const held = sortingData(500, len, 8);
  const m = sequential(
    [
      L.embedding({ inputDim: 10, outputDim: 64 }),
      L.sinusoidalPositionalEncoding(),
      L.transformerEncoder({ numLayers: 2, numHeads: 4, dimFeedforward: 128, dropout: 0 }),
      L.dense({ units: 10 }),
    ],
    { inputShape: [len] },
  );
  m.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  await m.fit(ids(train.src), ids(train.sorted), { epochs: 8, batchSize: 64, verbose: 0, seed: 1 });
  const { accuracy } = await m.evaluate(ids(held.src), ids(held.sorted));
  t.log(`held-out token accuracy ${accuracy!.toFixed(4)}`);
  t.true(accuracy! >= 0.99, `token accuracy ${accuracy}`);
});

test.serial('an encoder-decoder transformer with teacher forcing learns to sort (>= 99% token accuracy)', async (t) => {
  manualSeed(4);
  const len = 8;
  const start = 10;
  const shift = (rows: number[][]) => rows.map((r) => [start, ...r.slice(0, -1)]);
  const train = sortingData(3000, len, 9);
  const held = sortingData(500, len, 10);
  const src = input({ shape: [len] });
  const tgt = input({ shape: [len] });
  const pe = L.sinusoidalPositionalEncoding();
  const s = pe.apply(L.embedding({ inputDim: 10, outputDim: 64 }).apply(src));
  const d = pe.apply(L.embedding({ inputDim: 11, outputDim: 64 }).apply(tgt));
  const [decoded] = L.transformer({ numEncoderLayers: 1, numDecoderLayers: 1, numHeads: 4, dimFeedforward: 128, dropout: 0 }).applyMulti([s, d]);
  const m = model({ inputs: [src, tgt], outputs: L.dense({ units: 10 }).apply(decoded!) });
  m.compile({ optimizer: { type: 'adam', lr: 2e-3 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  await m.fit([ids(train.src), ids(shift(train.sorted))], ids(train.sorted), { epochs: 12, batchSize: 64, verbose: 0, seed: 1 });
  const { accuracy } = await m.evaluate([ids(held.src), ids(shift(held.sorted))], ids(held.sorted));
  t.log(`held-out token accuracy ${accuracy!.toFixed(4)}`);
  t.true(accuracy! >= 0.99, `token accuracy ${accuracy}`);
});

test('a tied output projection shares the embedding weight, also after save/load', async (t) => {
  const emb = L.embedding({ inputDim: 12, outputDim: 8 });
  const m = sequential([emb, L.transformerEncoderLayer({ numHeads: 2, dimFeedforward: 16, causal: true, dropout: 0 }), L.tiedOutput({ embedding: emb })], { inputShape: [5] });
  const names = m.namedParameters().map(([n]) => n);
  t.true(names.includes('0.weight'));
  t.deepEqual(names.filter((n) => n.startsWith('2.')), ['2.bias'], 'the projection owns only its bias');
  const x = tensor([[1, 2, 3, 4, 5]]);
  t.deepEqual(m.eval().forward(x).shape, [1, 5, 12]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-tied-'));
  await m.save(path.join(dir, 'lm.fgm'));
  const back = await loadModel(path.join(dir, 'lm.fgm'));
  t.is(back.countParams(), m.countParams());
  t.true(close(back.eval().forward(x).dataSync(), m.forward(x).dataSync(), 0));
  // Editing the embedding changes the projection too: one tensor.
  back.namedParameters()[0]![1].assign(new Float32Array(96).fill(0.01));
  const logits = back.forward(x).dataSync();
  t.true(Array.from(logits).every((v) => Math.abs(v - logits[0]!) < 1e-4), 'zeroed-out rows give equal logits');
  fs.rmSync(dir, { recursive: true });
  t.throws(() => sequential([L.dense({ units: 8 }), L.tiedOutput({ embedding: L.embedding({ inputDim: 3, outputDim: 8 }) })], { inputShape: [4] }), { instanceOf: ValueError, message: /its embedding layer is not part of this model/ });
});

test('eager fused attention equals softmax(QKᵀ/√d + mask)·V, values and gradients', (t) => {
  const [q, k, v] = [randn([2, 2, 5, 4], 0, 1, { requiresGrad: true }), randn([2, 2, 6, 4], 0, 1, { requiresGrad: true }), randn([2, 2, 6, 3], 0, 1, { requiresGrad: true })];
  const mask = tensor([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1]]); // [B, Lk] padding
  const fused = scaledDotProductAttention(q, k, v, { keyPaddingMask: mask });
  // Reference from primitive ops: -1e9 on padded keys.
  const additive = mask.mul(-1e9).reshape([2, 1, 1, 6]);
  const reference = q.matmul(k.transpose(-2, -1)).mul(1 / 2).add(additive).softmax(-1).matmul(v);
  t.true(close(fused.dataSync(), reference.dataSync(), 1e-5));
  const upstream = randn([2, 2, 5, 3]);
  const gf = grad(fused.mul(upstream).sum(), [q, k, v]);
  const gr = grad(reference.mul(upstream).sum(), [q, k, v]);
  gf.forEach((g, i) => t.true(close(g!.dataSync(), gr[i]!.dataSync(), 1e-4), `gradient ${i}`));
  const { output, weights } = attentionWithWeights(q, k, v, { causal: true });
  t.deepEqual([output.shape, weights.shape], [[2, 2, 5, 3], [2, 2, 5, 6]]);
  t.is(weights.dataSync()[1], 0, 'query 0 does not see key 1 when causal');
  t.throws(() => scaledDotProductAttention(q, k, randn([2, 2, 7, 3])), { message: /scaledDotProductAttention|7|6/ });
});

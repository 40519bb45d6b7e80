// Recurrent layers from TypeScript: shapes, states through the functional API, bidirectional and
// masking semantics, save/load, errors; a character LSTM on Tiny Shakespeare beating the unigram
// baseline; a seq2seq model reversing digit sequences; text sampling.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import test from 'ava';

import {
  CharVocabulary,
  Seq2Seq,
  ValueError,
  exactSequenceAccuracy,
  generateText,
  grad,
  gruCell,
  input,
  layers as L,
  loadModel,
  loadTinyShakespeare,
  lstmCell,
  manualSeed,
  model,
  nextTokenWindows,
  randn,
  rnnSequence,
  sampleLogits,
  sequential,
  tensor,
  unigramCrossEntropy,
} from '../ts';
import { mulberry32 } from '../ts/internal/prng';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): boolean => a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]!) <= tol);

test('every recurrent layer infers the shapes the native forward produces', (t) => {
  const cases: Array<[string, Parameters<typeof sequential>[0], number[]]> = [
    ['simpleRNN relu, last step', [L.simpleRNN({ units: 5, activation: 'relu' })], [5]],
    ['lstm sequences', [L.lstm({ units: 6, returnSequences: true })], [7, 6]],
    ['peephole + coupled lstm, 2 layers', [L.lstm({ units: 4, numLayers: 2, peephole: true, coupledGates: true, dropout: 0.2 })], [4]],
    ['gru bidirectional concat', [L.bidirectional({ layer: L.gru({ units: 3, returnSequences: true }) })], [7, 6]],
    ['ugrnn bidirectional sum', [L.bidirectional({ layer: L.ugrnn({ units: 3 }), mergeMode: 'sum' })], [3]],
    ['timeDistributed dense', [L.lstm({ units: 4, returnSequences: true }), L.timeDistributed({ layer: L.dense({ units: 2, activation: 'relu' }) })], [7, 2]],
  ];
  for (const [name, specs, expected] of cases) {
    const m = sequential(specs, { inputShape: [7, 3] });
    const out = m.eval().forward(randn([2, 7, 3]));
    t.deepEqual(out.shape, [2, ...expected], name);
  }
});

test('parameters carry PyTorch names and gate layouts', (t) => {
  const m = sequential([L.bidirectional({ layer: L.lstm({ units: 4, numLayers: 2 }) })], { inputShape: [5, 3] });
  const names = new Map(m.namedParameters().map(([n, p]) => [n, p.shape]));
  t.deepEqual(names.get('0.weight_ih_l0'), [16, 3]);
  t.deepEqual(names.get('0.weight_hh_l0_reverse'), [16, 4]);
  t.deepEqual(names.get('0.weight_ih_l1'), [16, 8]);
  t.deepEqual(names.get('0.bias_hh_l1_reverse'), [16]);
  const g = sequential([L.gru({ units: 2 })], { inputShape: [5, 3] });
  t.deepEqual(g.namedParameters().map(([n, p]) => [n, p.shape]), [
    ['0.weight_ih_l0', [6, 3]],
    ['0.weight_hh_l0', [6, 2]],
    ['0.bias_ih_l0', [6]],
    ['0.bias_hh_l0', [6]],
  ]);
});

test('returnState and initial states flow through a functional model, batch-first', (t) => {
  const x = input({ shape: [6, 3] });
  const encoder = L.lstm({ units: 4, returnState: true });
  const [seq, h, c] = encoder.applyMulti([x]);
  t.deepEqual([seq!.shape, h!.shape, c!.shape], [[4], [1, 4], [1, 4]]);
  const second = L.lstm({ units: 4, returnSequences: true });
  const resumed = second.applyMulti([x, h!, c!])[0]!;
  const m = model({ inputs: x, outputs: [seq!, h!, c!, resumed] });
  const [last, hn, cn, out] = m.eval().forward(randn([2, 6, 3]));
  t.deepEqual(hn!.shape, [2, 1, 4]);
  t.deepEqual(out!.shape, [2, 6, 4]);
  // The last output of a one-layer LSTM is its final hidden state.
  t.true(close(last!.dataSync(), hn!.dataSync()));
  t.false(close(cn!.dataSync(), hn!.dataSync()));
  t.throws(() => L.lstm({ units: 4 }).applyMulti([x, input({ shape: [2, 4] })]), { instanceOf: ValueError, message: /initial states must have shape \[1, 4\]/ });
});

test.serial('padding with maskZero + maskValue changes neither outputs nor the real steps', (t) => {
  manualSeed(5);
  const m = sequential([L.embedding({ inputDim: 9, outputDim: 4, maskZero: true }), L.bidirectional({ layer: L.gru({ units: 3, maskValue: 0 }) })], { inputShape: [6] });
  m.eval();
  const short = m.forward(tensor([[3, 1, 4, 1]]));
  manualSeed(5);
  const padded = sequential([L.embedding({ inputDim: 9, outputDim: 4, maskZero: true }), L.bidirectional({ layer: L.gru({ units: 3, maskValue: 0 }) })], { inputShape: [6] });
  // Same weights: copy them over by name.
  const source = new Map(m.namedParameters());
  padded.namedParameters().forEach(([n, p]) => p.assign(source.get(n)!));
  const withPad = padded.eval().forward(tensor([[3, 1, 4, 1, 0, 0]]));
  t.true(close(short.dataSync(), withPad.dataSync()), `${Array.from(short.dataSync())} vs ${Array.from(withPad.dataSync())}`);
});

test('a saved LSTM model loads with identical predictions', async (t) => {
  const m = sequential([L.lstm({ units: 5, peephole: true, returnSequences: true }), L.timeDistributed({ layer: L.dense({ units: 2 }) })], { inputShape: [4, 3] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-rnn-'));
  const file = path.join(dir, 'lstm.fgm');
  await m.save(file);
  const back = await loadModel(file);
  const x = randn([2, 4, 3]);
  t.true(close(m.eval().forward(x).dataSync(), back.eval().forward(x).dataSync(), 0));
  fs.rmSync(dir, { recursive: true });
});

test('bad recurrent configurations are rejected with the offending value', (t) => {
  t.throws(() => L.lstm({ units: 0 }), { instanceOf: ValueError, message: /units must be an integer >= 1, got 0/ });
  t.throws(() => L.gru({ units: 2, dropout: 1.5 }), { instanceOf: ValueError, message: /dropout must be in \[0, 1\), got 1.5/ });
  t.throws(() => L.bidirectional({ layer: L.dense({ units: 2 }) as never }), { instanceOf: ValueError, message: /must be a recurrent layer/ });
  t.throws(() => L.bidirectional({ layer: L.lstm({ units: 2, tbpttSteps: 4 }) }), { instanceOf: ValueError, message: /unidirectional layers only/ });
  t.throws(() => sequential([L.lstm({ units: 2 })], { inputShape: [3] }), { instanceOf: ValueError, message: /expects \[steps, features\] samples/ });
  const m = sequential([L.lstm({ units: 2 })], { inputShape: [5, 3] });
  t.throws(() => m.forward(randn([2, 5, 4])), { message: /LSTM|input_size|3/ });
});

test('text helpers: vocabulary round trip, windows, unigram baseline and sampling', (t) => {
  const vocab = CharVocabulary.fromText('hello world');
  t.is(vocab.size, 8);
  t.is(vocab.decode(vocab.encode('low door')), 'low door');
  t.throws(() => vocab.encode('hi!'), { instanceOf: ValueError, message: /"i" \(position 1\) is not in the vocabulary/ });
  const { x, y } = nextTokenWindows([0, 1, 2, 3, 4, 5, 6], { seqLength: 3, step: 2 });
  t.deepEqual(x.toArray(), [[0, 1, 2], [2, 3, 4]]);
  t.deepEqual(y.toArray(), [[1, 2, 3], [3, 4, 5]]);
  // Uniform frequencies over 4 symbols: log 4 nats.
  t.true(Math.abs(unigramCrossEntropy([0, 1, 2, 3], [0, 1, 2, 3], 4) - Math.log(4)) < 1e-12);
  t.is(sampleLogits([0.1, 3, 0.2], 0, Math.random), 1);
  const draws = Array.from({ length: 2000 }, (_, i) => sampleLogits([0, Math.log(3)], 1, mulberry32(i)));
  const ones = draws.filter((d) => d === 1).length / draws.length;
  t.true(Math.abs(ones - 0.75) < 0.05, `P(1) = ${ones}, expected 0.75`);
});

test.serial('a character LSTM trained through fit beats the unigram baseline on held-out Shakespeare', async (t) => {
  manualSeed(1);
  const text = await loadTinyShakespeare();
  const vocab = CharVocabulary.fromText(text);
  const ids = vocab.encode(text);
  const split = Math.floor(ids.length * 0.9);
  const seqLength = 32;
  const train = nextTokenWindows(ids.subarray(0, split), { seqLength, maxWindows: 1500 });
  const val = nextTokenWindows(ids.subarray(split), { seqLength, maxWindows: 200 });
  const m = sequential([L.embedding({ inputDim: vocab.size, outputDim: 16 }), L.lstm({ units: 64, returnSequences: true }), L.dense({ units: vocab.size })], { inputShape: [seqLength] });
  m.compile({ optimizer: { type: 'adam', lr: 1e-2, clipNorm: 5 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  const h = await m.fit(train.x, train.y, { epochs: 3, batchSize: 32, validationData: [val.x, val.y], verbose: 0, seed: 0 });
  const baseline = unigramCrossEntropy(ids.subarray(0, split), ids.subarray(split), vocab.size);
  const valLoss = h.history.val_loss!.at(-1)!;
  t.log(`validation ${valLoss.toFixed(3)} nats/char vs unigram ${baseline.toFixed(3)}; token accuracy ${h.history.val_accuracy!.at(-1)!.toFixed(3)}`);
  t.true(valLoss < baseline - 0.8, `validation loss ${valLoss} is not clearly below the unigram baseline ${baseline}`);
  const sample = await generateText(m, vocab, { prompt: 'ROMEO:', length: 80, temperature: 0.8, contextLength: seqLength, seed: 3 });
  t.is(Array.from(sample).length, 6 + 80);
  t.true(sample.startsWith('ROMEO:'));
  t.is(await generateText(m, vocab, { prompt: 'ROMEO:', length: 40, temperature: 0.8, contextLength: seqLength, seed: 3 }), sample.slice(0, 46), 'the same seed samples the same text');
});

for (const cell of ['lstm', 'gru'] as const) {
  test.serial(`a ${cell} seq2seq model learns to reverse digit sequences (greedy and beam search)`, async (t) => {
    manualSeed(3);
    const len = 5;
    const [start, stop] = [10, 11];
    const rand = mulberry32(42);
    const make = (n: number) => {
      const src = Array.from({ length: n }, () => Array.from({ length: len }, () => Math.floor(rand() * 10)));
      const tgt = src.map((s) => [...s].reverse().concat([stop]));
      return { src, x: tensor(Float32Array.from(src.flat()), [n, len]), y: tensor(Float32Array.from(tgt.flat()), [n, len + 1]) };
    };
    const train = make(3000);
    const testSet = make(300);
    const s2s = new Seq2Seq({ cell, srcVocab: 10, tgtVocab: 12, startToken: start, stopToken: stop, srcLength: len, tgtLength: len + 1, units: 64, embeddingDim: 16 });
    s2s.compile({ optimizer: { type: 'adam', lr: 1e-2 } });
    await s2s.fit(train.x, train.y, { epochs: 14, batchSize: 64, verbose: 0, seed: 1 });
    const reference = testSet.src.map((s) => [...s].reverse());
    const greedy = exactSequenceAccuracy(await s2s.greedyDecode(testSet.x), reference);
    const beams = await s2s.beamSearch(testSet.x, { beamWidth: 3 });
    const beam = exactSequenceAccuracy(beams.map((b) => b[0]!.tokens), reference);
    t.log(`${cell}: exact-sequence accuracy greedy ${greedy.toFixed(3)}, beam ${beam.toFixed(3)}`);
    t.true(greedy >= 0.95, `greedy exact-sequence accuracy ${greedy}`);
    t.true(beam >= 0.95, `beam exact-sequence accuracy ${beam}`);
    t.true(beams.every((b) => b.length >= 1 && b.every((h, i) => i === 0 || h.logProb <= b[i - 1]!.logProb + 1e-9)), 'hypotheses are ranked best first');
    s2s.dispose();
  });
}

test('an embedding initializer is applied, keeps the padding row zero and survives save/load', async (t) => {
  const m = sequential([L.embedding({ inputDim: 50, outputDim: 40, maskZero: true, embeddingsInitializer: { type: 'randomUniform', minval: -0.05, maxval: 0.05 } })], { inputShape: [3] });
  const w = m.parameters()[0]!.dataSync();
  t.true(w.subarray(0, 40).every((v) => v === 0), 'padding row');
  t.true(w.subarray(40).every((v) => Math.abs(v) <= 0.05) && w.subarray(40).some((v) => v !== 0));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-emb-'));
  await m.save(path.join(dir, 'e.fgm'));
  const back = await loadModel(path.join(dir, 'e.fgm'));
  const init = (back.toJSON() as { layers: Array<{ embeddings_initializer: { type: string; minval: number; maxval: number } }> }).layers[0]!.embeddings_initializer;
  t.is(init.type, 'randomUniform');
  t.true(Math.abs(init.maxval - 0.05) < 1e-7 && Math.abs(init.minval + 0.05) < 1e-7);
  fs.rmSync(dir, { recursive: true });
});

test('eager cells step through a sequence exactly as the fused layer does', (t) => {
  const m = sequential([L.lstm({ units: 4, returnSequences: true })], { inputShape: [5, 3] }).eval();
  const p = new Map(m.namedParameters());
  const weights = { weightIh: p.get('0.weight_ih_l0')!, weightHh: p.get('0.weight_hh_l0')!, biasIh: p.get('0.bias_ih_l0')!, biasHh: p.get('0.bias_hh_l0')! };
  const x = randn([2, 5, 3]);
  const layerOut = m.forward(x).dataSync();
  let state: { h?: ReturnType<typeof randn>; c?: ReturnType<typeof randn> } = {};
  for (let s = 0; s < 5; s++) {
    state = lstmCell(x.narrow(1, s, 1).reshape([2, 3]), state, weights);
    const expected = [0, 1].flatMap((b) => Array.from(layerOut.subarray(b * 20 + s * 4, b * 20 + s * 4 + 4)));
    t.true(close(state.h!.dataSync(), expected), `step ${s}`);
  }
  const whole = rnnSequence(x, weights, { cell: 'lstm' });
  t.true(close(whole.output.dataSync(), layerOut));
});

test('gruCell follows the PyTorch GRU equations, gradients included', (t) => {
  const [i, h] = [3, 2];
  const w = { weightIh: randn([3 * h, i], 0, 1, { requiresGrad: true }), weightHh: randn([3 * h, h], 0, 1, { requiresGrad: true }), biasIh: randn([3 * h]), biasHh: randn([3 * h]) };
  const x = randn([4, i]);
  const h0 = randn([4, h]);
  const next = gruCell(x, h0, w);
  const gi = x.matmul(w.weightIh.transpose()).add(w.biasIh);
  const gh = h0.matmul(w.weightHh.transpose()).add(w.biasHh);
  const part = (g: typeof gi, k: number) => g.narrow(1, k * h, h);
  const r = part(gi, 0).add(part(gh, 0)).sigmoid();
  const z = part(gi, 1).add(part(gh, 1)).sigmoid();
  const n = part(gi, 2).add(r.mul(part(gh, 2))).tanh();
  const reference = z.mul(-1).add(1).mul(n).add(z.mul(h0));
  t.true(close(next.dataSync(), reference.dataSync()));
  const up = randn([4, h]);
  const [a1, a2] = grad(next.mul(up).sum(), [w.weightIh, w.weightHh]);
  const [b1, b2] = grad(reference.mul(up).sum(), [w.weightIh, w.weightHh]);
  t.true(close(a1!.dataSync(), b1!.dataSync(), 1e-4) && close(a2!.dataSync(), b2!.dataSync(), 1e-4));
});

test('explicit lengths as a model input: padded steps do not change the last real output', (t) => {
  const x = input({ shape: [6, 3] });
  const lengths = input({ shape: [] });
  const layer = L.bidirectional({ layer: L.lstm({ units: 4 }), mergeMode: 'ave' });
  const m = model({ inputs: [x, lengths], outputs: layer.applyMulti([x, lengths])[0]! }).eval();
  const short = randn([1, 4, 3]).dataSync();
  const padded = new Float32Array(18);
  padded.set(short);
  padded.fill(7, 12); // garbage in the two padded steps
  const full = m.forward([tensor(padded, [1, 6, 3]), tensor([4])]).dataSync();
  const exact = new Float32Array(18);
  exact.set(short);
  const other = m.forward([tensor(exact, [1, 6, 3]), tensor([4])]).dataSync();
  t.true(close(full, other), 'padding content is ignored');
  const unmasked = m.forward([tensor(padded, [1, 6, 3]), tensor([6])]).dataSync();
  t.false(close(full, unmasked));
});

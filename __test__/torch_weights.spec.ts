// PyTorch state dicts saved with safetensors load by name into ferrograd's recurrent and
// transformer layers and give PyTorch's outputs (fixtures: scripts/gen_torch_sequence_safetensors.py).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import test from 'ava';

import { ShapeError, ValueError, input, layers as L, model, sequential, tensor } from '../ts';

const FIX = path.join(__dirname, '..', 'fixtures', 'torch');
const fixture = JSON.parse(fs.readFileSync(path.join(FIX, 'sequence_models.json'), 'utf8')) as {
  lstm: { x: number[]; x_shape: number[]; y: number[]; h_n: number[]; h_shape: number[] };
  encoder_layer: { x: number[]; x_shape: number[]; y: number[] };
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

test('a bidirectional 2-layer torch.nn.LSTM loads by name and matches its output and states', async (t) => {
  const x = input({ shape: [5, 3] });
  const [y, h] = L.bidirectional({ layer: L.lstm({ units: 4, numLayers: 2, returnSequences: true, returnState: true }) }).applyMulti([x]);
  const m = model({ inputs: x, outputs: [y!, h!] });
  const report = await m.loadWeights(path.join(FIX, 'lstm.safetensors'), { prefix: 'bidirectional.' });
  t.deepEqual(report, { missingKeys: [], unexpectedKeys: [] });
  const [out, hn] = m.eval().forward(tensor(fixture.lstm.x, fixture.lstm.x_shape));
  t.true(maxDiff(out!.dataSync(), fixture.lstm.y) < 1e-5);
  // Our states are batch-first: [B, layers·directions, H] = torch's h_n with axes 0 and 1 swapped.
  t.true(maxDiff(hn!.transpose(0, 1).contiguous().dataSync(), fixture.lstm.h_n) < 1e-5);
});

test('a pre-norm GELU torch.nn.TransformerEncoderLayer loads by name and matches its output', async (t) => {
  const m = sequential([L.transformerEncoderLayer({ numHeads: 2, dimFeedforward: 16, dropout: 0, activation: 'gelu', normFirst: true })], { inputShape: [6, 8] });
  await m.loadWeights(path.join(FIX, 'encoder_layer.safetensors'), { prefix: '0.' });
  const out = m.eval().forward(tensor(fixture.encoder_layer.x, fixture.encoder_layer.x_shape));
  t.true(maxDiff(out.dataSync(), fixture.encoder_layer.y) < 1e-5);
});

test('saveWeights with a prefix round trips (torch names), and mismatches are reported before any write', async (t) => {
  const m = sequential([L.lstm({ units: 4, numLayers: 2, returnSequences: true })], { inputShape: [5, 3] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-w-'));
  const file = path.join(dir, 'w.safetensors');
  await m.saveWeights(file, { prefix: '0.' });
  const back = sequential([L.lstm({ units: 4, numLayers: 2, returnSequences: true })], { inputShape: [5, 3] });
  await back.loadWeights(file, { prefix: '0.' });
  const x = tensor(fixture.lstm.x, fixture.lstm.x_shape);
  t.is(maxDiff(back.eval().forward(x).dataSync(), m.eval().forward(x).dataSync()), 0);
  const bidi = sequential([L.bidirectional({ layer: L.lstm({ units: 4, numLayers: 2 }) })], { inputShape: [5, 3] });
  await t.throwsAsync(bidi.loadWeights(file, { prefix: '0.' }), { instanceOf: ValueError, message: /missing 'weight_ih_l0_reverse'/ });
  const wide = sequential([L.lstm({ units: 5, numLayers: 2 })], { inputShape: [5, 3] });
  const before = wide.parameters()[0]!.dataSync().slice();
  await t.throwsAsync(wide.loadWeights(file, { prefix: '0.' }), { instanceOf: ShapeError, message: /weight_ih_l0': got \[16, 3\], expected \[20, 3\]/ });
  t.deepEqual(wide.parameters()[0]!.dataSync(), before, 'nothing written');
  fs.rmSync(dir, { recursive: true });
});

// Seeded batch augmentation and its use as a Dataset pipeline step.
import test from 'ava';

import { Dataset, Tensor, ValueError, augment, augmentation, channelsFirst, channelsLast, tensor } from '../ts';

const images = (n: number): Tensor => tensor(Array.from({ length: n }, (_, s) => [Array.from({ length: 3 }, (_, i) => Array.from({ length: 4 }, (_, j) => s * 100 + i * 4 + j + 1))]));

test('each step transforms samples as documented and is reproducible by seed', (t) => {
  const x = images(16);
  const flipped = augment.randomFlip(x, { seed: 3 });
  t.deepEqual(flipped.toArray(), augment.randomFlip(x, { seed: 3 }).toArray());
  const rows = flipped.toArray() as number[][][][];
  const orig = x.toArray() as number[][][][];
  let mirrored = 0;
  rows.forEach((s, k) => {
    const m = orig[k]![0]!.map((r) => [...r].reverse());
    if (JSON.stringify(s[0]) === JSON.stringify(m)) mirrored++;
    else t.deepEqual(s[0], orig[k]![0]);
  });
  t.true(mirrored > 2 && mirrored < 14, `${mirrored} of 16 mirrored`);
  const crop = augment.randomCrop(x, { padding: 1, seed: 1 });
  t.deepEqual(crop.shape, [16, 1, 3, 4]);
  t.true(Array.from(crop.dataSync()).some((v) => v === 0), 'zero padding shows up');
  t.deepEqual(augment.randomRotation(x, { degrees: 0 }).toArray(), x.toArray());
  t.deepEqual(augment.normalize(tensor([[[[2, 4]]]]), { mean: [2], std: [2] }).toArray(), [[[[0, 1]]]]);
  t.throws(() => augment.randomCrop(tensor([1, 2]), { padding: 1 }), { instanceOf: ValueError, message: /\[N, C, H, W\]/ });
  t.throws(() => augmentation([{ type: 'shear' } as never])(x), { instanceOf: ValueError, message: /unknown step 'shear'/ });
});

test('augmentation() maps the images of [x, y] batches, reproducibly, with new draws per call', async (t) => {
  const x = images(8);
  const y = tensor([0, 1, 2, 3, 4, 5, 6, 7]);
  const pipeline = (): Dataset<[Tensor, Tensor]> =>
    Dataset.fromTensors(x, y).batch(4).map(augmentation<[Tensor, Tensor]>([{ type: 'randomFlip' }, { type: 'gaussianNoise', stddev: 0.1 }], { seed: 5 }));
  const a = await pipeline().toArray();
  const b = await pipeline().toArray();
  t.deepEqual(a.map(([bx]) => Array.from(bx.dataSync())), b.map(([bx]) => Array.from(bx.dataSync())));
  t.deepEqual(a.map(([, by]) => Array.from(by.dataSync())), [[0, 1, 2, 3], [4, 5, 6, 7]], 'targets pass through');
  t.notDeepEqual(Array.from(a[0]![0].dataSync()), Array.from(x.narrow(0, 0, 4).dataSync()));
});

test('channelsFirst / channelsLast convert between NHWC and NCHW', (t) => {
  const nhwc = tensor([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]]); // [1, 2, 2, 2]: H, W, C
  const nchw = channelsFirst(nhwc);
  t.deepEqual(nchw.shape, [1, 2, 2, 2]);
  t.deepEqual(nchw.toArray(), [[[[1, 3], [5, 7]], [[2, 4], [6, 8]]]]);
  t.deepEqual(channelsLast(nchw).toArray(), nhwc.toArray());
  t.throws(() => channelsFirst(tensor([1, 2])), { instanceOf: ValueError, message: /4-D image batch/ });
});

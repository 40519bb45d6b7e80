// word2vec skip-gram with negative sampling on the bundled Tiny Shakespeare: the loss falls and
// nearest neighbours group related words.
import test from 'ava';

import { ValueError, Word2Vec, loadTinyShakespeare, tokenize } from '../ts';

test('skip-gram vectors on Tiny Shakespeare put related words near each other', async (t) => {
  const tokens = tokenize(await loadTinyShakespeare());
  t.is(tokens.length, 204062);
  const { model, losses } = await Word2Vec.train(tokens.slice(0, 60000), { epochs: 3, dim: 48, seed: 1 });
  t.log(`vocabulary ${model.words.length}; loss per epoch ${losses.map((l) => l.toFixed(3)).join(', ')}`);
  t.true(losses[2]! < losses[0]! - 0.2);
  const thou = model.mostSimilar('thou', 5).map((s) => s.word);
  const my = model.mostSimilar('my', 5).map((s) => s.word);
  t.log(`thou: ${thou.join(', ')}; my: ${my.join(', ')}`);
  t.true(thou.some((w) => ['thy', 'thee', 'art', 'hast', 'wilt', 'dost', 'thyself', 'shalt'].includes(w)), thou.join(','));
  t.true(my.some((w) => ['thy', 'his', 'your', 'her', 'our', 'mine', 'gracious', 'noble'].includes(w)), my.join(','));
  t.deepEqual(model.vector('king').shape, [48]);
  t.throws(() => model.vector('xylophone'), { instanceOf: ValueError, message: /not in the vocabulary/ });
  await t.throwsAsync(Word2Vec.train(['a', 'b'], {}), { instanceOf: ValueError, message: /minCount/ });
});

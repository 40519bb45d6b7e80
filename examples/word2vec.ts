/**
 * word2vec (skip-gram, negative sampling) on the whole bundled Tiny Shakespeare, then nearest
 * neighbours of a few words. Run with `npx tsx examples/word2vec.ts [epochs]` (default 3).
 */

import { Word2Vec, loadTinyShakespeare, tokenize } from '../ts/index';

async function main(): Promise<void> {
  const tokens = tokenize(await loadTinyShakespeare());
  const started = Date.now();
  const { model, losses } = await Word2Vec.train(tokens, { epochs: Number(process.argv[2] ?? 3), dim: 64, window: 3, seed: 1 });
  console.log(`${tokens.length} tokens, vocabulary ${model.words.length}, loss per epoch ${losses.map((l) => l.toFixed(3)).join(' ')}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const w of ['king', 'queen', 'love', 'thou', 'death', 'good', 'sword']) {
    console.log(`${w.padEnd(6)} ${model.mostSimilar(w, 6).map((s) => `${s.word} (${s.similarity.toFixed(2)})`).join(', ')}`);
  }
}

void main();

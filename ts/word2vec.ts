/**
 * word2vec skip-gram with negative sampling (Mikolov et al. 2013; course notes): each word has
 * an input vector and an output vector; a (centre, context) pair within the window should score
 * `σ(v_c · u_o) → 1` and `k` words drawn from the unigram distribution raised to 3/4 should
 * score `σ(v_c · u_n) → 0`. Trained with the native optimizer on batches of pairs; nearest
 * neighbours by cosine similarity of the input vectors.
 */

import { noGrad } from './autograd';
import { randn, zeros } from './creation';
import { ValueError } from './errors';
import { mulberry32 } from './internal/prng';
import { optimizer } from './optimizers';
import { Tensor } from './tensor';

/** Options of {@link Word2Vec.train}. */
export interface Word2VecOptions {
  /** Vector size (default 64). */
  dim?: number;
  /** Context words on each side (default 2). */
  window?: number;
  /** Negative samples per pair (default 5). */
  negatives?: number;
  /** Words seen fewer times are dropped (default 5). */
  minCount?: number;
  /** Passes over the pairs (default 1). */
  epochs?: number;
  /** Pairs per optimizer step (default 1024). */
  batchSize?: number;
  /** Adam learning rate (default 0.01). */
  lr?: number;
  /** Seed of initialisation, shuffling and negative draws (default 0). */
  seed?: number;
}

/** Lower-case word tokens of a text (letters and apostrophes). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z']+/g) ?? [];
}

/** Word vectors trained by skip-gram with negative sampling. */
export class Word2Vec {
  /** The vocabulary, most frequent first. */
  readonly words: string[];
  /** `[vocabulary, dim]` input ("word") vectors. */
  readonly vectors: Tensor;
  private readonly index: Map<string, number>;

  private constructor(words: string[], vectors: Tensor) {
    this.words = words;
    this.vectors = vectors;
    this.index = new Map(words.map((w, i) => [w, i]));
  }

  /** Trains vectors on a token sequence; resolves to the model and the mean loss of each epoch. */
  static async train(tokens: string[], options: Word2VecOptions = {}): Promise<{ model: Word2Vec; losses: number[] }> {
    const dim = options.dim ?? 64;
    const window = options.window ?? 2;
    const k = options.negatives ?? 5;
    const batchSize = options.batchSize ?? 1024;
    const random = mulberry32(options.seed ?? 0);
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const words = [...counts.entries()].filter(([, c]) => c >= (options.minCount ?? 5)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
    if (words.length < 2) throw new ValueError(`word2vec: only ${words.length} words occur minCount times; pass more text or lower minCount`);
    const id = new Map(words.map((w, i) => [w, i]));
    const ids = tokens.map((t) => id.get(t)).filter((i): i is number => i !== undefined);
    // Unigram^0.75 table for negative sampling.
    const weights = words.map((w) => counts.get(w)! ** 0.75);
    const total = weights.reduce((a, b) => a + b, 0);
    const cdf: number[] = [];
    weights.reduce((acc, w, i) => ((cdf[i] = (acc + w) / total), acc + w), 0);
    const drawNegative = (): number => {
      const u = random();
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const pairs: Array<[number, number]> = [];
    ids.forEach((c, i) => {
      for (let j = Math.max(0, i - window); j <= Math.min(ids.length - 1, i + window); j++) if (j !== i) pairs.push([c, ids[j]!]);
    });
    const v = words.length;
    const inVectors = randn([v, dim], 0, 0.5 / dim, { seed: options.seed ?? 0 });
    const outVectors = zeros([v, dim]);
    inVectors.requiresGrad = true;
    outVectors.requiresGrad = true;
    const opt = optimizer([inVectors, outVectors], { type: 'adam', lr: options.lr ?? 0.01 });
    const losses: number[] = [];
    for (let epoch = 0; epoch < (options.epochs ?? 1); epoch++) {
      for (let i = pairs.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
      }
      let sum = 0;
      let steps = 0;
      for (let start = 0; start < pairs.length; start += batchSize) {
        const batch = pairs.slice(start, start + batchSize);
        const b = batch.length;
        const centre = inVectors.indexSelect(0, batch.map((p) => p[0]));
        const context = outVectors.indexSelect(0, batch.map((p) => p[1]));
        const negIds = Array.from({ length: b * k }, drawNegative);
        const negatives = outVectors.indexSelect(0, negIds).reshape([b, k, dim]);
        const positive = centre.mul(context).sum(1).logSigmoid();
        const negative = negatives.matmul(centre.reshape([b, dim, 1])).reshape([b, k]).neg().logSigmoid().sum(1);
        const l = positive.add(negative).mean().neg();
        sum += l.item();
        steps++;
        l.backward();
        opt.step();
        opt.zeroGrad();
        // Yield so a long run does not starve the event loop.
        if (steps % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      losses.push(sum / Math.max(steps, 1));
    }
    return { model: new Word2Vec(words, inVectors.detach()), losses };
  }

  /** The vector of `word` (`[dim]`). */
  vector(word: string): Tensor {
    const i = this.index.get(word);
    if (i === undefined) throw new ValueError(`word2vec: '${word}' is not in the vocabulary`);
    return this.vectors.narrow(0, i, 1).reshape([-1]);
  }

  /** The `k` words whose vectors are closest to `word`'s by cosine similarity. */
  mostSimilar(word: string, k = 5): Array<{ word: string; similarity: number }> {
    return noGrad(() => {
      const norms = this.vectors.square().sum(1, { keepDims: true }).sqrt().add(1e-8);
      const unit = this.vectors.div(norms);
      const q = this.vector(word);
      const sims = unit.matmul(q.div(q.square().sum().sqrt().add(1e-8)).reshape([-1, 1])).reshape([-1]);
      const values = Array.from(sims.dataSync());
      const self = this.index.get(word)!;
      return values
        .map((similarity, i) => ({ word: this.words[i]!, similarity }))
        .filter((_, i) => i !== self)
        .sort((a, b) => b.similarity - a.similarity)
        .slice(0, k);
    });
  }
}


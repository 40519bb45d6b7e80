/**
 * Character-level language modelling helpers: a vocabulary, next-character training windows, the
 * unigram baseline a model must beat, and temperature sampling from any model that maps a window
 * of ids to per-step logits (a recurrent or transformer language model).
 */

import { ValueError } from './errors';
import { mulberry32 } from './internal/prng';
import type { Model } from './model';
import { Tensor, tensor } from './tensor';

/** Maps characters to ids `0..size-1` (sorted by code point, so the mapping is reproducible). */
export class CharVocabulary {
  /** The characters, indexed by id. */
  readonly chars: string[];
  private readonly ids: Map<string, number>;

  /** A vocabulary of exactly `chars` (duplicates are rejected). */
  constructor(chars: string[]) {
    if (chars.length === 0) throw new ValueError('CharVocabulary: needs at least one character');
    this.chars = [...chars];
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
    if (this.ids.size !== this.chars.length) throw new ValueError('CharVocabulary: characters must be distinct');
  }

  /** Every distinct character of `text`, sorted by code point. */
  static fromText(text: string): CharVocabulary {
    const set = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharVocabulary(set);
  }

  /** Number of characters. */
  get size(): number {
    return this.chars.length;
  }

  /** The ids of `text`'s characters; throws on a character outside the vocabulary. */
  encode(text: string): Int32Array {
    const chars = Array.from(text);
    const out = new Int32Array(chars.length);
    chars.forEach((c, i) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new ValueError(`CharVocabulary.encode: character ${JSON.stringify(c)} (position ${i}) is not in the vocabulary`);
      out[i] = id;
    });
    return out;
  }

  /** The text of `ids`; throws on an id outside `0..size-1`. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]!];
      if (c === undefined) throw new ValueError(`CharVocabulary.decode: id ${ids[i]} is not in [0, ${this.size})`);
      s += c;
    }
    return s;
  }
}

/** Options of {@link nextTokenWindows}. */
export interface WindowOptions {
  /** Steps per window (the model's sequence length). */
  seqLength: number;
  /** Distance between window starts (default `seqLength`: non-overlapping windows). */
  step?: number;
  /** At most this many windows, evenly spread over the text (default: all). */
  maxWindows?: number;
}

/**
 * Training pairs for next-token prediction: `x[i]` is a window of `seqLength` ids and `y[i]` the
 * same window shifted by one (the id that follows each step), both `[N, seqLength]` (ids as
 * floats, as `embedding` and `sparseCategoricalCrossentropy` take them).
 */
export function nextTokenWindows(ids: ArrayLike<number>, options: WindowOptions): { x: Tensor; y: Tensor } {
  const { seqLength } = options;
  const step = options.step ?? seqLength;
  if (!Number.isInteger(seqLength) || seqLength <= 0) throw new ValueError(`nextTokenWindows: seqLength must be a positive integer, got ${seqLength}`);
  if (!Number.isInteger(step) || step <= 0) throw new ValueError(`nextTokenWindows: step must be a positive integer, got ${step}`);
  const available = ids.length > seqLength ? Math.floor((ids.length - seqLength - 1) / step) + 1 : 0;
  if (available === 0) throw new ValueError(`nextTokenWindows: a text of ${ids.length} tokens has no window of ${seqLength} + 1 tokens`);
  const n = Math.min(available, options.maxWindows ?? available);
  const x = new Float32Array(n * seqLength);
  const y = new Float32Array(n * seqLength);
  for (let w = 0; w < n; w++) {
    // Evenly spread when capped, so a small subset still covers the whole text.
    const start = Math.floor((w * available) / n) * step;
    for (let t = 0; t < seqLength; t++) {
      x[w * seqLength + t] = ids[start + t]!;
      y[w * seqLength + t] = ids[start + t + 1]!;
    }
  }
  return { x: tensor(x, [n, seqLength]), y: tensor(y, [n, seqLength]) };
}

/**
 * Cross-entropy (nats per token) of predicting `evalIds` with the token frequencies of `trainIds`
 * (add-one smoothed): the loss of a model that ignores context. A language model has learned
 * something when its validation loss is clearly below this.
 */
export function unigramCrossEntropy(trainIds: ArrayLike<number>, evalIds: ArrayLike<number>, vocabSize: number): number {
  if (evalIds.length === 0) throw new ValueError('unigramCrossEntropy: evalIds is empty');
  const counts = new Float64Array(vocabSize).fill(1);
  for (let i = 0; i < trainIds.length; i++) counts[trainIds[i]!]! += 1;
  const total = trainIds.length + vocabSize;
  let sum = 0;
  for (let i = 0; i < evalIds.length; i++) sum -= Math.log(counts[evalIds[i]!]! / total);
  return sum / evalIds.length;
}

/**
 * Draws an index from `logits / temperature` (softmax), or the argmax when `temperature` is 0.
 * Lower temperatures give safer, more repetitive text; higher ones more varied, noisier text.
 */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, uniform: () => number): number {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new ValueError(`sampleLogits: temperature must be >= 0, got ${temperature}`);
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature === 0) return best;
  const max = logits[best]!;
  const weights = Array.from(logits, (l) => Math.exp((l - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** Options of {@link generateText}. */
export interface GenerateTextOptions {
  /** Text to start from (at least one character of the vocabulary). */
  prompt: string;
  /** Characters to generate. */
  length: number;
  /** Softmax temperature (default 1; 0 = greedy). */
  temperature?: number;
  /** The model's window: only the last `contextLength` characters are fed (default 64). */
  contextLength?: number;
  /** Seed of the sampling (default 0). */
  seed?: number;
}

/**
 * Generates text one character at a time from a language model that maps `[1, T]` ids to `[1, T, V]`
 * logits (e.g. `embedding` → `lstm({ returnSequences: true })` → `dense`), feeding back each
 * sample. Returns the prompt followed by the generated characters. Each step is one `predict`,
 * which runs off the main thread.
 */
export async function generateText(model: Model<Tensor>, vocab: CharVocabulary, options: GenerateTextOptions): Promise<string> {
  const { prompt, length } = options;
  const temperature = options.temperature ?? 1;
  const context = options.contextLength ?? 64;
  if (!Number.isInteger(length) || length < 0) throw new ValueError(`generateText: length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(context) || context <= 0) throw new ValueError(`generateText: contextLength must be a positive integer, got ${context}`);
  const ids = Array.from(vocab.encode(prompt));
  if (ids.length === 0) throw new ValueError('generateText: prompt must hold at least one character');
  const uniform = mulberry32(options.seed ?? 0);
  for (let k = 0; k < length; k++) {
    const window = ids.slice(-context);
    const x = tensor(Float32Array.from(window), [1, window.length]);
    const logits = await model.predict(x);
    x.dispose();
    const shape = logits.shape;
    if (shape.length !== 3 || shape[0] !== 1 || shape[1] !== window.length || shape[2] !== vocab.size) {
      logits.dispose();
      throw new ValueError(`generateText: the model must map [1, T] ids to [1, T, ${vocab.size}] logits, got [${shape.join(', ')}]`);
    }
    const all = logits.dataSync();
    logits.dispose();
    ids.push(sampleLogits(all.subarray((window.length - 1) * vocab.size), temperature, uniform));
  }
  return vocab.decode(ids);
}

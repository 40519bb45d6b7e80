/** Sequence metrics: corpus BLEU (the course notes' definition, up to 4-grams) and perplexity. */

import { ValueError, native } from '../errors';
import { bleuScore } from '../native';

/** Options of {@link bleu}. */
export interface BleuOptions {
  /** Largest n-gram order (default 4). */
  maxN?: number;
  /**
   * Reference length `r` of the brevity penalty: `'closest'` (per candidate, the reference length
   * nearest the candidate's, as Papineni, NLTK and sacreBLEU; default) or `'average'` (the mean
   * reference length, as the course notes word it).
   */
  refLength?: 'closest' | 'average';
  /** Added to the counts of an order without any match (default 0: such a corpus scores 0). */
  smoothing?: number;
}

/** A corpus BLEU score and its parts. */
export interface BleuResult {
  /** `B · exp(mean_n log p_n)`. */
  score: number;
  /** Modified (clipped) n-gram precisions `p_1 … p_N`. */
  precisions: number[];
  /** `B = 1` if `c > r`, else `exp(1 - r/c)`. */
  brevityPenalty: number;
  /** Total candidate length `c`. */
  candidateLength: number;
  /** Total reference length `r`. */
  referenceLength: number;
}

const tokens = (s: string | string[]): string[] => (typeof s === 'string' ? s.split(/\s+/).filter((w) => w.length > 0) : s);

/**
 * Corpus BLEU: `candidates[i]` (a sentence, split on whitespace, or a token list) is scored
 * against `references[i]` (one or more references). N-gram counts are clipped to their largest
 * count in any one reference.
 *
 * @example
 * ```ts
 * bleu(['the the the the the the the'], [['the cat is on the mat', 'there is a cat on the mat']], { maxN: 1 }).precisions; // [2/7]
 * ```
 */
export function bleu(candidates: Array<string | string[]>, references: Array<Array<string | string[]>>, options: BleuOptions = {}): BleuResult {
  if (candidates.length !== references.length) throw new ValueError(`bleu: ${candidates.length} candidates but ${references.length} reference lists`);
  return JSON.parse(native(() => bleuScore(candidates.map(tokens), references.map((refs) => refs.map(tokens)), JSON.stringify(options)))) as BleuResult;
}

/** Perplexity `exp(mean negative log-likelihood per token)`, e.g. of a language model's cross-entropy loss. */
export function perplexity(meanNll: number): number {
  if (!Number.isFinite(meanNll)) throw new ValueError(`perplexity: the mean negative log-likelihood must be finite, got ${meanNll}`);
  return Math.exp(meanNll);
}

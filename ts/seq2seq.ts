/**
 * Sequence-to-sequence learning with a recurrent encoder-decoder (Sutskever et al. 2014): the
 * encoder reads the source and hands its final states to the decoder, which is trained with
 * teacher forcing and decodes greedily or with beam search until a stop symbol.
 *
 * Everything runs on native layers: the training model is one functional graph
 * (`[source, shifted target] -> per-step logits`) trained through `fit`; decoding uses an encoder
 * model and a one-step decoder model built from the same layer names, whose weights are copied
 * from the training model before each decode.
 */

import { ValueError } from './errors';
import { input, model } from './functional';
import * as L from './layers';
import type { CompileArgs, FitArgs, History, Model } from './model';
import { Tensor, tensor } from './tensor';

/** Options of {@link Seq2Seq}. */
export interface Seq2SeqOptions {
  /** Recurrent cell of encoder and decoder (default `'lstm'`). */
  cell?: 'lstm' | 'gru';
  /** Source vocabulary size (ids in `[0, srcVocab)`). */
  srcVocab: number;
  /** Target vocabulary size (ids in `[0, tgtVocab)`, including the start and stop symbols). */
  tgtVocab: number;
  /** Id the decoder is fed first (must not occur inside targets). */
  startToken: number;
  /** Id that ends a decoded sequence. */
  stopToken: number;
  /** Source sequence length. */
  srcLength: number;
  /** Target sequence length in training (the decoded length is set per call). */
  tgtLength: number;
  /** Embedding size of both vocabularies (default 32). */
  embeddingDim?: number;
  /** Hidden units of encoder and decoder. */
  units: number;
}

/** Options of {@link Seq2Seq.greedyDecode} and {@link Seq2Seq.beamSearch}. */
export interface DecodeOptions {
  /** Longest output, stop symbol excluded (default: the training target length). */
  maxLength?: number;
}

/** Options of {@link Seq2Seq.beamSearch}. */
export interface BeamSearchOptions extends DecodeOptions {
  /** Hypotheses kept per step (default 4). */
  beamWidth?: number;
  /**
   * Length normalisation α: hypotheses are ranked by `logP / length^α` (default 0: raw log
   * probability; around 0.6–1 favours longer outputs).
   */
  lengthPenalty?: number;
}

/** One decoded hypothesis. */
export interface Hypothesis {
  /** Output ids, stop symbol excluded. */
  tokens: number[];
  /** Sum of the log probabilities of the chosen ids (stop symbol included when reached). */
  logProb: number;
}

/** A recurrent encoder-decoder with teacher-forcing training, greedy decoding and beam search. */
export class Seq2Seq {
  /** The training graph: `[source [B, S], decoder input [B, T]] -> logits [B, T, tgtVocab]`. */
  readonly model: Model<Tensor>;
  private readonly encoder: Model<Tensor[]>;
  private readonly step: Model<Tensor[]>;
  private readonly options: Required<Seq2SeqOptions>;
  private readonly stateCount: number;

  constructor(options: Seq2SeqOptions) {
    const o: Required<Seq2SeqOptions> = { cell: 'lstm', embeddingDim: 32, ...options };
    for (const k of ['srcVocab', 'tgtVocab', 'srcLength', 'tgtLength', 'units', 'embeddingDim'] as const) {
      if (!Number.isInteger(o[k]) || o[k] <= 0) throw new ValueError(`Seq2Seq: ${k} must be a positive integer, got ${o[k]}`);
    }
    for (const k of ['startToken', 'stopToken'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] >= o.tgtVocab) throw new ValueError(`Seq2Seq: ${k} must be an id in [0, ${o.tgtVocab}), got ${o[k]}`);
    }
    if (o.cell !== 'lstm' && o.cell !== 'gru') throw new ValueError(`Seq2Seq: cell must be 'lstm' or 'gru', got '${String(o.cell)}'`);
    this.options = o;
    this.stateCount = o.cell === 'lstm' ? 2 : 1;
    const rnn = (name: string, returnSequences: boolean) => (o.cell === 'lstm' ? L.lstm : L.gru)({ name, units: o.units, returnSequences, returnState: true });
    const srcEmbedding = () => L.embedding({ name: 'src_embedding', inputDim: o.srcVocab, outputDim: o.embeddingDim });
    const tgtEmbedding = () => L.embedding({ name: 'tgt_embedding', inputDim: o.tgtVocab, outputDim: o.embeddingDim });
    const head = () => L.dense({ name: 'output', units: o.tgtVocab });

    // Training graph (teacher forcing).
    const src = input({ shape: [o.srcLength], name: 'source' });
    const tgtIn = input({ shape: [o.tgtLength], name: 'decoder_input' });
    const [, ...states] = rnn('encoder', false).applyMulti([srcEmbedding().apply(src)]);
    const [decoded] = rnn('decoder', true).applyMulti([tgtEmbedding().apply(tgtIn), ...states]);
    this.model = model({ inputs: [src, tgtIn], outputs: head().apply(decoded!) });

    // Inference graphs with the same layer names (weights copied in `syncWeights`).
    const encSrc = input({ shape: [o.srcLength], name: 'source' });
    const [, ...encStates] = rnn('encoder', false).applyMulti([srcEmbedding().apply(encSrc)]);
    this.encoder = model({ inputs: encSrc, outputs: encStates });
    const token = input({ shape: [1], name: 'token' });
    const stateInputs = encStates.map((s, i) => input({ shape: s.shape, name: `state_${i}` }));
    const [stepOut, ...nextStates] = rnn('decoder', true).applyMulti([tgtEmbedding().apply(token), ...stateInputs]);
    this.step = model({ inputs: [token, ...stateInputs], outputs: [head().apply(stepOut!), ...nextStates] });
  }

  /** Sets optimizer and metrics; the loss is per-step sparse cross-entropy on the logits. */
  compile(args: Omit<CompileArgs, 'loss'> = {}): void {
    this.model.compile({ ...args, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true } });
  }

  /**
   * Teacher forcing pairs for targets `[B, T]`: the decoder input is the target shifted right
   * behind the start symbol, the label is the target itself.
   */
  teacherForcing(targets: Tensor): { decoderInput: Tensor; labels: Tensor } {
    const [b, t] = targets.shape;
    if (targets.shape.length !== 2 || t !== this.options.tgtLength) throw new ValueError(`Seq2Seq: targets must be [batch, ${this.options.tgtLength}], got [${targets.shape.join(', ')}]`);
    const y = targets.dataSync();
    const x = new Float32Array(y.length);
    for (let i = 0; i < b!; i++) {
      x[i * t] = this.options.startToken;
      x.set(y.subarray(i * t, i * t + t - 1), i * t + 1);
    }
    return { decoderInput: tensor(x, [b!, t]), labels: targets };
  }

  /** Trains with teacher forcing on `sources [B, S]` and `targets [B, T]` (targets usually end with the stop symbol). */
  async fit(sources: Tensor, targets: Tensor, args: FitArgs = {}): Promise<History> {
    const { decoderInput, labels } = this.teacherForcing(targets);
    try {
      return await this.model.fit([sources, decoderInput], labels, args);
    } finally {
      decoderInput.dispose();
    }
  }

  /** Copies the trained weights into the inference graphs (matched by parameter name). */
  private syncWeights(): void {
    const trained = new Map(this.model.namedParameters());
    for (const m of [this.encoder, this.step]) {
      for (const [name, p] of m.namedParameters()) {
        const source = trained.get(name);
        if (source === undefined) throw new ValueError(`Seq2Seq: parameter ${name} of the inference graph has no trained counterpart`);
        p.assign(source);
      }
    }
  }

  private maxLength(options: DecodeOptions): number {
    const n = options.maxLength ?? this.options.tgtLength;
    if (!Number.isInteger(n) || n <= 0) throw new ValueError(`Seq2Seq: maxLength must be a positive integer, got ${n}`);
    return n;
  }

  /** Runs one decoder step for `tokens` (one per row) from `states`; returns log-probabilities `[rows, V]` and the next states. */
  private async decodeStep(tokens: number[], states: Tensor[]): Promise<{ logProbs: Float32Array; states: Tensor[] }> {
    const tok = tensor(Float32Array.from(tokens), [tokens.length, 1]);
    try {
      const [logits, ...next] = await this.step.predict([tok, ...states]);
      const v = this.options.tgtVocab;
      const data = logits!.dataSync();
      logits!.dispose();
      const out = new Float32Array(data.length);
      for (let r = 0; r < tokens.length; r++) {
        const row = data.subarray(r * v, (r + 1) * v);
        let max = -Infinity;
        for (const x of row) max = Math.max(max, x);
        let sum = 0;
        for (const x of row) sum += Math.exp(x - max);
        const lse = max + Math.log(sum);
        for (let j = 0; j < v; j++) out[r * v + j] = row[j]! - lse;
      }
      return { logProbs: out, states: next };
    } finally {
      tok.dispose();
    }
  }

  /** Greedy decoding of `sources [B, S]`: the most likely id at every step, until the stop symbol or `maxLength`. */
  async greedyDecode(sources: Tensor, options: DecodeOptions = {}): Promise<number[][]> {
    const maxLength = this.maxLength(options);
    this.syncWeights();
    let states = await this.encoder.predict(sources);
    const b = sources.shape[0]!;
    const v = this.options.tgtVocab;
    const out: number[][] = Array.from({ length: b }, () => []);
    const done = new Array<boolean>(b).fill(false);
    let tokens = new Array<number>(b).fill(this.options.startToken);
    for (let s = 0; s < maxLength && done.includes(false); s++) {
      const step = await this.decodeStep(tokens, states);
      states.forEach((t) => t.dispose());
      states = step.states;
      tokens = tokens.map((_, r) => {
        const row = step.logProbs.subarray(r * v, (r + 1) * v);
        let best = 0;
        for (let j = 1; j < v; j++) if (row[j]! > row[best]!) best = j;
        if (!done[r]) {
          if (best === this.options.stopToken) done[r] = true;
          else out[r]!.push(best);
        }
        return best;
      });
    }
    states.forEach((t) => t.dispose());
    return out;
  }

  /**
   * Beam search for each source row: keeps the `beamWidth` most likely partial outputs, finishes
   * a hypothesis at the stop symbol, and returns every row's finished hypotheses, best first.
   */
  async beamSearch(sources: Tensor, options: BeamSearchOptions = {}): Promise<Hypothesis[][]> {
    const maxLength = this.maxLength(options);
    const width = options.beamWidth ?? 4;
    const alpha = options.lengthPenalty ?? 0;
    if (!Number.isInteger(width) || width <= 0) throw new ValueError(`Seq2Seq.beamSearch: beamWidth must be a positive integer, got ${width}`);
    this.syncWeights();
    const score = (h: Hypothesis): number => h.logProb / Math.max(1, h.tokens.length + 1) ** alpha;
    const rows = sources.shape[0]!;
    const perRow = sources.shape.slice(1).reduce((a, b) => a * b, 1);
    const srcData = sources.dataSync();
    const results: Hypothesis[][] = [];
    for (let r = 0; r < rows; r++) {
      const one = tensor(srcData.slice(r * perRow, (r + 1) * perRow), [1, ...sources.shape.slice(1)]);
      let states = await this.encoder.predict(one);
      one.dispose();
      let beams: Hypothesis[] = [{ tokens: [], logProb: 0 }];
      const finished: Hypothesis[] = [];
      for (let s = 0; s < maxLength && beams.length > 0; s++) {
        const last = beams.map((h) => (h.tokens.length === 0 ? this.options.startToken : h.tokens.at(-1)!));
        const step = await this.decodeStep(last, states);
        states.forEach((t) => t.dispose());
        const v = this.options.tgtVocab;
        const candidates: Array<{ from: number; token: number; logProb: number }> = [];
        beams.forEach((h, i) => {
          for (let j = 0; j < v; j++) candidates.push({ from: i, token: j, logProb: h.logProb + step.logProbs[i * v + j]! });
        });
        candidates.sort((a, b) => b.logProb - a.logProb);
        const next: Array<{ from: number; hyp: Hypothesis }> = [];
        for (const c of candidates) {
          if (next.length >= width) break;
          const tokens = [...beams[c.from]!.tokens];
          if (c.token === this.options.stopToken) {
            if (finished.length < width) finished.push({ tokens, logProb: c.logProb });
          } else {
            next.push({ from: c.from, hyp: { tokens: [...tokens, c.token], logProb: c.logProb } });
          }
        }
        // Stop when no live hypothesis can still beat the finished ones.
        if (finished.length >= width) {
          step.states.forEach((t) => t.dispose());
          beams = [];
          states = [];
          break;
        }
        beams = next.map((n) => n.hyp);
        states = step.states.map((t) => {
          const picked = gatherRows(t, next.map((n) => n.from));
          t.dispose();
          return picked;
        });
      }
      states.forEach((t) => t.dispose());
      // Hypotheses cut by maxLength compete too (without a stop symbol).
      results.push([...finished, ...beams].sort((a, b) => score(b) - score(a)).slice(0, width));
    }
    return results;
  }

  /** Frees the native models. */
  dispose(): void {
    this.model.dispose();
    this.encoder.dispose();
    this.step.dispose();
  }
}

/** Rows `index` of `t` (along axis 0) as a new tensor. */
function gatherRows(t: Tensor, index: number[]): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = t.dataSync();
  const out = new Float32Array(index.length * per);
  index.forEach((i, k) => out.set(data.subarray(i * per, (i + 1) * per), k * per));
  return tensor(out, [index.length, ...t.shape.slice(1)]);
}

/** Fraction of rows whose decoded ids equal the reference exactly (stop symbol excluded from both). */
export function exactSequenceAccuracy(decoded: number[][], references: number[][]): number {
  if (decoded.length !== references.length || decoded.length === 0) throw new ValueError(`exactSequenceAccuracy: needs equally many non-empty lists, got ${decoded.length} and ${references.length}`);
  const hits = decoded.filter((d, i) => d.length === references[i]!.length && d.every((x, j) => x === references[i]![j])).length;
  return hits / decoded.length;
}

/**
 * The training loop of {@link Module}: `compile` / `fit` / `evaluate` / `predict` / `trainStep`
 * with the semantics of the native `Sequential` loop (same shuffling permutation, batch order,
 * step order, log names and History), but calling the module's TypeScript `forward`.
 */

import { AutogradError, ShapeError, ValueError, native } from './errors';
import { lossName } from './native';
import { noGrad } from './autograd';
import { MetricName, MetricState } from './metrics';
import type { BatchProgress, EpochLogs, FitArgs, History, LossSpec, OptimizerSpec } from './model';
import type { Module } from './module';
import { Optimizer, loss as builtinLoss, optimizer as makeOptimizer } from './optimizers';
import { permutation } from './preprocessing';
import { ProgressPrinter } from './progress';
import { dims, forwardOf, inStep, integer, yieldToEventLoop } from './module_step';
import { Tensor } from './tensor';

/** A loss written in TypeScript: returns a differentiable one-element tensor (usually a mean over the batch). */
export type LossFn = (pred: Tensor, target: Tensor) => Tensor;

/** Options of {@link Module.compile}. */
export interface ModuleCompileArgs {
  /** Optimizer spec, as for `Sequential.compile` (default `'adam'`; `clipNorm` / `clipValue` supported). */
  optimizer?: OptimizerSpec;
  /** A built-in loss spec (as for `Sequential.compile`) or a TypeScript function of `(pred, target)`. */
  loss: LossSpec | LossFn;
  /** Metrics logged besides the loss (computed with tensor ops, same names as the native fit). */
  metrics?: MetricName[];
}

/**
 * Options of {@link Module.fit}: the subset of `Sequential.fit`'s {@link FitArgs} that a
 * JavaScript loop supports (no class weights, early stopping, checkpoints or plateau schedules).
 */
export type ModuleFitArgs = Pick<
  FitArgs,
  'epochs' | 'batchSize' | 'shuffle' | 'seed' | 'validationSplit' | 'initialEpoch' | 'verbose' | 'onEpochEnd' | 'onBatchEnd' | 'signal'
> & {
  /** Held-out `[inputs, targets]` evaluated after every epoch (instead of `validationSplit`). */
  validationData?: [Tensor, Tensor];
};

const FIT_OPTIONS = new Set<string>([
  'epochs',
  'batchSize',
  'shuffle',
  'seed',
  'validationSplit',
  'validationData',
  'initialEpoch',
  'verbose',
  'onEpochEnd',
  'onBatchEnd',
  'signal',
]);

/** Batch progress reports are throttled like the native loop's (at most one per 100 ms). */
const REPORT_EVERY_MS = 100;

function sortedLogs(logs: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(logs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The number of samples of a non-empty `(x, y)` pair. */
function samples(op: string, x: Tensor, y: Tensor): number {
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new ValueError(`${op}: x and y must be Tensors`);
  const n = x.shape[0] ?? 0;
  if (n === 0 || y.shape[0] !== n) {
    throw new ShapeError(`${op}: x ${dims(x)} and y ${dims(y)} must be non-empty batches with the same number of samples`);
  }
  return n;
}

/** Rows `start..start+len` of `t`, in `order` when shuffling. */
function rows(t: Tensor, order: number[] | undefined, start: number, len: number): Tensor {
  return order === undefined ? t.narrow(0, start, len) : t.indexSelect(0, order.slice(start, start + len));
}

/**
 * Optimizer, loss and metrics attached by {@link Module.compile}, and the loops using them.
 * @internal
 */
export class ModuleTrainer {
  /** The optimizer over the module's parameters. */
  readonly optimizer: Optimizer;
  private readonly lossFn: LossFn;
  private readonly lossName: string;
  private readonly metricNames: string[];
  /** Where `accuracy` splits one-output predictions: 0 for logits / margins, 0.5 otherwise (as the native fit). */
  private readonly binaryThreshold: number;
  /** Multi-class outputs are logits (softmax before AUC and perplexity). */
  private readonly multiclassLogits: boolean;
  private busy = false;

  constructor(
    private readonly module: Module,
    args: ModuleCompileArgs,
  ) {
    const op = `${this.name}.compile`;
    if (args === null || typeof args !== 'object' || args.loss === undefined) throw new ValueError(`${op}: pass { loss, optimizer?, metrics? }`);
    const spec = args.loss;
    const logits = typeof spec === 'object' && spec !== null && 'fromLogits' in spec && spec.fromLogits === true && spec.type === 'binaryCrossentropy';
    const margins = spec === 'hinge' || spec === 'squaredHinge' || (typeof spec === 'object' && spec !== null && (spec.type === 'hinge' || spec.type === 'squaredHinge'));
    this.binaryThreshold = logits || margins ? 0 : 0.5;
    this.multiclassLogits =
      typeof spec === 'object' && spec !== null && 'fromLogits' in spec && spec.fromLogits === true && (spec.type === 'sparseCategoricalCrossentropy' || spec.type === 'categoricalCrossentropy');
    if (typeof spec === 'function') {
      this.lossFn = spec;
      this.lossName = spec.name || 'custom loss';
    } else {
      const type = typeof spec === 'string' ? spec : spec?.type;
      try {
        native(() => lossName(JSON.stringify(spec)));
      } catch (err) {
        throw err instanceof ValueError ? new ValueError(`${op}: ${err.message.replace(/^loss: /, '')} (or pass a function)`) : err;
      }
      this.lossFn = (pred, target) => builtinLoss(spec, pred, target);
      this.lossName = String(type);
    }
    this.metricNames = [...(args.metrics ?? [])];
    try {
      this.metricStates();
    } catch (err) {
      throw err instanceof ValueError ? new ValueError(`${op}: ${err.message}`) : err;
    }
    const params = module.parameters();
    if (params.length === 0) throw new ValueError(`${op}: the module has no parameters to train`);
    this.optimizer = makeOptimizer(params, args.optimizer ?? 'adam');
  }

  private get name(): string {
    return this.module.constructor.name;
  }

  private metricStates(): MetricState[] {
    return this.metricNames.map((m) => new MetricState(m, this.binaryThreshold, this.multiclassLogits));
  }

  private claim(op: string): void {
    if (this.busy) throw new ValueError(`${op}: the module is busy with a running fit`);
    this.busy = true;
  }

  /** The loss of a batch, checked: errors name the loss, the result must be one element. */
  private lossOf(op: string, pred: Tensor, target: Tensor): Tensor {
    let value: unknown;
    try {
      value = this.lossFn(pred, target);
    } catch (err) {
      if (err instanceof ShapeError) {
        throw new ShapeError(`${op}: loss '${this.lossName}' cannot compare the prediction ${dims(pred)} with the target ${dims(target)}: ${err.message}`);
      }
      throw err;
    }
    if (!(value instanceof Tensor)) throw new ValueError(`${op}: loss '${this.lossName}' must return a Tensor, got ${typeof value}`);
    if (value.size !== 1) throw new ShapeError(`${op}: loss '${this.lossName}' must return a one-element tensor, got shape ${dims(value)}`);
    return value;
  }

  /**
   * One optimisation step, in the native loop's order (zero grads, forward, loss, backward,
   * step, zero grads); every tensor it creates, `batch()`'s included, is disposed at the end.
   */
  private step(op: string, batch: () => [Tensor, Tensor], states: MetricState[]): number {
    return inStep(
      this.module,
      () => {
        const [x, y] = batch();
        this.optimizer.zeroGrad();
        const pred = forwardOf(this.module, op, x);
        const loss = this.lossOf(op, pred, y);
        const value = loss.item();
        if (!loss.requiresGrad) {
          throw new AutogradError(`${op}: the loss does not depend on any trainable parameter (is every parameter frozen, or was the graph cut by detach()?)`);
        }
        loss.backward();
        this.optimizer.step();
        this.optimizer.zeroGrad();
        for (const m of states) m.update(pred, y);
        return value;
      },
    );
  }

  /** See {@link Module.trainStep}. */
  trainStep(x: Tensor, y: Tensor): number {
    const op = `${this.name}.trainStep`;
    samples(op, x, y);
    this.claim(op);
    try {
      this.module.train();
      return this.step(op, () => [x, y], []);
    } finally {
      this.busy = false;
    }
  }

  /** See {@link Module.evaluate}; `op` names the caller (`fit` for validation). */
  async evaluate(x: Tensor, y: Tensor, batchSize: number, op: string): Promise<Record<string, number>> {
    const n = samples(op, x, y);
    integer(op, 'batchSize', batchSize, 1);
    const wasTraining = this.module.training;
    this.module.eval();
    const states = this.metricStates();
    let lossSum = 0;
    try {
      for (let start = 0; start < n; start += batchSize) {
        if (start > 0) await yieldToEventLoop();
        const len = Math.min(batchSize, n - start);
        const batchLoss = inStep(
          this.module,
          () =>
            noGrad(() => {
              const by = y.narrow(0, start, len);
              const pred = forwardOf(this.module, op, x.narrow(0, start, len));
              const value = this.lossOf(op, pred, by).item();
              for (const m of states) m.update(pred, by);
              return value;
            }),
        );
        lossSum += batchLoss * len;
      }
    } finally {
      this.module.train(wasTraining);
    }
    const logs: Record<string, number> = { loss: lossSum / n };
    for (const m of states) logs[m.key] = m.value;
    return sortedLogs(logs);
  }

  /** See {@link Module.fit}. */
  async fit(x: Tensor, y: Tensor, args: ModuleFitArgs): Promise<History> {
    const op = `${this.name}.fit`;
    for (const key of Object.keys(args)) {
      if (!FIT_OPTIONS.has(key)) throw new ValueError(`${op}: unknown option '${key}' (Module.fit supports ${[...FIT_OPTIONS].join(', ')})`);
    }
    const epochs = integer(op, 'epochs', args.epochs ?? 1, 0);
    const batchSize = integer(op, 'batchSize', args.batchSize ?? 32, 1);
    const initialEpoch = integer(op, 'initialEpoch', args.initialEpoch ?? 0, 0);
    const seed = integer(op, 'seed', args.seed ?? 0, 0);
    const n = samples(op, x, y);
    const split = args.validationSplit ?? 0;
    if (!(split >= 0 && split < 1)) throw new ValueError(`${op}: validationSplit must be in [0, 1), got ${split}`);
    let train: [Tensor, Tensor] = [x, y];
    let val: [Tensor, Tensor] | undefined = args.validationData;
    const views: Tensor[] = [];
    if (val !== undefined) {
      samples(`${op} (validationData)`, val[0], val[1]);
    } else if (split > 0) {
      // Keras semantics: the last samples, taken before shuffling.
      const at = Math.floor(n * (1 - split));
      if (at === 0 || at === n) throw new ValueError(`${op}: validationSplit ${split} of ${n} samples leaves an empty training or validation set`);
      train = [x.narrow(0, 0, at), y.narrow(0, 0, at)];
      val = [x.narrow(0, at, n - at), y.narrow(0, at, n - at)];
      views.push(...train, ...val);
    }
    const history: History = { epochs: [], cancelled: false, stopped: false, history: {} };
    if (args.signal?.aborted) return { ...history, cancelled: true };
    this.claim(op);
    try {
      await this.epochs(op, train, val, { ...args, epochs, batchSize, initialEpoch, seed }, history);
    } finally {
      this.busy = false;
      this.module.eval();
      for (const v of views) v.dispose();
    }
    for (const e of history.epochs) for (const [k, v] of Object.entries(e.logs)) (history.history[k] ??= []).push(v);
    return history;
  }

  private async epochs(
    op: string,
    [x, y]: [Tensor, Tensor],
    val: [Tensor, Tensor] | undefined,
    args: ModuleFitArgs & { epochs: number; batchSize: number; initialEpoch: number; seed: number },
    history: History,
  ): Promise<void> {
    const { epochs, batchSize, seed, signal, onBatchEnd, onEpochEnd } = args;
    const n = x.shape[0]!;
    const batches = Math.ceil(n / batchSize);
    const printer = (args.verbose ?? 1) ? new ProgressPrinter(epochs, batchSize) : undefined;
    for (let epoch = args.initialEpoch; epoch < epochs; epoch++) {
      const started = performance.now();
      // The native fit's permutation: seeded uniform keys, argsorted, seed + epoch.
      const order = (args.shuffle ?? true) ? permutation(n, seed + epoch) : undefined;
      const states = this.metricStates();
      let lossSum = 0;
      let seen = 0;
      let lastReport: number | undefined;
      for (let b = 0; b < batches; b++) {
        await yieldToEventLoop();
        if (signal?.aborted) {
          history.cancelled = true;
          return;
        }
        const start = b * batchSize;
        const len = Math.min(batchSize, n - start);
        this.module.train();
        const loss = this.step(op, () => [rows(x, order, start, len), rows(y, order, start, len)], states);
        if (!Number.isFinite(loss)) throw new ValueError(`${op}: loss became ${loss} at epoch ${epoch}, batch ${b}`);
        lossSum += loss * len;
        seen += len;
        const now = performance.now();
        if ((lastReport === undefined || now - lastReport >= REPORT_EVERY_MS) && b + 1 < batches) {
          lastReport = now;
          const progress: BatchProgress = { epoch, batch: b + 1, batches, logs: this.logs(lossSum / seen, states), seconds: (now - started) / 1000 };
          printer?.batch(progress);
          onBatchEnd?.(progress);
        }
      }
      const trainSeconds = (performance.now() - started) / 1000;
      const logs = this.logs(lossSum / Math.max(seen, 1), states);
      if (val !== undefined) {
        for (const [k, v] of Object.entries(await this.evaluate(val[0], val[1], batchSize, op))) logs[`val_${k}`] = v;
      }
      const entry: EpochLogs = {
        epoch,
        logs: sortedLogs(logs),
        lr: this.optimizer.lr,
        seconds: (performance.now() - started) / 1000,
        samplesPerSec: seen / Math.max(trainSeconds, 1e-9),
      };
      history.epochs.push(entry);
      printer?.epoch(entry);
      onEpochEnd?.(entry);
    }
  }

  private logs(loss: number, states: MetricState[]): Record<string, number> {
    const logs: Record<string, number> = { loss };
    for (const m of states) logs[m.key] = m.value;
    return sortedLogs(logs);
  }
}

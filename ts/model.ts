import './internal/dispose';

import { NativeModel, loadNativeModel } from './native';
import { ValueError, native, nativeAsync } from './errors';
import { LayerSpec, resolveTies } from './layers';
import { Dataset } from './dataset';
import { DatasetFitArgs, TrainingBatch, evaluateDataset, fitDataset, predictDataset } from './model_stream';
import { BatchPosition, Callback, CallbackRunner } from './callbacks';
import type { Optimizer } from './optimizers';
import { toHistory } from './history';
import { ProgressPrinter } from './progress';
import { Tensor } from './tensor';
import { type LoadStateDictOptions, type LoadStateDictResult, loadWeightsFile, saveWeightsFile } from './module_state';

/**
 * An optimizer by name (`'adam'`) or with options (`{ type: 'sgd', lr: 0.1, momentum: 0.9 }`).
 * `clipNorm` (global L2 norm) and `clipValue` (per element) clip the gradients before each step,
 * like Keras' `clipnorm` / `clipvalue`. In `compile`, `paramGroups` gives groups of parameters
 * their own options (PyTorch `param_groups`), selected by name pattern (exact, `prefix*` or
 * `*suffix`): `{ type: 'adamw', weightDecay: 0.01, paramGroups: [{ params: ['*.bias'], weightDecay: 0 }] }`.
 */
export type OptimizerSpec =
  | 'sgd'
  | 'adam'
  | 'adamw'
  | 'rmsprop'
  | 'adagrad'
  | 'adadelta'
  | 'adamax'
  | 'lion'
  | {
      /** Algorithm name. */
      type: string;
      /** Learning rate (`learningRate` is accepted too). */
      lr?: number;
      /** Any other option of the algorithm (`momentum`, `beta1`, `weightDecay`, ...). */
      [option: string]: unknown;
    };

/** A loss by Keras name, or with options (`{ type: 'sparseCategoricalCrossentropy', fromLogits: true }`). */
export type LossSpec =
  | 'meanSquaredError'
  | 'mse'
  | 'meanAbsoluteError'
  | 'mae'
  | 'huber'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'kld'
  | 'kullbackLeiblerDivergence'
  | 'hinge'
  | 'squaredHinge'
  | 'cosineSimilarity'
  | 'logCosh'
  | 'poisson'
  | { type: string; fromLogits?: boolean; delta?: number };

/**
 * A per-epoch learning-rate schedule (epoch `t`, base LR from the optimizer), PyTorch semantics:
 * `{ type: 'step', stepSize: 10, gamma: 0.5 }`, `{ type: 'multiStep', milestones: [5, 8] }`,
 * `{ type: 'exponential', gamma: 0.95 }`, `{ type: 'inverseTime', k }` (lr0 / (1 + k·t)),
 * `{ type: 'inverseOffset', c }` (lr0 / (t + c)), `{ type: 'polynomial', total, power }`,
 * `{ type: 'cosine', tMax, etaMin }`, `{ type: 'cosineRestarts', t0, tMult, etaMin }`,
 * `{ type: 'warmup', steps, startFactor, schedule }`, `{ type: 'oneCycle', total }`, `'constant'`.
 */
export type ScheduleSpec = 'constant' | { type: string; [option: string]: unknown };

/** Keras-style early stopping. */
export interface EarlyStoppingArgs {
  /** Logged value to watch (default `'val_loss'`). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** `'min'`, `'max'` or `'auto'` (max for accuracies, default). */
  mode?: 'auto' | 'min' | 'max';
  /** Put back the weights of the best epoch when training ends (default false). */
  restoreBestWeights?: boolean;
}

/** Keras-style reduce-on-plateau (PyTorch semantics, relative threshold). */
export interface ReduceLrOnPlateauArgs {
  /** Logged value to watch (default `'val_loss'`). */
  monitor?: string;
  /** Multiplier applied on a plateau (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** `'min'` (default) or `'max'`. */
  mode?: 'min' | 'max';
  /** Relative improvement that counts (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction (default 0). */
  cooldown?: number;
  /** Lower bound of the learning rate (default 0). */
  minLr?: number;
}

/** Options of {@link Model.compile}. */
export interface CompileArgs {
  /** Optimizer (default `'adam'`). */
  optimizer?: OptimizerSpec;
  /** Loss minimised by `fit`: one for every output, or a list with one per output. */
  loss: LossSpec | LossSpec[];
  /** Weight of each output's loss in the total (multi-output models; default all 1). */
  lossWeights?: number[];
  /** Metrics reported besides the loss: `'accuracy'`, `'mse'`, `'mae'`, `'topKCategoricalAccuracy'`, ... */
  metrics?: string[];
  /** Learning-rate schedule applied per epoch by `fit`. */
  schedule?: ScheduleSpec;
}

/** Per-epoch logs: `loss`, each metric, and `val_`-prefixed values when validating. */
export interface EpochLogs {
  /** Zero-based epoch index. */
  epoch: number;
  /** Loss and metric values. */
  logs: Record<string, number>;
  /** Learning rate used in the epoch. */
  lr: number;
  /** Wall time of the epoch in seconds. */
  seconds: number;
  /** Training throughput. */
  samplesPerSec: number;
}

/** Batch progress reported during `fit`. */
export interface BatchProgress {
  /** Zero-based epoch index. */
  epoch: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Running averages of loss and metrics over the epoch so far. */
  logs: Record<string, number>;
  /** Seconds since the epoch began. */
  seconds: number;
}

/** What `fit` returns. */
export interface History {
  /** One entry per completed epoch. */
  epochs: EpochLogs[];
  /** The run was aborted through `signal`. */
  cancelled: boolean;
  /** A callback stopped the run. */
  stopped: boolean;
  /** `history.history.loss[i]` etc., as in Keras. */
  history: Record<string, number[]>;
}

/** Options of {@link Model.fit}. */
export interface FitArgs {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Reshuffle the samples every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling (default 0): the same seed gives the same run. */
  seed?: number;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation (Keras semantics). */
  validationSplit?: number;
  /** Epoch to start counting from (for resumed runs). */
  initialEpoch?: number;
  /** Per-class loss weights for sparse/categorical targets. */
  classWeight?: number[];
  /** Held-out `[inputs, targets]` or `[inputs, targets, sampleWeight]` evaluated after every epoch (instead of `validationSplit`). */
  validationData?: [Tensors, Tensors] | [Tensors, Tensors, Tensor];
  /**
   * Per-sample loss weights `[N]` (Keras' `sample_weight`): each sample's loss is multiplied by
   * its weight before averaging over the batch size, so weight 0 removes a sample and weight 2
   * counts it twice. Multiplies with `classWeight`. Shuffled and split along with the samples.
   */
  sampleWeight?: Tensor;
  /**
   * Gradient accumulation: one optimizer step per this many batches, using the gradient of
   * their combined mean loss (4 accumulated batches of 16 step exactly like one batch of 64).
   * Default 1.
   */
  accumulateSteps?: number;
  /** Stop when a monitored value stops improving. */
  earlyStopping?: EarlyStoppingArgs;
  /**
   * Save the model (architecture + weights, atomically) after every epoch, or only when `monitor`
   * improves with `saveBestOnly`. `{epoch}` in `path` becomes the 1-based epoch number.
   */
  checkpoint?: { path: string; monitor?: string; mode?: 'auto' | 'min' | 'max'; saveBestOnly?: boolean };
  /** Multiply the learning rate by `factor` when a monitored value stops improving (not with a compile-time `schedule`). */
  reduceLrOnPlateau?: ReduceLrOnPlateauArgs;
  /**
   * 0 = silent; 1 = a progress bar on a TTY (epoch, step/total, loss and metrics, samples/s,
   * ETA) and one line per epoch otherwise (default 1).
   */
  verbose?: 0 | 1;
  /** Called after every epoch with its logs (on the JS thread, while training continues). */
  onEpochEnd?: (logs: EpochLogs) => void;
  /** Callbacks with Keras' hooks (`onTrainBegin/End`, `onEpochBegin/End`, `onBatchBegin/End`); see {@link Callback}. */
  callbacks?: Callback[];
  /** Called with batch progress, at most every 100 ms (running averages of the epoch so far). */
  onBatchEnd?: (progress: BatchProgress) => void;
  /** Aborting stops training before the next batch; `fit` then resolves with `cancelled: true`. */
  signal?: AbortSignal;
}

/** One tensor, or one per model input / output (in the order given to {@link model}). */
export type Tensors = Tensor | Tensor[];

const asList = (x: Tensors): Tensor[] => (Array.isArray(x) ? x : [x]);
const handles = (x: Tensors | undefined) => (x === undefined ? undefined : asList(x).map((t) => t.native));

/**
 * A network of layers trained natively: a chain built by {@link sequential} or a graph built by
 * {@link model} (any number of inputs and outputs, shared layers, skip connections).
 * `compile` attaches optimizer, loss and metrics; `fit`, `evaluate` and `predict` run whole
 * epochs/batches in Rust on a worker thread, so the event loop stays free. `forward` runs
 * eagerly with autograd for custom training loops.
 *
 * `Out` is `Tensor` for single-output models and `Tensor[]` for multi-output ones; it types
 * what `forward` and `predict` return.
 */
export class Model<Out extends Tensors = Tensor> implements Disposable {
  /** @internal */
  readonly native: NativeModel;
  /** Per-sample shape of each input (without the batch dimension), when known. */
  readonly inputShapes: number[][] | undefined;
  private signatureCache: { inputs: number; outputs: string[] } | undefined;
  private readonly listOutputs: boolean | undefined;

  /**
   * @internal Use {@link sequential}, {@link model} or {@link loadModel}. `listOutputs` says
   * whether outputs come back as a list (default: when there are several).
   */
  constructor(handle: NativeModel, inputShapes?: number[][], listOutputs?: boolean) {
    this.native = handle;
    this.inputShapes = inputShapes?.map((s) => [...s]);
    this.listOutputs = listOutputs;
  }

  /** Input shape without the batch dimension of the first input, when known. */
  get inputShape(): number[] | undefined {
    return this.inputShapes?.[0];
  }

  private get signature(): { inputs: number; outputs: string[] } {
    return (this.signatureCache ??= JSON.parse(native(() => this.native.signature())) as { inputs: number; outputs: string[] });
  }

  /** Names of the outputs (used as prefixes of per-output logs such as `out_loss`). */
  get outputNames(): string[] {
    return [...this.signature.outputs];
  }

  private result(outputs: Tensor[]): Out {
    const asList = this.listOutputs ?? this.signature.outputs.length > 1;
    return (asList ? outputs : outputs[0]) as Out;
  }

  /** The architecture as JSON (what `save` stores). */
  toJSON(): unknown {
    return JSON.parse(native(() => this.native.config())) as unknown;
  }

  /** Layers, output shapes and parameter counts, Keras style (graphs also list each node's inputs). */
  summary(inputShape: number[] | number[][] | undefined = this.inputShapes): string {
    if (inputShape === undefined) throw new ValueError('summary: pass the input shape (without the batch dimension)');
    const shapes = inputShape.length > 0 && Array.isArray(inputShape[0]) ? (inputShape as number[][]) : [inputShape as number[]];
    return native(() => this.native.summary(shapes.map((s) => [1, ...s])));
  }

  /** Number of parameter elements. */
  countParams(options: { trainableOnly?: boolean } = {}): number {
    return native(() => this.native.parameterCount(options.trainableOnly ?? false));
  }

  /** The live parameters (updates by `fit` are visible through them). */
  parameters(): Tensor[] {
    return native(() => this.native.parameters()).map((t) => new Tensor(t));
  }

  /** Parameters with their dotted names (`'0.weight'`, `'dense_1.bias'`, ...). */
  namedParameters(): Array<[string, Tensor]> {
    const names = native(() => this.native.parameterNames());
    const params = this.parameters();
    return names.map((n, i) => [n, params[i]!]);
  }

  /** Freezes (`false`) or unfreezes (`true`) every parameter. */
  set trainable(value: boolean) {
    native(() => this.native.setTrainable(value));
  }

  /** Whether the model is in training mode (`fit` leaves it in eval mode). */
  get training(): boolean {
    return native(() => this.native.isTraining());
  }

  /** Training mode: dropout and batch statistics on. */
  train(): this {
    native(() => this.native.setTraining(true));
    return this;
  }

  /** Inference mode: dropout off, running statistics. */
  eval(): this {
    native(() => this.native.setTraining(false));
    return this;
  }

  /** Eager forward pass recording autograd (custom loops, gradients w.r.t. inputs). */
  forward(x: Tensors): Out {
    return this.result(native(() => this.native.forward(asList(x).map((t) => t.native))).map((t) => new Tensor(t)));
  }

  /**
   * Attaches optimizer, loss(es) and metrics; resets optimizer state. A multi-output model takes
   * one loss for all outputs or a list with one per output, and optional `lossWeights`.
   */
  compile(args: CompileArgs): void {
    const optimizer = JSON.stringify(args.optimizer ?? 'adam');
    const schedule = args.schedule === undefined ? undefined : JSON.stringify(args.schedule);
    native(() => this.native.compile(optimizer, JSON.stringify(args.loss), args.metrics ?? [], schedule, args.lossWeights));
  }

  /**
   * Trains on `(x, y)` off the JS thread (one tensor, or one per input / output), or on a
   * {@link Dataset} of `[inputs, targets]` batches (streamed: one native call per batch, while
   * the pipeline prepares the next; batching, shuffling and splitting belong to the dataset).
   */
  async fit(x: Tensors, y: Tensors, args?: FitArgs): Promise<History>;
  async fit(data: Dataset<TrainingBatch>, args?: DatasetFitArgs): Promise<History>;
  async fit(x: Tensors | Dataset<TrainingBatch>, y?: Tensors | DatasetFitArgs, maybeArgs?: FitArgs): Promise<History> {
    if (x instanceof Dataset) return fitDataset(this as Model<Tensors>, x, (y ?? {}) as DatasetFitArgs);
    if (y === undefined || !(y instanceof Tensor || Array.isArray(y))) throw new ValueError('fit: pass targets y with the inputs x (or a Dataset of [inputs, targets] batches)');
    return this.fitTensors(x, y, maybeArgs ?? {});
  }

  private async fitTensors(x: Tensors, y: Tensors, args: FitArgs): Promise<History> {
    const { verbose = 1, onEpochEnd, onBatchEnd, signal, validationData, sampleWeight, callbacks = [], ...rest } = args;
    const stop = (): void => this.native.stopTraining();
    const runner = new CallbackRunner(callbacks, stop);
    const options = JSON.stringify(runner.everyBatch ? { ...rest, reportEveryBatch: true } : rest);
    const printer = verbose ? new ProgressPrinter(args.epochs ?? 1, args.batchSize ?? 32) : undefined;
    const report = (json: string): void => {
      const message = JSON.parse(json) as { kind: 'batch' | 'batchBegin' | 'epoch' | 'epochBegin'; epoch: number };
      if (message.kind === 'batch') {
        const progress = message as unknown as BatchProgress;
        printer?.batch(progress);
        onBatchEnd?.(progress);
        runner.emit('onBatchEnd', progress);
      } else if (message.kind === 'batchBegin') {
        runner.emit('onBatchBegin', message as unknown as BatchPosition);
      } else if (message.kind === 'epochBegin') {
        runner.emit('onEpochBegin', message.epoch);
      } else {
        const logs = message as unknown as EpochLogs;
        printer?.epoch(logs);
        onEpochEnd?.(logs);
        runner.emit('onEpochEnd', logs);
      }
    };
    if (signal?.aborted) return { epochs: [], cancelled: true, stopped: false, history: {} };
    signal?.addEventListener('abort', stop);
    runner.emit('onTrainBegin');
    try {
      const [vx, vy, vw] = validationData ?? [];
      const json = await nativeAsync(() =>
        this.native.fit(asList(x).map((t) => t.native), asList(y).map((t) => t.native), sampleWeight?.native, options, report, handles(vx), handles(vy), vw?.native),
      );
      // Progress messages are queued before the task resolves; let them drain first.
      await new Promise((resolve) => setImmediate(resolve));
      const history = toHistory(json);
      runner.rethrow();
      runner.emit('onTrainEnd', history);
      runner.rethrow();
      return history;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  /**
   * Loss and metrics on `(x, y)`, computed off the JS thread; `sampleWeight` weights each
   * sample's loss. A {@link Dataset} of `[inputs, targets]` batches is evaluated batch by batch.
   */
  async evaluate(x: Tensors, y: Tensors, args?: { batchSize?: number; sampleWeight?: Tensor }): Promise<Record<string, number>>;
  async evaluate(data: Dataset<TrainingBatch>): Promise<Record<string, number>>;
  async evaluate(x: Tensors | Dataset<TrainingBatch>, y?: Tensors, args: { batchSize?: number; sampleWeight?: Tensor } = {}): Promise<Record<string, number>> {
    if (x instanceof Dataset) return evaluateDataset(this as Model<Tensors>, x);
    if (y === undefined) throw new ValueError('evaluate: pass targets y with the inputs x (or a Dataset of [inputs, targets] batches)');
    const json = await nativeAsync(() => this.native.evaluate(asList(x).map((t) => t.native), asList(y).map((t) => t.native), args.sampleWeight?.native, args.batchSize ?? 32));
    return JSON.parse(json) as Record<string, number>;
  }

  /** Batched inference in eval mode, off the JS thread (also over a {@link Dataset} of input batches). */
  async predict(x: Tensors | Dataset<unknown>, args: { batchSize?: number } = {}): Promise<Out> {
    if (x instanceof Dataset) return this.result(await predictDataset(this as Model<Tensors>, x, this.signature.inputs));
    const out = await nativeAsync(() => this.native.predict(asList(x).map((t) => t.native), args.batchSize ?? 32));
    return this.result(out.map((t) => new Tensor(t)));
  }

  /** Inference on one batch (the whole of `x`), off the JS thread. */
  predictOnBatch(x: Tensors): Promise<Out> {
    return this.predict(x, { batchSize: Math.max(1, asList(x)[0]?.shape[0] ?? 1) });
  }

  /**
   * One custom-loop step off the JS thread with the caller's optimizer (from {@link optimizer}
   * over this model's parameters): zero grads, forward in training mode, `loss` (summed over
   * outputs, plus weight/activity penalties), backward, step. Resolves to the loss. It computes
   * exactly what the eager loop `forward` / `loss.backward()` / `opt.step()` computes, without
   * blocking the event loop; works on uncompiled models.
   */
  async trainStep(x: Tensors, y: Tensors, args: { optimizer: Optimizer; loss: LossSpec }): Promise<number> {
    const json = await nativeAsync(() => this.native.trainStep(args.optimizer.inner, JSON.stringify(args.loss), asList(x).map((t) => t.native), asList(y).map((t) => t.native)));
    return Number(json);
  }

  /** One optimizer step on one batch; resolves to its loss and metrics. */
  async trainOnBatch(x: Tensors, y: Tensors, args: { sampleWeight?: Tensor } = {}): Promise<Record<string, number>> {
    return JSON.parse(await nativeAsync(() => this.native.trainOnBatch(asList(x).map((t) => t.native), asList(y).map((t) => t.native), args.sampleWeight?.native))) as Record<string, number>;
  }

  /**
   * Saves architecture and weights as one safetensors file (written atomically). For a compiled
   * model it also stores the compile settings and the optimizer state (unless
   * `includeOptimizer: false`), so {@link loadModel} returns a compiled model whose `fit` (with
   * `initialEpoch`) continues exactly as the uninterrupted run would have.
   */
  async save(path: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    await nativeAsync(() => this.native.save(path, options.includeOptimizer ?? true));
  }

  /** Buffers (saved, untrained state such as batch-norm running statistics) with their dotted names. */
  namedBuffers(): Array<[string, Tensor]> {
    const names = native(() => this.native.bufferNames());
    const buffers = native(() => this.native.buffers()).map((t) => new Tensor(t));
    return names.map((n, i) => [n, buffers[i]!]);
  }

  /**
   * Writes the weights (parameters and buffers by dotted name, e.g. `0.weight_ih_l0`) to a
   * safetensors file, off the JS thread and atomically. With `prefix`, that leading part of the
   * names is dropped (`{ prefix: '0.' }` gives the names of a bare `torch.nn.LSTM`). The file
   * loads in Python with `safetensors.torch.load_file`.
   */
  async saveWeights(path: string, options: { prefix?: string } = {}): Promise<void> {
    await saveWeightsFile(path, this.stateEntries(options.prefix ?? '', 'saveWeights'));
  }

  /**
   * Reads a safetensors file (from {@link Model.saveWeights}, or a PyTorch state dict saved with
   * `safetensors.torch.save_file`) off the JS thread and copies it into this model's parameters
   * and buffers by name: names and shapes are checked first and nothing is written on a
   * mismatch. `prefix` is prepended to the file's names (`{ prefix: '0.' }` loads a bare
   * `torch.nn.LSTM` into the first layer of a sequential model); `strict: false` loads the
   * matching subset and reports the rest.
   */
  async loadWeights(path: string, options: LoadStateDictOptions & { prefix?: string } = {}): Promise<LoadStateDictResult> {
    return loadWeightsFile('Model.loadWeights', path, this.stateEntries(options.prefix ?? '', 'loadWeights'), options.strict ?? true);
  }

  /** Parameters and buffers, names relative to `prefix` (entries outside it are left out). */
  private stateEntries(prefix: string, op: string): Array<[string, Tensor]> {
    const all = [...this.namedParameters(), ...this.namedBuffers()];
    const kept = all.filter(([n]) => n.startsWith(prefix)).map(([n, t]): [string, Tensor] => [n.slice(prefix.length), t]);
    if (kept.length === 0) throw new ValueError(`Model.${op}: no parameter or buffer name starts with '${prefix}'`);
    return kept;
  }

  /** Releases the native model. */
  dispose(): void {
    native(() => this.native.dispose());
  }

  /** Called by `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** A single-input, single-output chain of layers (built by {@link sequential}). */
export class Sequential extends Model<Tensor> {}

/** Options of {@link sequential}. */
export interface SequentialArgs {
  /** Shape of one sample (without the batch dimension), e.g. `[784]`. */
  inputShape: number[];
}

/**
 * Builds a model from layer specs, inferring each layer's input size.
 *
 * @example
 * ```ts
 * const model = sequential([dense({ units: 128, activation: 'relu' }), dense({ units: 10 })], { inputShape: [784] });
 * model.compile({ optimizer: 'adam', loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 5, batchSize: 64 });
 * ```
 */
export function sequential(layerSpecs: LayerSpec[], args: SequentialArgs): Sequential {
  let shape = [...args.inputShape];
  const configs: object[] = [];
  const firstConfig = new Map<LayerSpec, number>();
  layerSpecs.forEach((spec, i) => {
    const built = spec.build(shape, i);
    if (!firstConfig.has(spec)) firstConfig.set(spec, configs.length);
    configs.push(...built.configs.map((c) => ({ ...c })));
    shape = built.outputShape;
  });
  resolveTies(configs, (spec) => (firstConfig.has(spec) ? String(firstConfig.get(spec)) : undefined));
  const config = JSON.stringify({ type: 'Sequential', layers: configs });
  return new Sequential(native(() => NativeModel.fromConfig(config)), [[...args.inputShape]]);
}

/**
 * Loads a model written by {@link Model.save} (a chain or a graph). Pass `Tensor[]` as the type
 * argument for a multi-output model: `await loadModel<Tensor[]>(path)`.
 */
export async function loadModel<Out extends Tensors = Tensor>(path: string): Promise<Model<Out>> {
  const handle = await nativeAsync(() => loadNativeModel(path));
  const config = JSON.parse(native(() => handle.config())) as { type: string };
  return (config.type === 'Sequential' ? new Sequential(handle) : new Model<Out>(handle)) as Model<Out>;
}

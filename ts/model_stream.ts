/**
 * `fit`, `evaluate` and `predict` over a {@link Dataset} of batches. JS pulls each batch from the
 * pipeline and hands it to the native trainer (one N-API crossing per batch, the work itself on
 * a worker thread); epochs, schedules, accumulation, metrics, reduce-on-plateau, early stopping
 * and checkpoints run in the same native code as `fit` over tensors.
 *
 * @internal
 */

import { Dataset } from './dataset';
import { ValueError, native, nativeAsync } from './errors';
import type { BatchProgress, EpochLogs, FitArgs, History, Model, Tensors } from './model';
import { CallbackRunner } from './callbacks';
import { toHistory } from './history';
import { concat } from './ops';
import { ProgressPrinter } from './progress';
import { Tensor } from './tensor';

/**
 * What a dataset passed to `fit`/`evaluate` yields per batch: `[inputs, targets]` or
 * `[inputs, targets, sampleWeight]`, inputs and targets being one tensor or one per model
 * input / output (what `Dataset.fromTensors(x, y).batch(n)` produces).
 */
export type TrainingBatch = readonly [Tensors, Tensors] | readonly [Tensors, Tensors, Tensor];

/** Options of `fit` over a Dataset: the data-pipeline options (batch size, shuffling, split) belong to the dataset. */
export type DatasetFitArgs = Omit<FitArgs, 'batchSize' | 'shuffle' | 'seed' | 'validationSplit' | 'sampleWeight' | 'validationData' | 'initialEpoch'> & {
  /** Held-out data evaluated after every epoch: a Dataset of batches, or `[inputs, targets]`. */
  validationData?: Dataset<TrainingBatch> | [Tensors, Tensors] | [Tensors, Tensors, Tensor];
  /** Epoch to start counting from (for resumed runs). */
  initialEpoch?: number;
};

const list = (x: Tensors): Tensor[] => (Array.isArray(x) ? x : [x]);

function unpack(element: unknown, op: string): { xs: Tensor[]; ys: Tensor[]; w: Tensor | undefined } {
  const ok = (v: unknown): v is Tensors => v instanceof Tensor || (Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof Tensor));
  if (!Array.isArray(element) || (element.length !== 2 && element.length !== 3) || !ok(element[0]) || !ok(element[1]) || (element.length === 3 && !(element[2] instanceof Tensor))) {
    throw new ValueError(`${op}: dataset elements must be [inputs, targets] or [inputs, targets, sampleWeight] batches of tensors (e.g. Dataset.fromTensors(x, y).batch(32))`);
  }
  return { xs: list(element[0] as Tensors), ys: list(element[1] as Tensors), w: element[2] as Tensor | undefined };
}

/**
 * Loss and metrics over a dataset of batches: every batch goes into one native evaluation, so
 * whole-set metrics (AUC, F1, ...) see all the batches together, as `evaluate` over tensors.
 */
export async function evaluateDataset(model: Model<Tensors>, data: Dataset<TrainingBatch>): Promise<Record<string, number>> {
  native(() => model.native.evaluateStreamBegin());
  let batches = 0;
  let logs: Record<string, number>;
  try {
    for await (const element of data) {
      const { xs, ys, w } = unpack(element, 'evaluate');
      await nativeAsync(() => model.native.evaluateStreamBatch(xs.map((t) => t.native), ys.map((t) => t.native), w?.native));
      batches++;
    }
  } finally {
    // Ends the run (restoring the training mode) whether or not a batch failed.
    logs = JSON.parse(native(() => model.native.evaluateStreamEnd())) as Record<string, number>;
  }
  if (batches === 0) throw new ValueError('evaluate: the dataset is empty');
  return logs;
}

/**
 * Predictions for a dataset whose elements are input batches (a tensor, or one per input of a
 * multi-input model) or training batches `[inputs, targets]`, concatenated per output.
 */
export async function predictDataset(model: Model<Tensors>, data: Dataset<unknown>, inputCount: number): Promise<Tensor[]> {
  const parts: Tensor[][] = [];
  for await (const element of data) {
    let inputs: unknown[] | undefined;
    if (element instanceof Tensor) inputs = [element];
    else if (Array.isArray(element) && inputCount > 1 && element.length === inputCount && element.every((t) => t instanceof Tensor)) inputs = element;
    else if (Array.isArray(element) && element.length > 0) inputs = element[0] instanceof Tensor ? [element[0]] : (element[0] as unknown[]);
    if (!Array.isArray(inputs) || inputs.length !== inputCount || !inputs.every((t) => t instanceof Tensor)) {
      throw new ValueError(`predict: dataset elements must be input batches (${inputCount} tensor(s)) or [inputs, targets] batches`);
    }
    const xs = inputs as Tensor[];
    const n = xs[0]!.shape[0] ?? 1;
    const out = await nativeAsync(() => model.native.predict(xs.map((t) => t.native), Math.max(1, n)));
    parts.push(out.map((t) => new Tensor(t)));
  }
  if (parts.length === 0) throw new ValueError('predict: the dataset is empty');
  return parts[0]!.map((_, k) => (parts.length === 1 ? parts[0]![k]! : concat(parts.map((p) => p[k]!), 0)));
}

/** Trains `model` on a dataset of batches; see `Model.fit`. */
export async function fitDataset(model: Model<Tensors>, data: Dataset<TrainingBatch>, args: DatasetFitArgs): Promise<History> {
  const { verbose = 1, onEpochEnd, onBatchEnd, signal, validationData, epochs = 1, initialEpoch = 0, callbacks = [], ...rest } = args;
  const history: History = { epochs: [], cancelled: false, stopped: false, history: {} };
  if (signal?.aborted) return { ...history, cancelled: true };
  native(() => model.native.fitStreamBegin(JSON.stringify(rest)));
  let failed = false;
  const runner = new CallbackRunner(callbacks, () => (failed = true));
  runner.emit('onTrainBegin');
  const batches = data.size !== undefined && Number.isFinite(data.size) ? data.size : undefined;
  let printer: ProgressPrinter | undefined;
  let cancelled = false;
  let stopped = false;
  let complete = false;
  try {
    for (let epoch = initialEpoch; epoch < epochs && !cancelled && !stopped && !failed; epoch++) {
      native(() => model.native.fitStreamEpochBegin(epoch));
      runner.emit('onEpochBegin', epoch);
      const started = performance.now();
      let lastReport = 0;
      let batch = 0;
      for await (const element of data) {
        if (signal?.aborted || failed) {
          cancelled = !failed;
          break;
        }
        const { xs, ys, w } = unpack(element, 'fit');
        runner.emit('onBatchBegin', { epoch, batch: batch + 1, batches: batches ?? batch + 1 });
        if (verbose) printer ??= new ProgressPrinter(epochs, xs[0]!.shape[0] ?? 1);
        const json = await nativeAsync(() => model.native.fitStreamBatch(xs.map((t) => t.native), ys.map((t) => t.native), w?.native));
        batch += 1;
        const now = performance.now();
        if (now - lastReport >= 100 || runner.everyBatch) {
          const { logs } = JSON.parse(json) as { logs: Record<string, number> };
          const progress: BatchProgress = { epoch, batch, batches: batches ?? batch, logs, seconds: (now - started) / 1000 };
          runner.emit('onBatchEnd', progress);
          if (now - lastReport >= 100) {
            lastReport = now;
            printer?.batch(progress);
            onBatchEnd?.(progress);
          }
        }
      }
      if (cancelled || failed) break;
      if (batch === 0) throw new ValueError(`fit: the dataset yielded no batches in epoch ${epoch}`);
      let validation: Record<string, number> | undefined;
      if (validationData instanceof Dataset) validation = await evaluateDataset(model, validationData);
      else if (validationData !== undefined) validation = await model.evaluate(validationData[0], validationData[1], { sampleWeight: validationData[2] });
      const end = JSON.parse(await nativeAsync(() => model.native.fitStreamEpochEnd(validation === undefined ? undefined : JSON.stringify(validation)))) as { epoch: EpochLogs; stop: boolean };
      printer?.epoch(end.epoch);
      onEpochEnd?.(end.epoch);
      runner.emit('onEpochEnd', end.epoch);
      stopped = end.stop;
    }
    complete = !failed;
  } finally {
    const json = await nativeAsync(() => model.native.fitStreamEnd(complete, cancelled, stopped));
    if (complete) Object.assign(history, toHistory(json));
  }
  runner.rethrow();
  runner.emit('onTrainEnd', history);
  runner.rethrow();
  return history;
}

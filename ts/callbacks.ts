/**
 * User callbacks of `fit` (Keras' `callbacks=[...]`). Training runs natively on a worker
 * thread, so callbacks *observe* it: they are called on the JS thread, in order, while the next
 * batches already run (to stop early, use `earlyStopping` or an `AbortSignal`). A callback that
 * throws stops training; `fit` then rejects with that error.
 */

import type { BatchProgress, EpochLogs, History } from './model';

/** Where a batch is: epoch, 1-based batch number, batches per epoch (when known). */
export interface BatchPosition {
  /** Zero-based epoch index. */
  epoch: number;
  /** Batch number within the epoch, from 1. */
  batch: number;
  /** Batches per epoch (the batches seen so far when a dataset's size is unknown). */
  batches: number;
}

/** Hooks of a `fit` callback; every hook is optional. */
export interface Callback {
  /** Before the first epoch. */
  onTrainBegin?(): void;
  /** After the last epoch (also when stopped or cancelled), with the History `fit` resolves to. */
  onTrainEnd?(history: History): void;
  /** Before each epoch. */
  onEpochBegin?(epoch: number): void;
  /** After each epoch (and its validation), with its logs. */
  onEpochEnd?(logs: EpochLogs): void;
  /** Before every batch (its presence makes `fit` report every batch instead of every 100 ms). */
  onBatchBegin?(position: BatchPosition): void;
  /** After every batch, with the epoch's running averages. */
  onBatchEnd?(progress: BatchProgress): void;
}

/** Fans events out to callbacks, catching the first error so `fit` can stop and rethrow it. @internal */
export class CallbackRunner {
  error: unknown;
  private failed = false;

  constructor(
    private readonly callbacks: Callback[],
    private readonly onError: () => void,
  ) {}

  /** Whether some callback wants every batch. */
  get everyBatch(): boolean {
    return this.callbacks.some((c) => c.onBatchBegin !== undefined || c.onBatchEnd !== undefined);
  }

  /** Calls `hook` of every callback with `arg`. */
  emit<K extends keyof Callback>(hook: K, ...arg: Parameters<NonNullable<Callback[K]>>): void {
    if (this.failed) return;
    for (const c of this.callbacks) {
      const f = c[hook] as ((...a: unknown[]) => void) | undefined;
      if (f === undefined) continue;
      try {
        f.apply(c, arg);
      } catch (e) {
        this.failed = true;
        this.error = e;
        this.onError();
        return;
      }
    }
  }

  /** Rethrows a callback's error, if one happened. */
  rethrow(): void {
    if (this.failed) throw this.error;
  }
}

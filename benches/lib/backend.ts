/**
 * The tensor ops the workloads are written against, implemented once per JS engine (ferrograd,
 * tfjs CPU, tfjs WASM). Each engine runs in its own child process, so only one is ever loaded.
 */
export interface Backend<T = unknown> {
  readonly id: 'ferrograd' | 'tfjs-cpu' | 'tfjs-wasm';
  readonly threads: number;
  readonly info: Record<string, string | number | boolean>;
  fromData(data: Float32Array, shape: number[]): T;
  matmul(a: T, b: T): T;
  add(a: T, b: T): T;
  mul(a: T, b: T): T;
  relu(a: T): T;
  exp(a: T): T;
  /** Softmax over the last axis. */
  softmax(a: T): T;
  logSoftmax(a: T): T;
  /** Sum over `axis`. */
  sum(a: T, axis: number): T;
  mean(a: T): T;
  neg(a: T): T;
  /** Loss value and d(loss)/d(param) for each param (functional autograd). */
  valueAndGrads(f: (params: T[]) => T, params: T[]): { value: T; grads: T[] };
  /** `p - lr * g` for each param, outside autograd, returned as fresh trainable leaves. */
  sgd(params: T[], grads: T[], lr: number): T[];
  /** Runs `fn` releasing every intermediate it creates except what it returns (tf.tidy). */
  scope<R>(fn: () => R): R;
  /** Blocks until `t` is computed (all three engines are synchronous; kept for clarity). */
  sync(t: T): void;
  dispose(t: T | T[]): void;
}

export async function loadBackend(id: Backend['id']): Promise<Backend> {
  // require, not import(): each child loads only its own engine (tfjs is never loaded next to ferrograd).
  if (id === 'ferrograd') return (require('./backend_ferrograd') as typeof import('./backend_ferrograd')).create();
  return (require('./backend_tfjs') as typeof import('./backend_tfjs')).create(id === 'tfjs-wasm' ? 'wasm' : 'cpu');
}

import * as tf from '@tensorflow/tfjs';
import type { Backend } from './backend';

type T = tf.Tensor;

export async function create(kind: 'cpu' | 'wasm'): Promise<Backend<T>> {
  let threads = 1;
  if (kind === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    threads = wasm.getThreadsCount();
  } else {
    await tf.setBackend('cpu');
  }
  await tf.ready();
  const info: Record<string, string | number | boolean> = {
    version: tf.version.tfjs,
    backend: tf.getBackend(),
    threads,
  };
  if (kind === 'wasm') {
    info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    info.multithread = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  }
  return {
    id: kind === 'wasm' ? 'tfjs-wasm' : 'tfjs-cpu',
    threads,
    info,
    fromData: (data, shape) => tf.tensor(data, shape, 'float32'),
    matmul: (a, b) => tf.matMul(a, b),
    add: (a, b) => tf.add(a, b),
    mul: (a, b) => tf.mul(a, b),
    relu: (a) => tf.relu(a),
    exp: (a) => tf.exp(a),
    softmax: (a) => tf.softmax(a, -1),
    logSoftmax: (a) => tf.logSoftmax(a, -1),
    sum: (a, axis) => tf.sum(a, axis),
    mean: (a) => tf.mean(a),
    neg: (a) => tf.neg(a),
    valueAndGrads(f, params) {
      const { value, grads } = tf.valueAndGrads((...ps: T[]) => f(ps) as tf.Scalar)(params);
      return { value, grads };
    },
    sgd(params, grads, lr) {
      return tf.tidy(() => params.map((p, i) => tf.sub(p, tf.mul(grads[i]!, lr))));
    },
    scope: (fn) => tf.tidy(fn as () => tf.TensorContainer) as ReturnType<typeof fn>,
    sync: () => undefined,
    dispose: (t) => tf.dispose(t),
  };
}

/** Weight initializers for {@link Module.parameter}, by Keras name or as a function. */

import { ValueError } from './errors';
import { full, rand, randn } from './creation';
import { Tensor } from './tensor';

/**
 * Built-in initializers (Keras names). Fans follow Keras' layout, the one ferrograd's `dense`
 * weights use: a `[in, out]` matrix has fan-in `in` and fan-out `out`; for rank > 2 the leading
 * axes are the receptive field (`[...kernel, in, out]`); a vector has fan-in = fan-out = its length.
 *
 * - `glorotUniform`: U(±√(6 / (fanIn + fanOut))) — the default, as Keras `Dense`.
 * - `glorotNormal`: N(0, 2 / (fanIn + fanOut)).
 * - `heUniform`: U(±√(6 / fanIn)); `heNormal`: N(0, 2 / fanIn) (ReLU networks).
 * - `lecunNormal`: N(0, 1 / fanIn) (SELU / tanh networks).
 * - `zeros`, `ones`.
 *
 * The normal variants draw from a plain (not truncated) normal distribution.
 */
export type InitializerName = 'zeros' | 'ones' | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunNormal';

/** An initializer name, or a function returning the initial values for a shape. */
export type Initializer = InitializerName | ((shape: number[]) => Tensor);

function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape.at(-2)! * receptive, shape.at(-1)! * receptive];
}

/**
 * A new tensor of `shape` drawn by `init` (random draws come from the global generator, so
 * {@link manualSeed} makes them reproducible). `op` names the caller in error messages.
 * @internal
 */
export function initialize(shape: number[], init: Initializer, op: string): Tensor {
  if (typeof init === 'function') {
    const t = init([...shape]);
    if (!(t instanceof Tensor)) throw new ValueError(`${op}: the initializer function must return a Tensor, got ${typeof t}`);
    if (t.shape.join(',') !== shape.join(',')) {
      throw new ValueError(`${op}: the initializer function returned shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return t;
  }
  const [fanIn, fanOut] = fans(shape);
  switch (init) {
    case 'zeros':
      return full(shape, 0);
    case 'ones':
      return full(shape, 1);
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return rand(shape, -limit, limit);
    }
    case 'glorotNormal':
      return randn(shape, 0, Math.sqrt(2 / (fanIn + fanOut)));
    case 'heUniform': {
      const limit = Math.sqrt(6 / fanIn);
      return rand(shape, -limit, limit);
    }
    case 'heNormal':
      return randn(shape, 0, Math.sqrt(2 / fanIn));
    case 'lecunNormal':
      return randn(shape, 0, Math.sqrt(1 / fanIn));
    default:
      throw new ValueError(
        `${op}: unknown initializer '${String(init)}' (accepted: zeros, ones, glorotUniform, glorotNormal, heUniform, heNormal, lecunNormal, or a function)`,
      );
  }
}

/** Weight initializers for {@link Module.parameter}, by Keras name or as a function. */

import { initialize as nativeInitialize } from './native';
import { ValueError, native } from './errors';
import { Tensor } from './tensor';

/**
 * Built-in initializers (Keras names), computed natively. Fans follow Keras' layout, the one
 * ferrograd's `dense` weights use: a `[in, out]` matrix has fan-in `in` and fan-out `out`; for
 * rank > 2 the leading axes are the receptive field (`[...kernel, in, out]`); a vector has
 * fan-in = fan-out = its length.
 *
 * - `glorotUniform`: U(±√(6 / (fanIn + fanOut))) — the default, as Keras `Dense`; `glorotNormal`:
 *   N(0, 2 / (fanIn + fanOut)).
 * - `heUniform`: U(±√(6 / fanIn)); `heNormal`: N(0, 2 / fanIn) (ReLU networks).
 * - `lecunUniform`: U(±√(3 / fanIn)); `lecunNormal`: N(0, 1 / fanIn) (SELU / tanh networks).
 * - `randomUniform`: U(±0.05); `randomNormal`: N(0, 0.05²) (the course notes' "small random").
 * - `orthogonal`: a (semi-)orthogonal matrix (Saxe et al.).
 * - `zeros`, `ones`.
 *
 * The normal variants draw from a plain (not truncated) normal distribution.
 */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'lecunUniform'
  | 'lecunNormal'
  | 'randomUniform'
  | 'randomNormal'
  | 'orthogonal';

/** An initializer with parameters. */
export type InitializerConfig =
  | { type: 'constant'; value: number }
  | { type: 'randomUniform'; minval?: number; maxval?: number }
  | { type: 'randomNormal'; mean?: number; stddev?: number }
  | { type: 'glorotUniform' | 'glorotNormal' | 'orthogonal'; gain?: number };

/** How `dense` weights are initialised: a name or a configured initializer. */
export type InitializerSpec = InitializerName | InitializerConfig;

/** An initializer spec, or a function returning the initial values for a shape. */
export type Initializer = InitializerSpec | ((shape: number[]) => Tensor);

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
  try {
    return new Tensor(native(() => nativeInitialize(shape, JSON.stringify(init))));
  } catch (e) {
    if (e instanceof ValueError) throw new ValueError(`${op}: ${e.message}`);
    throw e;
  }
}

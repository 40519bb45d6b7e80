// Numeric comparison helpers shared by the API specs.
import type { ExecutionContext } from 'ava';

import { Tensor } from '../../ts/index';

/** Flattens nested number arrays (row-major). */
export function flat(values: unknown): number[] {
  if (typeof values === 'number') return [values];
  if (ArrayBuffer.isView(values)) return Array.from(values as unknown as ArrayLike<number>);
  if (Array.isArray(values)) return values.flatMap((v) => flat(v));
  throw new TypeError(`flat: unexpected ${typeof values}`);
}

/**
 * Asserts `actual` (a tensor, typed array, nested array or number) equals `expected` elementwise
 * within `atol + rtol * |expected|`. NaN matches NaN and infinities must match exactly.
 */
export function assertClose(
  t: ExecutionContext,
  actual: Tensor | ArrayLike<number> | number | unknown[],
  expected: unknown,
  { atol = 1e-5, rtol = 1e-4, message = '' }: { atol?: number; rtol?: number; message?: string } = {},
): void {
  const got = actual instanceof Tensor ? Array.from(actual.dataSync()) : flat(actual);
  const want = flat(expected);
  const prefix = message ? `${message}: ` : '';
  if (got.length !== want.length) {
    t.fail(`${prefix}${got.length} elements, expected ${want.length}`);
    return;
  }
  const bad: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const e = want[i]!;
    const ok =
      (Number.isNaN(e) && Number.isNaN(a)) || (!Number.isFinite(e) ? a === e : Math.abs(a - e) <= atol + rtol * Math.abs(e));
    if (!ok) bad.push(`[${i}] got ${a}, expected ${e}`);
  }
  if (bad.length > 0) t.fail(`${prefix}${bad.length}/${got.length} elements differ: ${bad.slice(0, 5).join('; ')}`);
  else t.pass();
}

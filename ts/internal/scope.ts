/**
 * Tensor scopes, the mechanism behind `Module` training steps releasing their intermediates.
 *
 * While a scope is open, every `Tensor` wrapper constructed on this thread (including those made
 * inside user `forward` code) is recorded; when the scope closes, each recorded tensor that the
 * caller does not keep is disposed at once instead of waiting for the garbage collector. Disposing
 * a wrapper only drops that handle's reference, so views and other handles on the same storage
 * (parameters, gradients) are never affected.
 *
 * @internal
 */

import type { Tensor } from '../tensor';

const open: Tensor[][] = [];

/** Records a newly constructed tensor in the innermost open scope (called by the `Tensor` constructor). */
export function track(t: Tensor): void {
  open[open.length - 1]?.push(t);
}

/**
 * Runs `fn` in a scope; afterwards (also when `fn` throws) disposes every tensor created inside
 * it that is not in `keep()`. `keep` is evaluated after `fn`, so it can name tensors that `fn`
 * stored. The created tensors that were kept go to `onKept`, and to the enclosing scope if any.
 */
export function scoped<T>(fn: () => T, keep: () => ReadonlySet<Tensor>, onKept?: (kept: Tensor[]) => void): T {
  const created: Tensor[] = [];
  open.push(created);
  try {
    return fn();
  } finally {
    open.pop();
    release(created, keep, onKept);
  }
}

function release(created: Tensor[], keep: () => ReadonlySet<Tensor>, onKept?: (kept: Tensor[]) => void): void {
  let kept: ReadonlySet<Tensor>;
  try {
    kept = keep();
  } catch {
    // Unknown which tensors are still needed: leave them all to the garbage collector rather
    // than hide the error that is already propagating.
    return;
  }
  const survivors: Tensor[] = [];
  for (const t of created) {
    if (kept.has(t)) survivors.push(t);
    else if (!t.isDisposed) t.dispose();
  }
  open[open.length - 1]?.push(...survivors);
  onKept?.(survivors);
}

import { NativeTensor, isGradEnabled as nativeIsGradEnabled, setGradEnabled } from './native';
import { native } from './errors';
import { Tensor } from './tensor';

/**
 * Runs `fn` without recording autograd history (inference, manual parameter updates), like
 * `torch.no_grad()`. The scope covers synchronous work started inside `fn`, including async ops
 * *issued* inside it; it ends when `fn` returns.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(previous);
  }
}

/** Whether ops on this thread currently record autograd history. */
export function isGradEnabled(): boolean {
  return nativeIsGradEnabled();
}

/** Options of {@link grad}. */
export interface GradOptions {
  /** Upstream gradient for non-scalar outputs. */
  gradient?: Tensor;
  /** Record the backward pass so the gradients can be differentiated again (default `false`). */
  createGraph?: boolean;
}

/**
 * Gradients of `output` with respect to `inputs`, returned instead of accumulated into `.grad`
 * (like `torch.autograd.grad`). Inputs may be intermediate tensors or data (adversarial examples);
 * an input that does not influence `output` gets `null`.
 */
export function grad(output: Tensor, inputs: Tensor[], options: GradOptions = {}): Array<Tensor | null> {
  const handles: NativeTensor[] = inputs.map((t) => t.native);
  const grads = native(() => output.native.gradWrt(handles, options.gradient?.native, options.createGraph ?? false));
  return grads.map((g) => (g === null || g === undefined ? null : new Tensor(g)));
}

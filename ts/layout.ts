/**
 * Converting image batches between the engine's NCHW layout (PyTorch's) and channels-last NHWC
 * (tfjs / Keras / most image decoders).
 */

import { ValueError } from './errors';
import { Tensor } from './tensor';

function rank4(x: Tensor, op: string): void {
  if (x.rank !== 4) throw new ValueError(`${op}: expects a 4-D image batch, got shape [${x.shape.join(', ')}]`);
}

/** `[N, H, W, C]` → `[N, C, H, W]` (a view; call `.contiguous()` for a packed copy). */
export function channelsFirst(x: Tensor): Tensor {
  rank4(x, 'channelsFirst');
  return x.permute([0, 3, 1, 2]);
}

/** `[N, C, H, W]` → `[N, H, W, C]` (a view). */
export function channelsLast(x: Tensor): Tensor {
  rank4(x, 'channelsLast');
  return x.permute([0, 2, 3, 1]);
}

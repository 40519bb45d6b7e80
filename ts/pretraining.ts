/**
 * Greedy layer-wise pre-training (course notes): train one autoencoder per layer on the codes of
 * the previous one, keep each encoder, and stack them into a deep network whose weights start
 * from the pre-trained values (fine-tune it with a task head on top).
 */

import { ValueError } from './errors';
import { ActivationName, dense } from './layers';
import { OptimizerSpec, Sequential, sequential } from './model';
import { Tensor } from './tensor';

/** Options of {@link pretrainLayerwise}. */
export interface PretrainOptions {
  /** Units of each encoder layer, e.g. `[256, 64]`. */
  units: number[];
  /** Activation of the encoder layers (default `'relu'`). */
  activation?: ActivationName;
  /** Epochs per layer (default 5). */
  epochs?: number;
  /** Batch size (default 64). */
  batchSize?: number;
  /** Optimizer of every autoencoder (default Adam 1e-3). */
  optimizer?: OptimizerSpec;
  /** Shuffling seed (default 0). */
  seed?: number;
}

/** The stacked encoder and what each stage achieved. */
export interface PretrainResult {
  /** `dense(units[0]) → … → dense(units[last])` with the pre-trained weights. */
  encoder: Sequential;
  /** Reconstruction MSE of each stage's autoencoder on its input, after training. */
  reconstructionLoss: number[];
}

/** Trains the layers of a deep encoder one autoencoder at a time on `x` (`[n, features]`). */
export async function pretrainLayerwise(x: Tensor, options: PretrainOptions): Promise<PretrainResult> {
  if (x.rank !== 2) throw new ValueError(`pretrainLayerwise: expects [n, features] data, got [${x.shape.join(', ')}]`);
  if (options.units.length === 0) throw new ValueError('pretrainLayerwise: units must list at least one layer');
  const activation = options.activation ?? 'relu';
  const weights: Array<[Tensor, Tensor]> = [];
  const reconstructionLoss: number[] = [];
  let codes = x;
  let inputDim = x.shape[1]!;
  for (const units of options.units) {
    const ae = sequential([dense({ units, activation }), dense({ units: inputDim })], { inputShape: [inputDim] });
    ae.compile({ optimizer: options.optimizer ?? { type: 'adam', lr: 1e-3 }, loss: 'mse' });
    await ae.fit(codes, codes, { epochs: options.epochs ?? 5, batchSize: options.batchSize ?? 64, seed: options.seed ?? 0, verbose: 0 });
    reconstructionLoss.push((await ae.evaluate(codes, codes, { batchSize: 256 })).loss!);
    const [w, b] = ae.parameters();
    weights.push([w!, b!]);
    const stage = sequential([dense({ units, activation })], { inputShape: [inputDim] });
    stage.parameters().forEach((p, i) => p.assign(i === 0 ? w! : b!));
    codes = await stage.predict(codes, { batchSize: 256 });
    inputDim = units;
  }
  const encoder = sequential(options.units.map((units) => dense({ units, activation })), { inputShape: [x.shape[1]!] });
  const params = encoder.parameters();
  weights.forEach(([w, b], i) => {
    params[2 * i]!.assign(w);
    params[2 * i + 1]!.assign(b);
  });
  return { encoder, reconstructionLoss };
}

import { createRequire } from 'node:module';

/** The part of brain.js 1.x `NeuralNetwork` the benches use. */
export interface BrainNet {
  sizes: number[];
  initialize(): void;
  run(input: ArrayLike<number>): ArrayLike<number>;
  trainPattern(pattern: { input: ArrayLike<number>; output: ArrayLike<number> }, logErrorRate?: boolean): number | null;
  trainOpts?: { learningRate: number; momentum: number };
  weights: Float32Array[][];
  biases: Float32Array[];
}

interface BrainModule {
  NeuralNetwork: new (options: { activation?: string; learningRate?: number; momentum?: number }) => BrainNet;
}

export function loadBrain(): { brain: BrainModule; version: string } {
  const req = createRequire(__filename);
  const brain = req('brain.js') as BrainModule;
  const version = (req('brain.js/package.json') as { version: string }).version;
  return { brain, version };
}

/**
 * The 784-512-256-10 MLP in brain.js with the harness's seeded weights. brain.js stores
 * weights[layer][out][in]; every layer (including the output) uses the chosen activation.
 */
export function brainMlp(
  params: Array<{ w: Float32Array; b: Float32Array; fanIn: number; fanOut: number }>,
  options: { learningRate?: number; momentum?: number } = {},
): BrainNet {
  const { brain } = loadBrain();
  const net = new brain.NeuralNetwork({ activation: 'relu', ...options });
  net.sizes = [params[0]!.fanIn, ...params.map((p) => p.fanOut)];
  net.initialize();
  if (net.trainOpts && options.learningRate !== undefined) net.trainOpts.learningRate = options.learningRate;
  params.forEach((p, l) => {
    for (let o = 0; o < p.fanOut; o++) {
      const row = net.weights[l + 1]![o]!;
      for (let i = 0; i < p.fanIn; i++) row[i] = p.w[i * p.fanOut + o]!;
      net.biases[l + 1]![o] = p.b[o]!;
    }
  });
  return net;
}

/**
 * A character-level transformer language model on the bundled Tiny Shakespeare: token embedding
 * plus sinusoidal positions, causal pre-norm encoder layers (fused attention), and an output
 * projection tied to the embedding; trained through `fit`, compared with the unigram baseline,
 * then sampled at a few temperatures.
 *
 * Run with `npx tsx examples/char_transformer.ts [epochs] [windows]` (defaults: 4 epochs, 6000
 * training windows of 128 characters; the last 10% of the text is held out for validation).
 */

import { CharVocabulary, generateText, layers as L, loadTinyShakespeare, manualSeed, nextTokenWindows, sequential, unigramCrossEntropy } from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 4);
  const windows = Number(process.argv[3] ?? 6000);
  const seqLength = 128;
  manualSeed(1);

  const text = await loadTinyShakespeare();
  const vocab = CharVocabulary.fromText(text);
  const ids = vocab.encode(text);
  const split = Math.floor(ids.length * 0.9);
  const train = nextTokenWindows(ids.subarray(0, split), { seqLength, step: 7, maxWindows: windows });
  const val = nextTokenWindows(ids.subarray(split), { seqLength, maxWindows: 400 });

  const embedding = L.embedding({ inputDim: vocab.size, outputDim: 128 });
  const model = sequential(
    [
      embedding,
      L.sinusoidalPositionalEncoding(),
      L.transformerEncoder({ numLayers: 4, numHeads: 4, dimFeedforward: 512, dropout: 0.1, activation: 'gelu', normFirst: true, causal: true }),
      L.tiedOutput({ embedding }),
    ],
    { inputShape: [seqLength] },
  );
  model.compile({
    optimizer: { type: 'adamw', lr: 1e-3, weightDecay: 0.01, clipNorm: 1 },
    loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true },
    metrics: ['accuracy'],
  });
  console.log(model.summary());

  const baseline = unigramCrossEntropy(ids.subarray(0, split), ids.subarray(split), vocab.size);
  console.log(`vocabulary ${vocab.size} characters; ${train.x.shape[0]} training windows; unigram baseline ${baseline.toFixed(3)} nats/char on the validation text`);
  const started = Date.now();
  const history = await model.fit(train.x, train.y, { epochs, batchSize: 32, validationData: [val.x, val.y], verbose: 1 });
  const valLoss = history.history.val_loss!.at(-1)!;
  console.log(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s: validation loss ${valLoss.toFixed(3)} nats/char vs unigram ${baseline.toFixed(3)}`);

  for (const temperature of [0.5, 0.8, 1.0]) {
    const sample = await generateText(model, vocab, { prompt: 'ROMEO:\n', length: 300, temperature, contextLength: seqLength, seed: 7 });
    console.log(`\n--- temperature ${temperature} ---\n${sample}`);
  }
}

void main();

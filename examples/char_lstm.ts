/**
 * A character-level LSTM language model on the bundled Tiny Shakespeare, trained through `fit`
 * (the whole sequence runs in the fused native LSTM), compared with the unigram baseline, then
 * sampled at a few temperatures.
 *
 * Run with `npx tsx examples/char_lstm.ts [epochs] [windows]` (defaults: 4 epochs, 6000 training
 * windows of 100 characters; the last 10% of the text is held out for validation).
 */

import { CharVocabulary, generateText, layers as L, loadTinyShakespeare, manualSeed, nextTokenWindows, sequential, unigramCrossEntropy } from '../ts/index';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 4);
  const windows = Number(process.argv[3] ?? 6000);
  const seqLength = 100;
  manualSeed(1);

  const text = await loadTinyShakespeare();
  const vocab = CharVocabulary.fromText(text);
  const ids = vocab.encode(text);
  const split = Math.floor(ids.length * 0.9);
  const trainIds = ids.subarray(0, split);
  const valIds = ids.subarray(split);
  const train = nextTokenWindows(trainIds, { seqLength, step: 3, maxWindows: windows });
  const val = nextTokenWindows(valIds, { seqLength, maxWindows: 500 });

  const model = sequential(
    [
      L.embedding({ inputDim: vocab.size, outputDim: 32 }),
      L.lstm({ units: 256, returnSequences: true }),
      L.dense({ units: vocab.size }),
    ],
    { inputShape: [seqLength] },
  );
  model.compile({ optimizer: { type: 'adam', lr: 3e-3, clipNorm: 5 }, loss: { type: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  console.log(model.summary());

  const baseline = unigramCrossEntropy(trainIds, valIds, vocab.size);
  console.log(`vocabulary ${vocab.size} characters; ${train.x.shape[0]} training windows; unigram baseline ${baseline.toFixed(3)} nats/char on the validation text`);
  const started = Date.now();
  const history = await model.fit(train.x, train.y, { epochs, batchSize: 64, validationData: [val.x, val.y], verbose: 1 });
  const valLoss = history.history.val_loss!.at(-1)!;
  console.log(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s: validation loss ${valLoss.toFixed(3)} nats/char vs unigram ${baseline.toFixed(3)}`);

  for (const temperature of [0.5, 0.8, 1.0]) {
    const sample = await generateText(model, vocab, { prompt: 'ROMEO:\n', length: 300, temperature, contextLength: seqLength, seed: 7 });
    console.log(`\n--- temperature ${temperature} ---\n${sample}`);
  }
}

void main();

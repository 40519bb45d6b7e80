/** Dataset loaders. Decoding runs natively off the JS thread. */

import * as path from 'node:path';

import { loadCsv as nativeLoadCsv, loadIdx as nativeLoadIdx } from './native';
import { nativeAsync } from './errors';
import { Tensor } from './tensor';

/**
 * Reads IDX files (the MNIST format; `.gz` is decompressed) into a float32 tensor multiplied by
 * `scale`. Several files are concatenated along the first axis.
 */
export async function loadIdx(files: string | string[], options: { scale?: number } = {}): Promise<Tensor> {
  const list = typeof files === 'string' ? [files] : files;
  return new Tensor(await nativeAsync(() => nativeLoadIdx(list, options.scale ?? 1)));
}

/** MNIST as tensors: images `[n, 784]` scaled to [0, 1] and integer labels `[n]`. */
export interface Mnist {
  /** Training images, `[60000, 784]`. */
  trainImages: Tensor;
  /** Training labels 0–9, `[60000]`. */
  trainLabels: Tensor;
  /** Test images, `[10000, 784]`. */
  testImages: Tensor;
  /** Test labels, `[10000]`. */
  testLabels: Tensor;
}

/** Loads the MNIST copy shipped in the repository's `data/mnist/` (or another directory). */
export async function loadMnist(dir: string = path.join(__dirname, '..', 'data', 'mnist')): Promise<Mnist> {
  const parts = Array.from({ length: 6 }, (_, k) => path.join(dir, `train-images-idx3-ubyte.part${k}.gz`));
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    loadIdx(parts, { scale: 1 / 255 }),
    loadIdx(path.join(dir, 'train-labels-idx1-ubyte.gz')),
    loadIdx(path.join(dir, 't10k-images-idx3-ubyte.gz'), { scale: 1 / 255 }),
    loadIdx(path.join(dir, 't10k-labels-idx1-ubyte.gz')),
  ]);
  return {
    trainImages: trainImages.reshape([-1, 784]),
    trainLabels,
    testImages: testImages.reshape([-1, 784]),
    testLabels,
  };
}

/** A CSV file as one numeric matrix. */
export interface CsvTable {
  /** Column names (from the header, or `c0`, `c1`, ... without one). */
  columns: string[];
  /** `[rows, columns]` values; categorical columns hold category codes, missing numbers are NaN. */
  data: Tensor;
  /** For each categorical column, its category names by code (order of first appearance). */
  categories: Record<string, string[]>;
}

/**
 * Reads a CSV file off the JS thread (RFC 4180 quoting). A column is numeric when every
 * non-missing cell parses as a number (`''`, `NA`, `NaN`, `?` are missing); otherwise its values
 * are encoded as category codes.
 */
export async function loadCsv(file: string, options: { header?: boolean; delimiter?: string } = {}): Promise<CsvTable> {
  const table = await nativeAsync(() => nativeLoadCsv(file, options.header ?? true, options.delimiter ?? ','));
  return {
    columns: table.names,
    data: new Tensor(table.tensor()),
    categories: JSON.parse(table.categories) as Record<string, string[]>,
  };
}

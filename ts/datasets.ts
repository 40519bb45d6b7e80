/** Dataset loaders. Decoding runs natively off the JS thread. */

import * as fs from 'node:fs';
import * as path from 'node:path';

import { loadCsv as nativeLoadCsv, loadIdx as nativeLoadIdx } from './native';
import { ValueError, nativeAsync } from './errors';
import { Tensor, tensor } from './tensor';

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

/** The Wisconsin diagnostic breast cancer data (scikit-learn's `load_breast_cancer`) as tensors. */
export interface BreastCancer {
  /** 30 real-valued features per sample (`[569, 30]`), unscaled, in {@link BREAST_CANCER_FEATURES} order. */
  features: Tensor;
  /** Diagnosis `[569]`: 1 = malignant (`M`, 212 samples), 0 = benign (`B`, 357 samples). */
  labels: Tensor;
  /** The feature names, scikit-learn's spelling (`'mean radius'`, ..., `'worst fractal dimension'`). */
  featureNames: string[];
}

const BREAST_CANCER_MEASUREMENTS = [
  'radius',
  'texture',
  'perimeter',
  'area',
  'smoothness',
  'compactness',
  'concavity',
  'concave points',
  'symmetry',
  'fractal dimension',
];

/**
 * Column names of {@link BreastCancer.features}: the mean, the standard error and the worst
 * (mean of the three largest values) of ten nucleus measurements, in the file's order (see
 * `data/breast-cancer/wdbc.names`).
 */
export const BREAST_CANCER_FEATURES: readonly string[] = [
  ...BREAST_CANCER_MEASUREMENTS.map((m) => `mean ${m}`),
  ...BREAST_CANCER_MEASUREMENTS.map((m) => `${m} error`),
  ...BREAST_CANCER_MEASUREMENTS.map((m) => `worst ${m}`),
];

/**
 * Loads the UCI Breast Cancer Wisconsin (Diagnostic) copy shipped in the repository's
 * `data/breast-cancer/` (or `wdbc.data` in another directory) through {@link loadCsv}: the ID
 * column is dropped, the diagnosis becomes the label (M → 1, B → 0) and the 30 features are kept
 * unscaled (standardise them, fitting on training rows only).
 */
export async function loadBreastCancer(dir: string = path.join(__dirname, '..', 'data', 'breast-cancer')): Promise<BreastCancer> {
  const file = path.join(dir, 'wdbc.data');
  const table = await loadCsv(file, { header: false });
  const diagnoses = table.categories.c1 ?? [];
  const malignant = diagnoses.indexOf('M');
  if (table.columns.length !== 32 || malignant < 0 || diagnoses.some((d) => d !== 'M' && d !== 'B')) {
    table.data.dispose();
    throw new ValueError(`loadBreastCancer: ${file} should hold an ID, an M/B diagnosis and 30 features per row; got ${table.columns.length} columns, diagnoses [${diagnoses.join(', ')}]`);
  }
  const diagnosis = table.data.narrow(1, 1, 1);
  const labels = tensor(diagnosis.dataSync().map((c) => (c === malignant ? 1 : 0)));
  const columns = table.data.narrow(1, 2, 30);
  // A copy, so the whole table (ID and diagnosis columns included) can be released.
  const features = columns.contiguous();
  for (const t of [diagnosis, columns, table.data]) t.dispose();
  return { features, labels, featureNames: [...BREAST_CANCER_FEATURES] };
}

/** Reads the bundled Tiny Shakespeare corpus (`data/tinyshakespeare/input.txt`, 1.1 MB) as text. */
export async function loadTinyShakespeare(dir: string = path.join(__dirname, '..', 'data', 'tinyshakespeare')): Promise<string> {
  return fs.promises.readFile(path.join(dir, 'input.txt'), 'utf8');
}

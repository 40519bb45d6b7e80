/** Parameter spaces of a search: grids (cartesian products) and random draws. */

import { ValueError } from '../errors';
import { mulberry32, randomIndex } from '../internal/prng';

/** For every parameter, the values to try (`{ units: [8, 32], l2: [0, 1e-3] }`). */
export type ParamGrid = Record<string, readonly unknown[]>;

/** One combination of a {@link ParamGrid}. */
export type GridParams<G extends ParamGrid> = { [K in keyof G]: G[K][number] };

/**
 * A numeric range to sample from: uniform in `[min, max)`, log-uniform with `log` (the usual
 * choice for learning rates and penalties; needs `min > 0`), and integers in `[min, max]`
 * (both ends included) with `integer`.
 */
export interface Distribution {
  /** Lower bound. */
  min: number;
  /** Upper bound. */
  max: number;
  /** Uniform in `log(value)` (default false). */
  log?: boolean;
  /** Draw integers (default false). */
  integer?: boolean;
}

/** For every parameter, the values to sample from: an array (each entry equally likely) or a {@link Distribution}. */
export type SearchSpace = Record<string, readonly unknown[] | Distribution>;

/** One draw from a {@link SearchSpace}. */
export type SampledParams<S extends SearchSpace> = { [K in keyof S]: S[K] extends readonly unknown[] ? S[K][number] : number };

function gridSize(op: string, grid: ParamGrid): number {
  let size = 1;
  for (const [key, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) throw new ValueError(`${op}: '${key}' must be a non-empty array of values`);
    size *= values.length;
  }
  return size;
}

/** Combination `index` of `grid` (mixed radix, the last key varying fastest). */
function combination(grid: ParamGrid, index: number): Record<string, unknown> {
  const entries = Object.entries(grid);
  const out: Record<string, unknown> = {};
  for (let k = entries.length - 1; k >= 0; k--) {
    const [key, values] = entries[k]!;
    out[key] = values[index % values.length];
    index = Math.floor(index / values.length);
  }
  // Keep the grid's key order.
  return Object.fromEntries(entries.map(([key]) => [key, out[key]]));
}

/**
 * Every combination of the values of `grid` (the cartesian product), like scikit-learn's
 * `ParameterGrid`: the last key varies fastest (keys in the object's order; scikit-learn sorts
 * them). A list of grids is the concatenation of their products.
 */
export function parameterGrid<G extends ParamGrid>(grid: G | readonly G[]): Array<GridParams<G>> {
  const grids: readonly G[] = Array.isArray(grid) ? (grid as readonly G[]) : [grid as G];
  const out: Array<GridParams<G>> = [];
  for (const g of grids) {
    const size = gridSize('parameterGrid', g);
    for (let i = 0; i < size; i++) out.push(combination(g, i) as GridParams<G>);
  }
  return out;
}

function isDistribution(value: unknown): value is Distribution {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkDistribution(op: string, key: string, d: Distribution): void {
  const { min, max } = d;
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new ValueError(`${op}: '${key}' needs finite numbers min <= max, got min=${min} max=${max}`);
  }
  if (d.log === true && min <= 0) throw new ValueError(`${op}: '${key}' is log-uniform, so min must be > 0, got ${min}`);
  if (d.integer === true && (!Number.isInteger(min) || !Number.isInteger(max))) throw new ValueError(`${op}: '${key}' draws integers, so min and max must be integers, got ${min}, ${max}`);
}

function draw(d: Distribution, u: number): number {
  const hi = d.integer === true ? d.max + 1 : d.max;
  const value = d.log === true ? Math.exp(Math.log(d.min) + u * (Math.log(hi) - Math.log(d.min))) : d.min + u * (hi - d.min);
  return d.integer === true ? Math.min(Math.floor(value), d.max) : value;
}

/**
 * `nIter` parameter sets drawn from `space` with a seeded generator (the same seed gives the same
 * draws), like scikit-learn's `ParameterSampler`: keys are drawn in the object's order. When
 * every entry is an array, the draws are distinct combinations of the grid (sampling without
 * replacement), and at most the grid's size of them.
 */
export function sampleParameters<S extends SearchSpace>(space: S, nIter: number, seed = 0): Array<SampledParams<S>> {
  const op = 'sampleParameters';
  if (!Number.isInteger(nIter) || nIter < 1) throw new ValueError(`${op}: nIter must be a positive integer, got ${nIter}`);
  const entries = Object.entries(space);
  for (const [key, value] of entries) {
    if (Array.isArray(value)) {
      if (value.length === 0) throw new ValueError(`${op}: '${key}' must be a non-empty array or { min, max }`);
    } else if (isDistribution(value)) {
      checkDistribution(op, key, value);
    } else {
      throw new ValueError(`${op}: '${key}' must be an array of values or { min, max, log?, integer? }`);
    }
  }
  const uniform = mulberry32(seed);
  if (entries.every(([, value]) => Array.isArray(value))) {
    const grid = space as unknown as ParamGrid;
    const size = gridSize(op, grid);
    const seen = new Set<number>();
    const out: Array<SampledParams<S>> = [];
    while (out.length < Math.min(nIter, size)) {
      const index = randomIndex(uniform, size);
      if (seen.has(index)) continue;
      seen.add(index);
      out.push(combination(grid, index) as SampledParams<S>);
    }
    return out;
  }
  return Array.from({ length: nIter }, () => {
    const params: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      params[key] = Array.isArray(value) ? value[randomIndex(uniform, value.length)] : draw(value as Distribution, uniform());
    }
    return params as SampledParams<S>;
  });
}

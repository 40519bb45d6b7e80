/** Regression metrics with scikit-learn's definitions: MSE, RMSE, MAE, MAPE, R². */

import { ValueError, native } from '../errors';
import { regressionScores as nativeScores } from '../native';
import { Values, flat } from './labels';

/** All regression scores of `yPred` against `yTrue` (`[N]` or `[N, outputs]`, averaged uniformly over outputs). */
export interface RegressionScores {
  /** Mean squared error. */
  mse: number;
  /** Root mean squared error (per output, then averaged). */
  rmse: number;
  /** Mean absolute error. */
  mae: number;
  /** Mean absolute percentage error, as a fraction. */
  mape: number;
  /** Coefficient of determination. */
  r2: number;
}

/** Computes every regression score at once. */
export function regressionScores(yTrue: Values, yPred: Values): RegressionScores {
  const t = flat('regression metrics', yTrue, 'yTrue');
  const p = flat('regression metrics', yPred, 'yPred');
  if (t.data.length !== p.data.length || t.width !== p.width) {
    throw new ValueError(`regression metrics: yTrue has ${t.rows}×${t.width} values but yPred ${p.rows}×${p.width}`);
  }
  return JSON.parse(native(() => nativeScores(t.data, p.data, t.width))) as RegressionScores;
}

/** Mean squared error. */
export const meanSquaredError = (yTrue: Values, yPred: Values): number => regressionScores(yTrue, yPred).mse;
/** Root mean squared error. */
export const rootMeanSquaredError = (yTrue: Values, yPred: Values): number => regressionScores(yTrue, yPred).rmse;
/** Mean absolute error. */
export const meanAbsoluteError = (yTrue: Values, yPred: Values): number => regressionScores(yTrue, yPred).mae;
/** Mean absolute percentage error (a fraction: 0.1 = 10%). */
export const meanAbsolutePercentageError = (yTrue: Values, yPred: Values): number => regressionScores(yTrue, yPred).mape;
/** Coefficient of determination R². */
export const r2Score = (yTrue: Values, yPred: Values): number => regressionScores(yTrue, yPred).r2;

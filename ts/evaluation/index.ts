/**
 * Evaluation: classification, ranking, regression and sequence metrics with scikit-learn's
 * definitions and argument order `(yTrue, yPred)`, and text reports. The same metrics stream
 * through `fit`/`evaluate` by name (`metrics: ['precision', 'recall', 'f1', 'auc', ...]`).
 */

export * from './classification';
export * from './curves';
export * from './regression';
export * from './text';
export * from './report';
export type { Values } from './labels';

/**
 * Model selection, as in scikit-learn's `model_selection`: index splitters (k-fold, stratified
 * k-fold, leave-one-out, leave-p-out, train / validation / test), cross-validation of a model
 * factory, and grid / random hyper-parameter search with a final refit.
 */

export type { Fold } from './fold';
export { kFold } from './kfold';
export type { KFoldOptions } from './kfold';
export { stratifiedKFold } from './stratified_kfold';
export { leaveOneOut, leavePOut } from './leave_out';
export type { LeavePOutOptions } from './leave_out';
export { trainValTestSplit } from './train_val_test';
export type { TrainValTestSplit, TrainValTestSplitOptions } from './train_val_test';
export { crossValidate } from './cross_validate';
export type { CrossValidateOptions, CrossValidateResult, FoldResult, ModelFactory, Trainable, TrialContext, Transformer } from './cross_validate';
export { parameterGrid, sampleParameters } from './param_space';
export type { Distribution, GridParams, ParamGrid, SampledParams, SearchSpace } from './param_space';
export { gridSearch, randomSearch } from './search';
export type { CandidateResult, RandomSearchOptions, SearchOptions, SearchResult } from './search';

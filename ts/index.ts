/**
 * ferrograd: a deep-learning engine for Node.js with a Rust core.
 *
 * Tensors live in native memory and every op runs in the Rust engine (SIMD kernels on one thread
 * pool); reverse-mode autograd supports gradients of gradients. Import everything from here:
 *
 * ```ts
 * import { tensor, randn, noGrad } from 'ferrograd';
 * ```
 *
 * @packageDocumentation
 */

import { nativeVersion } from './native';

export { Tensor, tensor } from './tensor';
export type { Axes, BackwardOptions, DType, NestedArray, ReduceOptions, TensorData, TensorLike, TensorOptions, VarianceOptions } from './tensor';
export { arange, eye, full, linspace, ones, onesLike, rand, randn, zeros, zerosLike } from './creation';
export type { RandomOptions } from './creation';
export * from './ops';
export { attentionWithWeights, scaledDotProductAttention } from './attention';
export type { AttentionOptions } from './attention';
export { gruCell, lstmCell, rnnCell, rnnSequence, ugrnnCell } from './recurrent';
export type { RnnCellKind, RnnSequenceOptions, RnnSequenceResult, RnnWeightTensors } from './recurrent';
export { grad, isGradEnabled, noGrad } from './autograd';
export type { GradOptions } from './autograd';
export * as layers from './layers';
export type { ActivationArgs, ActivationName, ActivityRegularizerArgs, BatchNormArgs, DenseArgs, EmbeddingArgs, LayerName, LayerSpec, MergeLayer, TiedOutputArgs } from './layers';
export { Model, Sequential, loadModel, sequential } from './model';
export { SymbolicTensor, input, model } from './functional';
export type { InputArgs, ModelArgs } from './functional';
export { Module } from './module';
export type { ModuleChild } from './module';
export type { LossFn, ModuleCompileArgs, ModuleFitArgs } from './module_fit';
export type { LoadStateDictOptions, LoadStateDictResult, StateDict, StateEntry } from './module_state';
export type { Initializer, InitializerConfig, InitializerName, InitializerSpec } from './initializers';
export { metrics } from './metrics';
export * from './evaluation/index';
export type { MetricName } from './metrics';
export { ProgressPrinter } from './progress';
export { BREAST_CANCER_FEATURES, loadBreastCancer, loadCsv, loadIdx, loadMnist, loadTinyShakespeare } from './datasets';
export { Optimizer, loss, losses, optimizer } from './optimizers';
export type { LossOptions, ParamGroup } from './optimizers';
export { epochLogger, historyToSvg, saveHistorySvg } from './history';
export { confusionMatrixSvg, normalizeConfusionMatrix, precisionRecallCurveSvg, rocCurveSvg, saveSvg, trainingCurvesSvg } from './plots';
export type {
  ConfusionMatrixOptions,
  ConfusionNormalize,
  CurvePlotOptions,
  LegendCorner,
  PrecisionRecallCurvePlot,
  RocCurvePlot,
  RocCurveOptions,
  TrainingCurvesOptions,
} from './plots';
export { StandardScaler, minMaxScale, permutation, toCategorical, trainTestSplit } from './preprocessing';
export type { Split, TrainTestSplitOptions } from './preprocessing';
export * from './selection';
export type { BreastCancer, CsvTable, Mnist } from './datasets';
export { Dataset } from './dataset';
export { adversarialAccuracy, adversarialBatches, fgsm, pgd } from './adversarial';
export type { AdversarialAccuracyOptions, AdversarialBatchesOptions, Attack, AttackLoss, Attackable, FgsmOptions, PgdOptions } from './adversarial';
export { augment, augmentation } from './augment';
export { channelsFirst, channelsLast } from './layout';
export { contractivePenalty, gaussianKl, reparameterize, vaeLoss } from './generative';
export { imageGridSvg } from './image_grid';
export { GanTrainer } from './gan';
export { pca } from './decomposition';
export { pretrainLayerwise } from './pretraining';
export { Word2Vec, tokenize } from './word2vec';
export { CharVocabulary, generateText, nextTokenWindows, sampleLogits, unigramCrossEntropy } from './text';
export type { GenerateTextOptions, WindowOptions } from './text';
export { Seq2Seq, exactSequenceAccuracy } from './seq2seq';
export type { BeamSearchOptions, DecodeOptions, Hypothesis, Seq2SeqOptions } from './seq2seq';
export { CapsuleLayer, marginLoss, squash } from './capsules';
export type { CapsuleLayerArgs } from './capsules';
export type { Word2VecOptions } from './word2vec';
export type { PretrainOptions, PretrainResult } from './pretraining';
export type { Pca } from './decomposition';
export type { GanLoss, GanNetwork, GanOptions, GanStepLogs } from './gan';
export type { ImageGridOptions } from './image_grid';
export type { VaeLossOptions } from './generative';
export type { AugmentationStep } from './augment';
export type { BatchOptions, Batched, DatasetElement, ShuffleOptions, TensorSlices } from './dataset';
export type { DatasetFitArgs, TrainingBatch } from './model_stream';
export type { BatchPosition, Callback } from './callbacks';
export type {
  BatchProgress,
  CompileArgs,
  EarlyStoppingArgs,
  EpochLogs,
  FitArgs,
  History,
  LossSpec,
  OptimizerSpec,
  ReduceLrOnPlateauArgs,
  ScheduleSpec,
  SequentialArgs,
  Tensors,
} from './model';
export { getNumThreads, manualSeed, measurePeakGflops, setNumThreads, simdLevel } from './runtime';
export {
  AutogradError,
  DTypeError,
  DisposedError,
  FerrogradError,
  FormatError,
  IOError,
  InternalError,
  ShapeError,
  ValueError,
} from './errors';

/** Version of the loaded native addon. */
export const version: string = nativeVersion();

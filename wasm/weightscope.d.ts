// The JS API of the browser module (wasm/bindings.cpp), for every variant: weightscope-mt.js
// (global WeightscopeMT), weightscope-fma.js (WeightscopeFMA), weightscope-st.js (WeightscopeST),
// weightscope-debug.js (WeightscopeDebug).
// Each script is classic (importScripts in a worker, or <script>); under node, require() returns
// the factory. Results cross as JSON text in the report schema (docs/report-schema.md); the types
// below say what JSON.parse gives.
//
//   const module = await WeightscopeST({ locateFile: p => new URL(p, base).href });
//   const a = module.Analysis.open(files, '', JSON.stringify({ threads: 1 }));
//   try { while (!a.done()) { const r: StepResult = JSON.parse(a.step()); } } finally { a.delete(); }
//
// Bad input (ws::InputError), a bad option and out of memory are thrown as a JS Error whose message
// is the core's one line (the CLI prints the same after "weightscope: error: ").
//
// tests/node/wasm_debug.test.mjs keeps this file true: every function declared here exists on each
// built variant (and every function of the bindings is declared here); report-fields.d.ts is as
// scripts/gen-dts.mjs writes it from the field table; and the JSON of a real run has the declared
// shapes. So keep one member per line: `name(...)` for functions, `name: type` or `name?: type` for
// JSON fields, and `interface X extends Y {` for one base at most.

import type { LayerFields, OptionFields, ReportOptionFields, SkippedFields, SummaryFields } from './report-fields';
export type { LayerFields, OptionFields, ReportOptionFields, SkippedFields, SummaryFields } from './report-fields';

/** JSON text that parses to T (a plain string at run time). */
export type JsonText<T> = string & { readonly __json?: T };

// ---- The factory ----

/** Options of the factory (Emscripten's Module object); all optional. */
export interface ModuleOptions {
  /** Where weightscope-*.wasm (and weightscope-mt.worker.js) are: called with the file name. */
  locateFile?(path: string, scriptDirectory: string): string;
  /** mt only: the URL (or Blob) of weightscope-mt.js, which its pthread workers load. */
  mainScriptUrlOrBlob?: string | Blob;
  /** mt only: pthread workers created at start (default 4); pass as many as the threads option. */
  wsPoolSize?: number;
  /** stdout of the module (unused by the core). */
  print?(text: string): void;
  /** stderr of the module (Emscripten warnings, assertion failures of the debug build). */
  printErr?(text: string): void;
  /** The .wasm bytes, so the loader does not fetch them (needed under node 20; see tests/node/helpers.mjs). */
  wasmBinary?: ArrayBuffer | Uint8Array;
}

/** A factory: resolves to the module once the wasm is compiled (and, for mt, the pool is up). */
export type WeightscopeFactory = (options?: ModuleOptions) => Promise<WeightscopeModule>;

export interface WeightscopeModule {
  Analysis: AnalysisStatic;
  /**
   * Set by the caller: progress inside a long step() (a layer analyzed alone), phase "read", "gram",
   * "reduction", "eigenvalues" or "fit" with the fraction of it done (core/util/progress.h).
   */
  wsProgress?: ((phase: string, fraction: number) => void) | null;
  /** The CSV of a report (JSON text of a Report, e.g. report()'s): a header and one row per layer. */
  reportCsv(reportJson: string): string;
  /**
   * A layer allocation plan (docs/plans.md) from a report's JSON text and the plan options'
   * JSON text {"method": "alphapruning"|"tempbalance", "sparsity"?, "epsilon"?, "metric"?, "mapping"?}:
   * the plan's JSON text. Throws an Error naming a bad option, or when no layer has the metric.
   */
  allocationPlan(reportJson: string, optionsJson: string): string;
  /** The CSV of a plan (allocationPlan's result): a header and one row per planned layer. */
  planCsv(planJson: string): string;
}

/**
 * A model file: a browser File, or anything with a name, a size and File.slice whose slices
 * FileReaderSync can read (the module reads synchronously, so it runs inside a worker).
 */
export interface ModelFile {
  readonly name: string;
  readonly size: number;
  slice(start?: number, end?: number): Blob;
}

export interface AnalysisStatic {
  /**
   * Opens a model: one .safetensors or .npy file, or the shards of one model with the text of its
   * model.safetensors.index.json ('' when there is none). optionsJson: JSON text of Options ('' or
   * '{}' for the defaults; threads defaults to 1). Reads only the headers; throws an Error on bad input.
   */
  open(files: ArrayLike<ModelFile>, indexJson: string, optionsJson: string): Analysis;
  /**
   * The same with the base model of a fine-tune: baseFiles (its files, as files; undefined for none) and
   * baseIndexJson. Each layer is then dW = W - W_base (tensors paired by name, read one pair at a time),
   * with alpha_base, alpha_ft, delta_W in its entry; report.base and the summary's avg_delta_W/avg_delta_b.
   */
  open(files: ArrayLike<ModelFile>, indexJson: string, optionsJson: string,
       baseFiles: ArrayLike<ModelFile> | undefined, baseIndexJson: string): Analysis;
}

/** One analysis, one tensor per step(). An Embind object: call delete() when done with it. */
export interface Analysis {
  /** The model's files and tensors, for progress. */
  model(): JsonText<ModelInfo>;
  /** Tensors in the model (layers or not). */
  numTensors(): number;
  /** Tensors done so far: the index of the tensor the next step() reads. */
  nextIndex(): number;
  /** Every tensor has been stepped. */
  done(): boolean;
  /** Reads and analyzes the next tensor; throws an Error when the file is broken. */
  step(): JsonText<StepResult>;
  /** The summary of the layers so far (cheap: no plot data). */
  summary(): JsonText<RunningSummary>;
  /** The whole report so far, as the CLI's --json writes it. */
  report(): JsonText<Report>;
  /** The end of a run: the report with "layers" and "skipped" null (the page has them), and their counts. */
  reportHead(): JsonText<ReportHead>;
  /** The eigenvector metrics of one layer, computed now (its tensor is read again). layerJson: the layer's report entry (JSON text) from a run over the same files; throws when it names another tensor. */
  layerVectors(layerJson: string): JsonText<LayerVectors>;
  /** The latent space of one dense layer (layerJson as for layerVectors; K = its num_pl_spikes): the two .npy files the CLI's --latent-out writes; throws for a layer that is not dense or whose fit failed. */
  latentSpace(layerJson: string): LatentSpace;
  /** Frees the C++ object. */
  delete(): void;
}

declare global {
  /** weightscope-mt.js: threads + SIMD; needs cross-origin isolation (SharedArrayBuffer). */
  var WeightscopeMT: WeightscopeFactory;
  /** weightscope-fma.js: mt with relaxed SIMD's fused multiply-add; needs an engine with relaxed SIMD. */
  var WeightscopeFMA: WeightscopeFactory;
  /** weightscope-st.js: single-threaded SIMD. */
  var WeightscopeST: WeightscopeFactory;
  /** weightscope-debug.js: single-threaded, assertions and SAFE_HEAP (tests only; slow). */
  var WeightscopeDebug: WeightscopeFactory;
}

// ---- The JSON shapes (docs/report-schema.md) ----
// The report's own fields come from the field table, in report-fields.d.ts (generated by
// scripts/gen-dts.mjs); the interfaces here add what the table cannot say (literal values, nested
// objects) and the shapes around them.

/** Analysis options (optionsJson of Analysis.open); an unknown key or a bad value is an Error. */
export interface Options extends OptionFields {}

/** report.options: every option that changes results, defaults included (threads is not one). */
export interface ReportOptions extends ReportOptionFields {}

/** model(). */
/** reportHead(): the report without its entries, and their counts. */
export interface ReportHead {
  report: Report;
  counts: EntryCounts;
}
export interface EntryCounts {
  layers: number;
  skipped: number;
}

export interface ModelInfo {
  files: string[];
  format: 'safetensors' | 'npy' | 'pytorch' | 'gguf' | 'onnx';
  total_bytes: number;
  metadata: Record<string, string>;
  tensors: TensorEntry[];
}

export interface TensorEntry {
  name: string;
  nbytes: number;
}

/** step(): what the tensor was. "ignored": not a layer candidate (a bias, a norm, ...). */
export type StepResult =
  | { kind: 'layer'; layer: Layer }
  | { kind: 'skipped'; skipped: Skipped }
  | { kind: 'ignored'; tensor: string }
  | { kind: 'done' };

/** report(). */
export interface Report {
  format: 'weightscope-report';
  version: 1;
  generator: string;
  model: ReportModel;
  options: ReportOptions;
  summary: Summary;
  layers: Layer[];
  skipped: Skipped[];
}

export interface ReportModel {
  files: string[];
  format: 'safetensors' | 'npy' | 'pytorch' | 'gguf' | 'onnx';
  total_bytes: number;
  num_tensors: number;
  metadata: Record<string, string>;
}

/** report().summary. Means are over layers whose fit succeeded (absent when none did). */
export interface Summary extends SummaryFields {}

/** summary(): the summary of the layers so far, without the whole run's fields. */
export type RunningSummary = Omit<Summary, 'seconds' | 'complete' | 'latent_rank_K'>;

/** A layer tensor that was not analyzed, and why. */
export interface Skipped extends SkippedFields {}

/**
 * One analyzed layer. Eigenvalues are those of X = W^T W (unit: weight squared). A non-finite
 * number is written as null. Optional fields are present as docs/report-schema.md says ("when").
 */
export interface Layer extends LayerFields {
  type: 'dense' | 'conv2d';
  status: 'success' | 'failed';
  warning: '' | 'over-trained' | 'under-trained';
  spectra?: Spectra;
}

/** A layer's plot data; the page derives the histograms and fitted curves from it (web/js/report/spectra.js). */
export interface Spectra {
  /** Every eigenvalue, ascending. */
  evals: number[];
  ks: KsScan;
  /** With randomize: the eigenvalues of the element-shuffled matrix, ascending. */
  rand_evals?: number[];
  /** With vectors: each eigenvector's localization ratio, in the order of evals. */
  loc_ratio?: number[];
  /** With vectors: each eigenvector's participation ratio ||v||_2 / ||v||_4. */
  part_ratio?: number[];
  /** With vectors: each eigenvector's vector entropy. */
  vec_entropy?: number[];
}

/** layerVectors(): the vectors option's fields of one layer (an empty side of xmin gives null). */
export interface LayerVectors {
  name: string;
  bulk_mean_vec_entropy: number | null;
  bulk_var_vec_entropy: number | null;
  tail_mean_vec_entropy: number | null;
  tail_var_vec_entropy: number | null;
  bulk_mean_loc_ratio: number | null;
  bulk_var_loc_ratio: number | null;
  tail_mean_loc_ratio: number | null;
  tail_var_loc_ratio: number | null;
  bulk_mean_part_ratio: number | null;
  bulk_var_part_ratio: number | null;
  tail_mean_part_ratio: number | null;
  tail_var_part_ratio: number | null;
  spectra: VectorSpectra;
}

/** latentSpace(): K, the matrix's shape, and the .npy bytes of V_K (cols x K) and M V_K (rows x K), float64. */
export interface LatentSpace {
  k: number;
  rows: number;
  cols: number;
  components: Uint8Array;
  coordinates: Uint8Array;
}

/** The per-eigenvector arrays of layerVectors(), in ascending eigenvalue order. */
export interface VectorSpectra {
  loc_ratio: number[];
  part_ratio: number[];
  vec_entropy: number[];
}

/** The fit's scan over xmin candidates: D and alpha at each (alpha null where the tail is one tied value). */
export interface KsScan {
  xmin: number[];
  D: number[];
  alpha: (number | null)[];
}

// The JS API of the browser module (wasm/bindings.cpp), for every variant: weightscope-mt.js
// (global WeightscopeMT), weightscope-st.js (WeightscopeST), weightscope-debug.js (WeightscopeDebug).
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
// built variant; Layer, Summary, Skipped, Options and ReportOptions have exactly the fields of the
// field table (web/js/fields.js, generated from core/report/fields.cpp), optional where the table
// says "when", with matching types; and the JSON of a real run has the declared shapes. So keep one
// member per line: `name(...)` for functions, `name: type` or `name?: type` for JSON fields.

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
  /** The CSV of a report (JSON text of a Report, e.g. report()'s): a header and one row per layer. */
  reportCsv(reportJson: string): string;
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
  /** Frees the C++ object. */
  delete(): void;
}

declare global {
  /** weightscope-mt.js: threads + SIMD; needs cross-origin isolation (SharedArrayBuffer). */
  var WeightscopeMT: WeightscopeFactory;
  /** weightscope-st.js: single-threaded SIMD. */
  var WeightscopeST: WeightscopeFactory;
  /** weightscope-debug.js: single-threaded, assertions and SAFE_HEAP (tests only; slow). */
  var WeightscopeDebug: WeightscopeFactory;
}

// ---- The JSON shapes (docs/report-schema.md) ----

/** Analysis options; every key is optional, and an unknown key or bad value is an Error. */
export interface Options {
  threads?: number;
  min_evals?: number;
  max_evals?: number;
  max_N?: number;
  conv2d_norm?: boolean;
  fit?: 'pl' | 'tpl';
  xmin_convention?: 'weightwatcher' | 'powerlaw';
  fix_fingers?: 'none' | 'xmin_peak' | 'clip_xmax';
  mp_fit?: boolean;
  detX?: boolean;
  randomize?: boolean;
  seed?: number;
  spectra?: boolean;
}

/** report.options: every option that changes results, defaults included (threads is not one). */
export interface ReportOptions {
  min_evals: number;
  max_evals: number;
  max_N: number;
  conv2d_norm: boolean;
  fit: 'pl' | 'tpl';
  xmin_convention: 'weightwatcher' | 'powerlaw';
  fix_fingers: 'none' | 'xmin_peak' | 'clip_xmax';
  mp_fit: boolean;
  detX: boolean;
  randomize: boolean;
  seed: number;
  spectra: boolean;
}

/** model(). */
export interface ModelInfo {
  files: string[];
  format: 'safetensors' | 'npy';
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
  format: 'safetensors' | 'npy';
  total_bytes: number;
  num_tensors: number;
  metadata: Record<string, string>;
}

/** report().summary. Means are over layers whose fit succeeded (absent when none did). */
export interface Summary {
  num_layers: number;
  num_failed: number;
  num_skipped: number;
  num_ignored: number;
  alpha?: number;
  alpha_weighted?: number;
  log_norm?: number;
  log_alpha_norm?: number;
  log_spectral_norm?: number;
  stable_rank?: number;
  mp_softrank?: number;
  num_under_trained: number;
  num_over_trained: number;
  num_detx_coincide: number;
  /** Time of the whole run, s. */
  seconds: number;
  /** Every tensor was read (false for a cancelled run). */
  complete: boolean;
  /** A single .npy matrix whose fit succeeded: eigenpairs in the power-law tail. */
  latent_rank_K?: number;
}

/** summary(): the summary of the layers so far, without the whole run's fields. */
export type RunningSummary = Omit<Summary, 'seconds' | 'complete' | 'latent_rank_K'>;

/** A layer tensor that was not analyzed, and why. */
export interface Skipped {
  index: number;
  name: string;
  tensor: string;
  shape: number[];
  dtype: string;
  reason: string;
}

/**
 * One analyzed layer. Eigenvalues are those of X = W^T W (unit: weight squared). A non-finite
 * number is written as null. Optional fields: fit fields when status is "success", failure_reason
 * when "failed", detX_* with detX, the MP fit with mp_fit, tpl_* with fit "tpl", rand/ww_* with
 * randomize, num_fingers/raw_alpha with fix_fingers "clip_xmax", spectra with spectra.
 */
export interface Layer {
  index: number;
  name: string;
  tensor: string;
  type: 'dense' | 'conv2d';
  shape: number[];
  dtype: string;
  N: number;
  M: number;
  rf: number;
  Q: number;
  num_evals: number;
  status: 'success' | 'failed';
  failure_reason?: string;
  alpha?: number;
  alpha_weighted?: number;
  D?: number;
  sigma?: number;
  xmin?: number;
  xmax?: number;
  num_pl_spikes?: number;
  log_alpha_norm?: number;
  warning: '' | 'over-trained' | 'under-trained';
  num_fingers?: number;
  raw_alpha?: number;
  lambda_max: number;
  spectral_norm: number;
  sv_max: number;
  norm: number;
  log_norm: number;
  log_spectral_norm: number;
  stable_rank: number;
  matrix_rank: number;
  entropy: number;
  detX_num?: number;
  detX_val?: number;
  detX_val_rescaled?: number;
  sigma_mp?: number;
  W_scale?: number;
  bulk_min?: number;
  bulk_max?: number;
  num_spikes?: number;
  mp_softrank?: number;
  tpl_alpha?: number;
  tpl_lambda?: number;
  tpl_R?: number;
  tpl_p?: number;
  rand_distance?: number;
  max_rand_eval?: number;
  ww_softrank?: number;
  ww_maxdist?: number;
  /** Time spent on this layer, s. */
  seconds: number;
  spectra?: Spectra;
}

/** A layer's plot data; the page derives the histograms and fitted curves from it (web/js/report/spectra.js). */
export interface Spectra {
  /** Every eigenvalue, ascending. */
  evals: number[];
  ks: KsScan;
}

/** The fit's scan over xmin candidates: D and alpha at each (alpha null where the tail is one tied value). */
export interface KsScan {
  xmin: number[];
  D: number[];
  alpha: (number | null)[];
}

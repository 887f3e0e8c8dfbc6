// The analysis worker: loads one wasm build once ('init', before any file is chosen) and runs
// ws::Analysis for each 'request' it is sent, one tensor per step. The protocol is engine.js's
// (see there); every message of a run carries the request's run id. The engine terminates this
// worker to cancel (a single big tensor can take seconds) and starts a fresh one.
// The files come sorted by the page (files.js): model files and the shard index, if any.
// A classic worker: the Emscripten 3.1.6 glue is a classic script (importScripts), and its pthreads
// are nested workers loaded from the same folder.
'use strict';

const WASM_DIR = new URL('../wasm/', self.location.href);
let ready = null;

function load(variant, poolSize) {
  const script = new URL(`weightscope-${variant}.js`, WASM_DIR).href;
  importScripts(script);
  const factory = { mt: self.WeightscopeMT, fma: self.WeightscopeFMA, st: self.WeightscopeST }[variant];
  return factory({
    locateFile: path => new URL(path, WASM_DIR).href,
    mainScriptUrlOrBlob: script,
    wsPoolSize: poolSize,
    print: () => {},
    printErr: text => console.warn(text),
  });
}

// ws::Analysis over the page's files (the shard index read as text) with the page's options.
// With a base model ({models, index}), each tensor is analyzed as dW = W - W_base (or, for a LoRA
// adapter, also W_base + dW); the core reads the two models one tensor pair at a time.
function openAnalysis(module, { models, index, base, threads, options }) {
  const text = file => (file ? new FileReaderSync().readAsText(file) : '');
  const json = JSON.stringify({ ...options, threads });
  return base ? module.Analysis.open(models, text(index), json, base.models, text(base.index))
              : module.Analysis.open(models, text(index), json);
}

// Where a run's time goes in the worker, in ms (scripts/bench reads the 'ws:run-phases' mark):
// open (headers), step (the wasm analysis, file reads included), parse (its JSON), summary, post
// (serializing messages to the page), and at the end report (the report's head, parsed).
function run(module, { run: id, models, index, base, threads, options }) {
  const phases = { open: 0, step: 0, parse: 0, summary: 0, post: 0, report: 0 };
  const timed = (phase, f) => {
    const t = performance.now();
    const r = f();
    phases[phase] += performance.now() - t;
    return r;
  };
  const post = m => timed('post', () => postMessage({ ...m, run: id }));
  const analysis = timed('open', () => openAnalysis(module, { models, index, base, threads, options }));
  try {
    const { tensors, ...model } = timed('open', () => JSON.parse(analysis.model()));
    post({ type: 'model', model: { ...model, num_tensors: tensors.length } });
    const total = tensors.length;
    const start = performance.now();
    let bytesDone = 0, lastProgress = 0, lastSummary = 0, at = null;
    // Inside a long step the core reports its phases (read, gram, reduction, eigenvalues, fit; see
    // core/util/progress.h): passed on with the step's own progress fields, at most 4 times a second.
    module.wsProgress = (phase, fraction) => {
      const now = performance.now();
      if (now - lastProgress < 250) return;
      lastProgress = now;
      post({ type: 'progress', ...at, phase, fraction, elapsed: (now - start) / 1000 });
    };
    for (let i = 0; i < total; ++i) {
      const t = tensors[i];
      const now = performance.now();
      at = { done: i, total, bytesDone, totalBytes: model.total_bytes, current: t.name };
      // Progress before each step; throttled, as models have thousands of tiny tensors.
      if (now - lastProgress > 50 || t.nbytes > 1e6) {
        post({ type: 'progress', done: i, total, bytesDone, totalBytes: model.total_bytes, current: t.name,
               elapsed: (now - start) / 1000 });
        lastProgress = now;
      }
      const text = timed('step', () => analysis.step());
      const result = timed('parse', () => JSON.parse(text));
      bytesDone += t.nbytes;
      if (result.kind !== 'layer' && result.kind !== 'skipped') continue;
      // The running summary, at most a few times a second, and always before a long step.
      const after = performance.now();
      const next = tensors[i + 1];
      let summary;
      if (after - lastSummary > 200 || !next || next.nbytes > 1e6) {
        summary = timed('summary', () => JSON.parse(analysis.summary()));
        lastSummary = after;
      }
      post(result.kind === 'layer' ? { type: 'layer', layer: result.layer, summary }
                                   : { type: 'skipped', skipped: result.skipped, summary });
    }
    // The page has every layer and skipped tensor already: the end carries the rest of the report
    // (layers and skipped as null placeholders, which keep the report's key order) and their counts.
    // The CSV is made only when asked for (a 'job'): it costs as much as a tenth of a run.
    const head = timed('report', () => JSON.parse(analysis.reportHead()));
    post({ type: 'done', report: head.report, counts: head.counts, elapsed: (performance.now() - start) / 1000 });
    // The wasm memory never shrinks: its size now is the run's peak (the threaded build exports it).
    const memory = (module.wasmMemory ?? module.HEAPU8).buffer.byteLength;
    performance.mark('ws:run-phases', { detail: { ...phases, wasmBytes: memory } });
  } finally {
    module.wsProgress = null;
    analysis.delete();
  }
}

// Work on a finished report (its JSON text, without plot data), by the core through the binding:
// a layer allocation plan (core/report/plan.cpp) or the report's CSV (core/report/csv.cpp).
const JOBS = {
  plan(module, { report, options }) {
    const json = module.allocationPlan(report, JSON.stringify(options));
    return { json, csv: module.planCsv(json) };
  },
  csv: (module, { report }) => ({ csv: module.reportCsv(report) }),
  // On one layer of a finished run (engine.js layerJob): its eigenvector metrics, or its latent
  // space as two .npy files. The run's files are opened again with its options for each job rather
  // than its Analysis kept: opening reads headers only, the worker holds no second copy of the
  // report, and a job works after a Cancel replaced this worker.
  vectors: (module, data) => withFiles(module, data, a => JSON.parse(a.layerVectors(data.layer))),
  latent: (module, data) => withFiles(module, data, a => {
    const { k, rows, cols, components, coordinates } = a.latentSpace(data.layer);
    return { k, rows, cols, components, coordinates };
  }),
};

function withFiles(module, data, f) {
  const analysis = openAnalysis(module, data);
  try {
    return f(analysis);
  } finally {
    analysis.delete();
  }
}

// A small model analyzed once before 'ready', on the path a first run takes (safetensors F32 and
// BF16, dense and conv layers, a rank-deficient one for the exact SVD, the fit, the JSON): V8
// compiles each wasm function on its first call and the hot ones again when they have run a while,
// which cost a first run ~0.2 s (MobileNet in node: 0.46 s, then 0.22-0.26 s). The user is still
// choosing a file meanwhile. Entries are random (xorshift; a few heavy-tailed ones so the fit runs).
function warmUp(module, threads) {
  let state = 2463534242;
  const random = () => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    return (state >>> 0) / 4294967296 - 0.5;
  };
  const heavy = () => random() / (Math.abs(random()) + 0.02);
  const lowRank = (rows, cols, rank) => {
    const a = Array.from({ length: rows * rank }, random), b = Array.from({ length: rank * cols }, random);
    return Float32Array.from({ length: rows * cols }, (_, i) => {
      let s = 0;
      for (let k = 0; k < rank; ++k) s += a[Math.floor(i / cols) * rank + k] * b[k * cols + (i % cols)];
      return s;
    });
  };
  const tensors = [
    ['dense.weight', 'F32', [400, 300], Float32Array.from({ length: 400 * 300 }, heavy)],
    ['conv.weight', 'F32', [48, 32, 3, 3], Float32Array.from({ length: 48 * 32 * 9 }, heavy)],
    ['lowrank.weight', 'F32', [160, 120], lowRank(160, 120, 12)],
    ['bf16.weight', 'BF16', [128, 96],  // bfloat16: the top half of each float32
     Uint16Array.from(new Uint32Array(Float32Array.from({ length: 128 * 96 }, heavy).buffer), bits => bits >>> 16)],
  ];
  const header = {};
  let offset = 0;
  for (const [name, dtype, shape, data] of tensors) {
    header[`warmup.${name}`] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  const file = new File([length, json, ...tensors.map(t => t[3])], 'warmup.safetensors');
  const analysis = openAnalysis(module, { models: [file], index: null, threads, options: {} });
  try {
    JSON.parse(analysis.model());
    while (!analysis.done()) JSON.parse(analysis.step());
    JSON.parse(analysis.reportHead());
  } finally {
    analysis.delete();
  }
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      performance.mark('ws:worker-init');
      ready = load(data.variant, data.threads);
      const module = await ready;
      try {
        warmUp(module, data.threads);
      } catch (e) {  // only time is lost: say so (the tests fail on console errors) and go on
        console.error('weightscope: warm-up run failed:', e && e.message ? e.message : e);
      }
      performance.mark('ws:worker-ready');
      postMessage({ type: 'ready', variant: data.variant, threads: data.threads });
    } else if (data.type === 'request') {
      run(await ready, data);
    } else if (data.type === 'job') {
      const module = await ready;
      postMessage({ type: 'job', job: data.job, result: JOBS[data.kind](module, data) });
    }
  } catch (e) {
    const message = e && e.message ? e.message : String(e);
    if (data.type === 'job') postMessage({ type: 'job', job: data.job, error: message });
    else postMessage({ type: 'error', run: data.run ?? null, message });
  }
};

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
  const factory = variant === 'mt' ? self.WeightscopeMT : self.WeightscopeST;
  return factory({
    locateFile: path => new URL(path, WASM_DIR).href,
    mainScriptUrlOrBlob: script,
    wsPoolSize: poolSize,
    print: () => {},
    printErr: text => console.warn(text),
  });
}

// Where a run's time goes in the worker, in ms (scripts/bench reads the 'ws:run-phases' mark):
// open (headers), step (the wasm analysis, file reads included), parse (its JSON), summary, post
// (serializing messages to the page), and at the end report (its JSON text), reportParse and csv.
function run(module, { run: id, models, index, threads, options }) {
  const phases = { open: 0, step: 0, parse: 0, summary: 0, post: 0, report: 0, reportParse: 0, csv: 0 };
  const timed = (phase, f) => {
    const t = performance.now();
    const r = f();
    phases[phase] += performance.now() - t;
    return r;
  };
  const post = m => timed('post', () => postMessage({ ...m, run: id }));
  const indexText = index ? new FileReaderSync().readAsText(index) : '';
  const analysis = timed('open', () => module.Analysis.open(models, indexText, JSON.stringify({ ...options, threads })));
  try {
    const { tensors, ...model } = timed('open', () => JSON.parse(analysis.model()));
    post({ type: 'model', model: { ...model, num_tensors: tensors.length } });
    const total = tensors.length;
    const start = performance.now();
    let bytesDone = 0, lastProgress = 0, lastSummary = 0;
    for (let i = 0; i < total; ++i) {
      const t = tensors[i];
      const now = performance.now();
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
    // (layers and skipped stay as null placeholders, which keep the report's key order) and counts.
    const reportText = timed('report', () => analysis.report());
    const report = timed('reportParse', () => JSON.parse(reportText));
    const counts = { layers: report.layers.length, skipped: report.skipped.length };
    const csv = timed('csv', () => module.reportCsv(reportText));
    post({ type: 'done', report: { ...report, layers: null, skipped: null }, counts, csv,
           elapsed: (performance.now() - start) / 1000 });
    // The wasm memory never shrinks: its size now is the run's peak (the threaded build exports it).
    const memory = (module.wasmMemory ?? module.HEAPU8).buffer.byteLength;
    performance.mark('ws:run-phases', { detail: { ...phases, wasmBytes: memory } });
  } finally {
    analysis.delete();
  }
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      performance.mark('ws:worker-init');
      ready = load(data.variant, data.threads);
      await ready;
      performance.mark('ws:worker-ready');
      postMessage({ type: 'ready', variant: data.variant, threads: data.threads });
    } else if (data.type === 'request') {
      run(await ready, data);
    } else if (data.type === 'plan') {
      // A layer allocation plan from a finished report (core/report/plan.cpp through the binding).
      const module = await ready;
      const plan = module.allocationPlan(data.report, JSON.stringify(data.options));
      postMessage({ type: 'plan', plan: data.plan, json: plan, csv: module.planCsv(plan) });
    }
  } catch (e) {
    const message = e && e.message ? e.message : String(e);
    if (data.type === 'plan') postMessage({ type: 'plan', plan: data.plan, error: message });
    else postMessage({ type: 'error', run: data.run ?? null, message });
  }
};

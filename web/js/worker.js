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

function run(module, { run: id, models, index, threads, options }) {
  const post = m => postMessage({ ...m, run: id });
  const indexText = index ? new FileReaderSync().readAsText(index) : '';
  const analysis = module.Analysis.open(models, indexText, JSON.stringify({ ...options, threads }));
  try {
    const { tensors, ...model } = JSON.parse(analysis.model());
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
      const result = JSON.parse(analysis.step());
      bytesDone += t.nbytes;
      if (result.kind !== 'layer' && result.kind !== 'skipped') continue;
      // The running summary, at most a few times a second, and always before a long step.
      const after = performance.now();
      const next = tensors[i + 1];
      let summary;
      if (after - lastSummary > 200 || !next || next.nbytes > 1e6) {
        summary = JSON.parse(analysis.summary());
        lastSummary = after;
      }
      post(result.kind === 'layer' ? { type: 'layer', layer: result.layer, summary }
                                   : { type: 'skipped', skipped: result.skipped, summary });
    }
    // The page has every layer and skipped tensor already: the end carries the rest of the report
    // (layers and skipped stay as null placeholders, which keep the report's key order) and counts.
    const reportText = analysis.report();
    const report = JSON.parse(reportText);
    const counts = { layers: report.layers.length, skipped: report.skipped.length };
    post({ type: 'done', report: { ...report, layers: null, skipped: null }, counts, csv: module.reportCsv(reportText),
           elapsed: (performance.now() - start) / 1000 });
  } finally {
    analysis.delete();
  }
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      ready = load(data.variant, data.threads);
      await ready;
      postMessage({ type: 'ready', variant: data.variant, threads: data.threads });
    } else if (data.type === 'request') {
      run(await ready, data);
    }
  } catch (e) {
    postMessage({ type: 'error', run: data.run ?? null, message: e && e.message ? e.message : String(e) });
  }
};

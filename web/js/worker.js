// The analysis worker: loads one wasm build and runs ws::Analysis over the Files it is sent, one
// tensor per step, posting progress and each result as it comes. The page terminates this worker
// to cancel (a single big tensor can take seconds) and starts a fresh one.
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

const isIndex = f => f.name.endsWith('.index.json');
const isModel = f => /\.(safetensors|npy)$/i.test(f.name);

function run(module, threads, files, options) {
  const index = files.find(isIndex);
  const models = files.filter(isModel);
  const ignored = files.filter(f => !isIndex(f) && !isModel(f)).map(f => f.name);
  if (!models.length)
    throw new Error(`no .safetensors or .npy file among: ${files.map(f => f.name).join(', ') || 'nothing'}`);
  const indexText = index ? new FileReaderSync().readAsText(index) : '';
  const analysis = module.Analysis.open(models, indexText, JSON.stringify({ ...options, threads }));
  try {
    const model = JSON.parse(analysis.model());
    postMessage({ type: 'model', model: { ...model, ignored_files: ignored } });
    const total = model.tensors.length;
    const start = performance.now();
    let bytesDone = 0, lastPost = 0;
    for (let i = 0; i < total; ++i) {
      const t = model.tensors[i];
      const now = performance.now();
      // Progress before each step; throttled, as models have thousands of tiny tensors.
      if (now - lastPost > 50 || t.nbytes > 1e6) {
        postMessage({ type: 'progress', done: i, total, bytesDone, totalBytes: model.total_bytes, current: t.name,
                      elapsed: (now - start) / 1000 });
        lastPost = now;
      }
      const result = JSON.parse(analysis.step());
      bytesDone += t.nbytes;
      if (result.kind === 'layer' || result.kind === 'skipped')
        postMessage({ type: 'result', result, summary: JSON.parse(analysis.summary()) });
    }
    const reportText = analysis.report();
    const report = JSON.parse(reportText);
    postMessage({ type: 'done', report, csv: module.reportCsv(reportText), elapsed: (performance.now() - start) / 1000 });
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
    } else if (data.type === 'run') {
      run(await ready, data.threads, data.files, data.options ?? {});
    }
  } catch (e) {
    postMessage({ type: 'error', message: e && e.message ? e.message : String(e) });
  }
};

// The analyzer page: wires the file inputs, the drop zone and the buttons to the engine (engine.js,
// which owns the analysis worker) and the store (store.js, the page's one state); everything shown
// follows the store, the report through the view the embed uses too (report/report-view.js).
import { saveBlob } from './download.js';
import { createEngine, pickBuild } from './engine.js';
import { droppedFiles, modelBaseName, sortFiles } from './files.js';
import { installLayerActions } from './layer-actions.js';
import { bytes, duration } from './report/format.js';
import { createReportView } from './report/report-view.js';
import { installShare } from './share/share-page.js';
import { installBaseModel } from './base-model.js';
import { beginLoading, createPageStore, mirrorToBody } from './store.js';

const $ = sel => document.querySelector(sel);
const byTestId = id => document.querySelector(`[data-testid="${id}"]`);
const setText = (node, text) => { if (node.textContent !== text) node.textContent = text; };

const store = createPageStore();
const engine = createEngine({
  ...pickBuild(),
  onStatus: ({ status, variant, threads, message }) => {
    store.set({ engine: { status, variant, threads, loaded: store.get().engine.loaded || status === 'ready' } });
    if (status === 'failed') store.set({ state: 'error', error: message });
  },
});

// --- What shows the state: each a subscriber of the store.

function showEngine() {
  const label = $('#engine');
  store.subscribe(({ engine: { status, variant, threads, loaded } }) => {
    setText(label,
      status === 'ready' || (status === 'loading' && loaded)
        ? (variant === 'fma' ? `WebAssembly, SIMD with fused multiply-add + ${threads} threads (cross-origin isolated)`
           : variant === 'mt' ? `WebAssembly, SIMD + ${threads} threads (cross-origin isolated)`
           : 'WebAssembly, SIMD, single thread (page not cross-origin isolated)')
        : status === 'off' ? 'not loaded (a shared report needs no WebAssembly; it loads when you open a model)'
        : status === 'failed' ? 'could not be loaded' : 'loading\u2026');
  });
}

function showControls() {
  store.subscribe(s => {
    byTestId('cancel').disabled = s.state !== 'running';
    for (const id of ['download-json', 'download-csv', 'plan-json', 'plan-csv'])
      byTestId(id).disabled = !(s.state === 'done' || s.state === 'shared');
    const box = byTestId('error');
    box.hidden = s.state !== 'error';
    if (s.state === 'error') setText(box, s.error);
    $('#report').hidden = !s.report;
    setText($('#model-name'), (s.report?.model?.files ?? []).join(', '));
    setText($('#run-status'), s.runStatus);
  });
}

// The progress bar and line; while running, the elapsed time moves on its own.
function showProgress() {
  let tick = null;
  // Where the current phase of a long layer began (its first report): its speed so far gives the ETA.
  let phaseStart = null;
  const phaseText = p => {
    if (!p.phase) return (phaseStart = null, '');
    if (phaseStart?.current !== p.current || phaseStart?.phase !== p.phase)
      phaseStart = { current: p.current, phase: p.phase, elapsed: p.elapsed, fraction: p.fraction };
    const { elapsed: t0, fraction: f0 } = phaseStart;
    const eta = p.fraction > f0 ? ((p.elapsed - t0) * (1 - p.fraction)) / (p.fraction - f0) : NaN;
    return `${p.phase} ${Math.floor(p.fraction * 100)}%${Number.isFinite(eta) ? ` (~${duration(eta)} left)` : ''} \u00b7 `;
  };
  const draw = () => {
    const { progress: p, state, startedAt } = store.get();
    if (!p) {
      $('#progress-text').textContent = '';
      return;
    }
    const elapsed = state === 'running' ? (performance.now() - startedAt) / 1000 : p.elapsed;
    const frac = p.totalBytes ? p.bytesDone / p.totalBytes : p.done / Math.max(1, p.total);
    const remaining = frac > 0.02 ? (elapsed * (1 - frac)) / frac : NaN;
    const bar = byTestId('progress');
    bar.value = frac;
    bar.dataset.done = p.done;
    bar.dataset.total = p.total;
    $('#progress-text').textContent =
      `${p.done} / ${p.total} tensors \u00b7 ${bytes(p.bytesDone)} of ${bytes(p.totalBytes)} \u00b7 ` +
      `${p.current ? `now: ${p.current} \u00b7 ` : ''}${phaseText(p)}elapsed ${duration(elapsed)}` +
      (p.done < p.total ? ` \u00b7 remaining ~${duration(remaining)}` : '');
  };
  // Progress messages come every 50 ms; each redraw costs a frame (layout, paint, compositing) that
  // the analysis threads share the cores with, so while running the line follows a 250 ms tick.
  store.subscribe((s, before) => {
    if (s.state === 'running' && !tick) tick = setInterval(draw, 250);
    if (s.state !== 'running' && tick) { clearInterval(tick); tick = null; }
    if (!before || s.state !== before.state || (s.state !== 'running' && s.progress !== before.progress)) draw();
  });
}

function showReport() {
  const section = $('#layer-plots-section');
  let showActions = () => {};
  const view = createReportView({
    summary: $('#summary'), alpha: $('#alpha-chart'), table: $('#layer-table'), skipped: $('#skipped'),
    plots: { title: $('#layer-plots-title'), container: $('#layer-plots'),
             show: () => { section.hidden = false; }, hide: () => { section.hidden = true; } },
  }, { openFirst: true, onShowLayer: layer => showActions(layer) });
  showActions = installLayerActions({ store, engine, container: $('#layer-actions'), select: name => view.select(name) });
  store.subscribe(s => {
    if (s.report) view.sync(s.report, { id: s.reportId, live: s.state === 'running', complete: s.state === 'done' || s.state === 'shared' });
  });
}

// --- What changes it.

// The progress of the run that just ended, with its elapsed time fixed.
function endProgress(patch = {}) {
  const s = store.get();
  return { ...s.progress, ...patch, elapsed: (performance.now() - s.startedAt) / 1000 };
}

function analyze(files) {
  const { models, index, report: reportFile } = sortFiles(files);
  if (reportFile) {
    share.openReportFile(reportFile);
    return;
  }
  if (!models.length) {
    engine.cancel();
    store.set({ state: 'error', error: index ? `No model file (.safetensors, .gguf, .onnx, .pt, .pth, .bin, .npy) among: ${files.map(f => f.name).join(', ')}.`
                                             : 'No model file (.safetensors, .gguf, .onnx, .pt, .pth, .bin, .npy) or shard index among the chosen files.' });
    return;
  }
  // The options form: eigenvector metrics for every layer (the core's vectors option).
  const options = byTestId('option-vectors').checked ? { vectors: true } : {};
  // A base model, if chosen, makes the run a comparison: dW = W - W_base per matched tensor.
  const base = store.get().base;
  const { report } = engine.run({ models, index, base }, {
    model: r => store.set({ report: r }),
    progress: p => store.set({ progress: p }),
    layer: (_, r) => store.set({ report: r }),
    skipped: (_, r) => store.set({ report: r }),
    done: (final, seconds) => store.set({
      state: 'done', report: final, seconds, runStatus: `Done in ${duration(seconds)}.`,
      progress: endProgress({ done: final.model.num_tensors, total: final.model.num_tensors, bytesDone: final.model.total_bytes,
                              totalBytes: final.model.total_bytes, current: '' }),
    }),
    error: message => store.set({ state: 'error', error: message, progress: endProgress() }),
  }, options);
  const s = store.get();
  store.set({
    // The files and options of the report's run, for the layer actions (layer-actions.js).
    runFiles: { reportId: s.reportId + 1, models, index, base, options },
    state: 'running', report, reportId: s.reportId + 1, error: null, seconds: null, runStatus: '',
    // Counts runs, so tests can wait for the end of this one rather than the previous one.
    runs: s.runs + 1, startedAt: performance.now(),
    progress: { done: 0, total: 0, bytesDone: 0, totalBytes: models.reduce((n, f) => n + f.size, 0), current: 'reading headers' },
  });
}

function cancel() {
  if (!engine.cancel()) return;
  const progress = endProgress();
  store.set({ state: 'idle', progress, runStatus: `Cancelled after ${duration(progress.elapsed)}; the table holds the layers done so far.` });
}

// The CSV is made by the core from the report on screen (a finished run's or a shared one's).
async function download(kind) {
  const { report } = store.get();
  const base = modelBaseName(report?.model?.files?.[0] ?? 'model');
  if (kind === 'json') {
    saveBlob(new Blob([JSON.stringify(report, null, 1) + '\n'], { type: 'application/json' }), `${base}.weightscope.json`);
    return;
  }
  try {
    const { csv } = await engine.csv(report);
    saveBlob(new Blob([csv], { type: 'text/csv' }), `${base}.weightscope.csv`);
  } catch (e) {
    store.set({ runStatus: `No CSV: ${e.message}` });
  }
}

// The plan inputs as the binding's options (empty fields keep the method's defaults).
function planOptions() {
  const method = byTestId('plan-method').value;
  const options = { method };
  const sparsity = byTestId('plan-sparsity').value, epsilon = byTestId('plan-epsilon').value, metric = byTestId('plan-metric').value;
  if (method === 'alphapruning' && sparsity !== '') options.sparsity = Number(sparsity);
  if (epsilon !== '') options.epsilon = Number(epsilon);
  if (metric) options.metric = metric;
  return options;
}

async function downloadPlan(kind) {
  const { report } = store.get();
  const status = byTestId('plan-status');
  setText(status, 'computing\u2026');
  try {
    const options = planOptions();
    const plan = await engine.plan(report, options);
    const base = `${modelBaseName(report?.model?.files?.[0] ?? 'model')}.${options.method}`;
    if (kind === 'json') saveBlob(new Blob([plan.json + '\n'], { type: 'application/json' }), `${base}.plan.json`);
    else saveBlob(new Blob([plan.csv], { type: 'text/csv' }), `${base}.plan.csv`);
    setText(status, '');
  } catch (e) {
    setText(status, `No plan: ${e.message}`);
  }
}

async function openDemo() {
  engine.cancel();
  const current = beginLoading(store);
  try {
    const res = await fetch('demo/ppocrv4_rec.safetensors');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const blob = await res.blob();
    if (current()) analyze([new File([blob], 'ppocrv4_rec.safetensors')]);
  } catch (e) {
    if (current()) store.set({ state: 'error', error: `The demo model could not be loaded (${e.message}).` });
  }
}

// --- Wiring.
mirrorToBody(store);
showEngine();
showControls();
showProgress();
showReport();
const share = installShare({ store, stopRun: () => engine.cancel() });
installBaseModel(store);

for (const id of ['file-input', 'folder-input']) {
  byTestId(id).addEventListener('change', e => {
    analyze([...e.target.files]);
    e.target.value = '';
  });
}
const drop = $('#drop');
drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async e => {
  e.preventDefault();
  drop.classList.remove('over');
  analyze(await droppedFiles(e.dataTransfer));
});
// A drop anywhere else must not navigate away to the file.
window.addEventListener('dragover', e => e.preventDefault());
window.addEventListener('drop', e => e.preventDefault());
byTestId('demo').addEventListener('click', openDemo);
byTestId('cancel').addEventListener('click', cancel);
byTestId('download-json').addEventListener('click', () => download('json'));
byTestId('download-csv').addEventListener('click', () => download('csv'));
byTestId('plan-json').addEventListener('click', () => downloadPlan('json'));
byTestId('plan-csv').addEventListener('click', () => downloadPlan('csv'));
byTestId('plan-method').addEventListener('change', () => {
  byTestId('plan-sparsity').disabled = byTestId('plan-method').value !== 'alphapruning';
});

// A share link opens without the engine; otherwise the worker loads now, before any file is chosen.
if (!share.openFromLocation()) engine.start();
if ('serviceWorker' in navigator && location.protocol !== 'file:')
  navigator.serviceWorker.register('sw.js').catch(() => {});

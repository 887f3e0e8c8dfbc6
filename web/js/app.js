// The page: picks the wasm build, takes files, drives the analysis worker, renders the report.
import { droppedFiles, relevantFiles } from './files.js';
import { renderAlphaChart } from './report/alpha-chart.js';
import { bytes, duration } from './report/format.js';
import { createLayerTable } from './report/layer-table.js';
import { renderLayerPlots } from './report/layer-plots.js';
import { renderSkipped } from './report/skipped.js';
import { renderSummary } from './report/summary.js';
import { installShare } from './share/share-page.js';

const $ = sel => document.querySelector(sel);
const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

// Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages.
const threaded = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
const variant = threaded ? 'mt' : 'st';
const threads = threaded ? Math.max(1, Math.min(navigator.hardwareConcurrency || 4, 16)) : 1;

let worker = null, workerReady = false;
let report = null, csv = null, runStart = 0, lastProgress = null, tick = null;
const table = createLayerTable($('#layer-table'), { onSelect: showLayer });

function setState(state) {
  document.body.dataset.state = state;
  byTestId('cancel').disabled = state !== 'running';
  for (const id of ['download-json', 'download-csv']) byTestId(id).disabled = state !== 'done';
}

function startWorker() {
  workerReady = false;
  worker = new Worker('js/worker.js', { name: `weightscope-${variant}` });
  worker.onmessage = e => onWorkerMessage(e.data);
  worker.onerror = e => fail(`The analysis worker failed: ${e.message || 'could not load the WebAssembly module'}`);
  worker.postMessage({ type: 'init', variant, threads });
}

function fail(message) {
  clearInterval(tick);
  clearTimeout(renderTimer);
  renderTimer = null;
  const box = byTestId('error');
  box.textContent = message;
  box.hidden = false;
  setState('error');
  // A failed run may leave the module in any state: start clean for the next file. A worker that
  // never got ready is not restarted here (it would fail again, in a loop): the next file retries.
  const restart = workerReady;
  worker?.terminate();
  worker = null;
  if (restart) startWorker();
}

function emptyReport(model) {
  return { format: 'weightscope-report', version: 1, model, summary: {}, layers: [], skipped: [] };
}

function renderReport() {
  renderSummary(report, $('#summary'));
  table.update(report);
  renderAlphaChart(report, $('#alpha-chart'));
  renderSkipped(report, $('#skipped'));
}

// Results can arrive hundreds per second; redraw at most a few times a second while running.
let renderTimer = null;
function scheduleRender() {
  if (renderTimer) return;
  renderTimer = setTimeout(() => { renderTimer = null; renderReport(); }, 300);
}
function renderNow() {
  clearTimeout(renderTimer);
  renderTimer = null;
  renderReport();
}

function showLayer(layer) {
  $('#layer-plots-title').textContent = `Layer ${layer.name} (${layer.type}, ${layer.N}\u00d7${layer.M}${layer.rf > 1 ? `, rf ${layer.rf}` : ''})`;
  $('#layer-plots-section').hidden = false;
  renderLayerPlots(layer, $('#layer-plots'));
}

// The plots of the first layer whose fit succeeded (or the first layer), when the report is complete.
function showFirstLayer() {
  if (report.layers.length) showLayer(report.layers.find(l => l.status === 'success') ?? report.layers[0]);
}

function showProgress() {
  const p = lastProgress;
  if (!p) return;
  const elapsed = (performance.now() - runStart) / 1000;
  const frac = p.totalBytes ? p.bytesDone / p.totalBytes : p.done / Math.max(1, p.total);
  const remaining = frac > 0.02 ? (elapsed * (1 - frac)) / frac : NaN;
  const bar = byTestId('progress');
  bar.value = frac;
  bar.dataset.done = p.done;
  bar.dataset.total = p.total;
  $('#progress-text').textContent =
    `${p.done} / ${p.total} tensors \u00b7 ${bytes(p.bytesDone)} of ${bytes(p.totalBytes)} \u00b7 ` +
    `${p.current ? `now: ${p.current} \u00b7 ` : ''}elapsed ${duration(elapsed)}` +
    (p.done < p.total ? ` \u00b7 remaining ~${duration(remaining)}` : '');
}

function onWorkerMessage(m) {
  if (m.type === 'ready') {
    workerReady = true;
    $('#engine').textContent = m.variant === 'mt'
      ? `WebAssembly, SIMD + ${m.threads} threads (cross-origin isolated)`
      : 'WebAssembly, SIMD, single thread (page not cross-origin isolated)';
    document.body.dataset.engine = m.variant;
    return;
  }
  if (document.body.dataset.state !== 'running') return;
  if (m.type === 'model') {
    report = emptyReport(m.model);
    $('#model-name').textContent = m.model.files.join(', ');
    renderNow();
  } else if (m.type === 'progress') {
    lastProgress = m;
    showProgress();
  } else if (m.type === 'result') {
    if (m.result.kind === 'layer') report.layers.push(m.result.layer);
    else report.skipped.push(m.result.skipped);
    report.summary = m.summary;
    scheduleRender();
    if (report.layers.length === 1 && m.result.kind === 'layer') showLayer(report.layers[0]);
  } else if (m.type === 'done') {
    clearInterval(tick);
    report = m.report;
    csv = m.csv;
    lastProgress = { ...lastProgress, done: report.model.num_tensors, total: report.model.num_tensors,
                     bytesDone: report.model.total_bytes, totalBytes: report.model.total_bytes, current: '' };
    showProgress();
    renderNow();
    document.body.dataset.seconds = String(m.elapsed);
    $('#run-status').textContent = `Done in ${duration(m.elapsed)}.`;
    showFirstLayer();
    setState('done');
  } else if (m.type === 'error') {
    fail(m.message);
  }
}

function analyze(files) {
  if (share.openReportFiles(files)) return;
  if (!worker) startWorker();
  files = relevantFiles(files);
  if (!files.length) {
    byTestId('error').textContent = 'No .safetensors, .npy or model.safetensors.index.json among the chosen files.';
    byTestId('error').hidden = false;
    setState('error');
    return;
  }
  if (document.body.dataset.state === 'running') cancel();
  byTestId('error').hidden = true;
  $('#run-status').textContent = '';
  $('#layer-plots-section').hidden = true;
  $('#report').hidden = false;
  report = emptyReport({ files: files.map(f => f.name) });
  csv = null;
  lastProgress = { done: 0, total: 0, bytesDone: 0, totalBytes: files.reduce((s, f) => s + f.size, 0), current: 'reading headers' };
  runStart = performance.now();
  // Counts runs, so tests can wait for the end of this one rather than the previous one.
  document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
  setState('running');
  showProgress();
  clearInterval(tick);
  tick = setInterval(showProgress, 500);
  renderNow();
  worker.postMessage({ type: 'run', files, threads, options: {} });
}

function cancel() {
  if (document.body.dataset.state !== 'running') return;
  clearInterval(tick);
  renderNow();
  worker.terminate();
  startWorker();
  $('#run-status').textContent = `Cancelled after ${duration((performance.now() - runStart) / 1000)}; the table holds the layers done so far.`;
  setState('idle');
}

function save(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function baseName() {
  const f = report?.model?.files?.[0] ?? 'model';
  return f.replace(/\.(safetensors|npy)$/i, '').replace(/-\d{5}-of-\d{5}$/, '');
}

// Wiring.
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
byTestId('demo').addEventListener('click', async () => {
  const res = await fetch('demo/ppocrv4_rec.safetensors');
  if (!res.ok) {
    fail(`The demo model could not be loaded (HTTP ${res.status}).`);
    return;
  }
  analyze([new File([await res.blob()], 'ppocrv4_rec.safetensors')]);
});
byTestId('cancel').addEventListener('click', cancel);
byTestId('download-json').addEventListener('click', () =>
  save(new Blob([JSON.stringify(report, null, 1) + '\n'], { type: 'application/json' }), `${baseName()}.weightscope.json`));
byTestId('download-csv').addEventListener('click', () => save(new Blob([csv], { type: 'text/csv' }), `${baseName()}.weightscope.csv`));

// A report from a share link or a report file: shown without a model file or the worker.
function showReport(shown, source) {
  if (document.body.dataset.state === 'running') cancel();
  report = shown;
  csv = null;
  $('#report').hidden = false;
  $('#model-name').textContent = (report.model.files ?? []).join(', ');
  $('#progress-text').textContent = '';
  $('#run-status').textContent = source === 'link' ? 'Opened from a share link.' : 'Opened from a report file.';
  renderReport();
  $('#layer-plots-section').hidden = true;
  showFirstLayer();
  setState('done');
  byTestId('download-csv').disabled = true;
}
const share = installShare({ getReport: () => report, showReport });
if (!share.openFromLocation()) startWorker();
setState('idle');
if ('serviceWorker' in navigator && location.protocol !== 'file:')
  navigator.serviceWorker.register('sw.js').catch(() => {});

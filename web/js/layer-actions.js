// The analyzer page's actions on the layer whose plots are open, computed in the engine's worker
// on the files of the run that made the report: "Eigenvectors" (the layer's eigenvector metrics,
// merged into its report entry and spectra, which adds the vector plots) and, for a dense layer
// whose fit succeeded, "Latent space" (V_K and M V_K as two .npy downloads, as the CLI's
// --latent-out writes them). One job at a time, with its progress line and Cancel (the engine
// replaces the worker, as for a run; the report stays as it was). A report opened from a share
// link or a file has no files here: the actions are off, the plots of any vectors it carries show.
import { saveBlob } from './download.js';
import { duration, el } from './report/format.js';
import { vectorMetrics } from './report/spectra.js';

// The layer's entry with the job's result merged in: the 12 vector columns, and the per-vector
// arrays next to its other spectra (the same fields the vectors option writes).
export function mergeVectors(report, { name, spectra, ...columns }) {
  const layers = report.layers.map(l => {
    if (l.name !== name) return l;
    const { spectra: own, ...rest } = l;
    return { ...rest, ...columns, spectra: { ...own, ...spectra } };
  });
  return { ...report, layers };
}

// store: the page store (report, reportId, state, and runFiles: {reportId, models, index,
// options} of the run that made the report); engine: engine.js; container: where the buttons go.
// select(name): reopens a layer's plots (the report view). Returns show(layer), for the report
// view's onShowLayer.
export function installLayerActions({ store, engine, container, select }) {
  let name = null;
  let job = null;     // {kind, name, N, M, startedAt, id}
  let note = '';      // the outcome of the last job
  let tick = null;
  let jobs = 0;
  const vectors = el('button', { type: 'button', dataset: { testid: 'layer-vectors' },
                                 title: 'compute the eigenvector metrics of this layer (localization, participation ratio, entropy)' }, 'Eigenvectors');
  const latent = el('button', { type: 'button', dataset: { testid: 'layer-latent' },
                                title: 'download the K leading right singular vectors and the rows\u2019 coordinates (.npy)' }, 'Latent space (.npy)');
  const cancel = el('button', { type: 'button', dataset: { testid: 'layer-job-cancel' } }, 'Cancel');
  const status = el('span', { className: 'muted', role: 'status', dataset: { testid: 'layer-job-status' } });
  container.replaceChildren(vectors, latent, cancel, status);

  const layerNow = () => store.get().report?.layers?.find(l => l.name === name) ?? null;
  const files = () => {
    const s = store.get();
    return s.runFiles && s.runFiles.reportId === s.reportId ? s.runFiles : null;
  };

  function draw() {
    const layer = layerNow(), s = store.get();
    const free = layer && files() && s.state !== 'running' && s.state !== 'loading' && !job;
    const has = layer && vectorMetrics(layer) !== null;
    vectors.disabled = !free || has;
    vectors.textContent = has ? 'Eigenvectors (shown below)' : 'Eigenvectors';
    // With a base model the layer is dW, whose latent space the core does not export.
    latent.hidden = !(layer?.type === 'dense' && layer.status === 'success' && !files()?.base);
    latent.disabled = !free;
    cancel.disabled = !job;
    container.dataset.job = job ? job.kind : '';
    status.textContent = job
      ? `computing ${job.kind === 'vectors' ? 'eigenvectors' : 'the latent space'}\u2026 layer ${job.name}, ${job.N} \u00d7 ${job.M}` +
        `${job.rf > 1 ? ` \u00d7 ${job.rf} slices` : ''} \u00b7 ${duration((performance.now() - job.startedAt) / 1000)}`
      : note || (layer && !files() && !has ? 'Eigenvectors and the latent space are computed from the model: open its files.' : '');
  }

  async function start(kind) {
    const layer = layerNow(), f = files();
    if (!layer || !f || job) return;
    const id = ++jobs;
    job = { kind, id, name: layer.name, N: layer.N, M: layer.M, rf: layer.rf, startedAt: performance.now() };
    note = '';
    tick = setInterval(draw, 500);
    draw();
    const reportId = store.get().reportId;
    try {
      const result = await engine.layerJob(kind, f, f.options, layer);
      if (job?.id !== id) return;
      const seconds = (performance.now() - job.startedAt) / 1000;
      if (kind === 'vectors') {
        if (store.get().reportId === reportId) store.set({ report: mergeVectors(store.get().report, result) });
        note = `Eigenvectors of ${layer.name} in ${duration(seconds)}.`;
      } else {
        const base = `${layer.name.replace(/[^\w.-]+/g, '_')}.latent`;
        saveBlob(new Blob([result.components], { type: 'application/octet-stream' }), `${base}_components.npy`);
        saveBlob(new Blob([result.coordinates], { type: 'application/octet-stream' }), `${base}_coordinates.npy`);
        note = `Latent space of ${layer.name}: K = ${result.k}; ${result.cols} \u00d7 ${result.k} components and ` +
               `${result.rows} \u00d7 ${result.k} coordinates, in ${duration(seconds)}.`;
      }
    } catch (e) {
      if (job?.id !== id) return;
      note = `No ${kind === 'vectors' ? 'eigenvectors' : 'latent space'}: ${e.message}`;
    }
    finish();
    if (kind === 'vectors' && store.get().reportId === reportId) select(layer.name);
  }

  function finish() {
    job = null;
    clearInterval(tick);
    tick = null;
    draw();
  }

  vectors.addEventListener('click', () => start('vectors'));
  latent.addEventListener('click', () => start('latent'));
  cancel.addEventListener('click', () => {
    if (!job) return;
    const { kind, name: of } = job;
    engine.cancelJobs();
    note = `Cancelled ${kind === 'vectors' ? 'the eigenvectors' : 'the latent space'} of ${of}; the report is unchanged.`;
    finish();
  });
  store.subscribe(draw);

  return layer => {
    const next = layer?.name ?? null;
    if (next !== name && !job) note = '';
    name = next;
    draw();
  };
}

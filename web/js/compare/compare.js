// web/compare.html: several reports side by side. Reports come from files (.weightscope.json, the
// CLI's --json, compact reports) or pasted share links; nothing is analyzed here. Shows mean alpha
// and alpha-hat per model, the alpha-by-layer curves overlaid, and an optional quality figure per
// model (accuracy, GLUE score, ...) against mean alpha or alpha-hat, as the weightwatcher paper
// does for the ALBERT family.
import { layout, mountPlot } from '../plot/plot.js';
import { finetuneLayers, finetuneSeries } from '../report/alpha-chart.js';
import { el, num } from '../report/format.js';
import { ReportError, decodeShare, readReportFile, shareParam } from '../share/codec.js';

const COLORS = ['#3b6fb6', '#d62728', '#2ca02c', '#e67e22', '#8e44ad', '#17becf', '#7f7f7f', '#bcbd22', '#e377c2', '#8c564b'];
const MAX_MODELS = 20;
const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

const models = [];  // {label, report, quality: number|null, color}

const fitted = report => report.layers.filter(l => l.status === 'success' && Number.isFinite(l.alpha));
const mean = xs => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

// The report's own summary means when present (they skip failed fits, as the core does).
function means(report) {
  const ok = fitted(report), s = report.summary ?? {};
  return {
    alpha: Number.isFinite(s.alpha) ? s.alpha : mean(ok.map(l => l.alpha)),
    alphaHat: Number.isFinite(s.alpha_weighted) ? s.alpha_weighted : mean(ok.map(l => l.alpha_weighted).filter(Number.isFinite)),
  };
}

function showError(message) {
  const box = byTestId('error');
  box.textContent = message;
  box.hidden = !message;
}

function add(report, label) {
  if (models.length >= MAX_MODELS) throw new ReportError(`At most ${MAX_MODELS} models side by side.`);
  const used = new Set(models.map(m => m.color));
  models.push({ label, report, quality: null, color: COLORS.find(c => !used.has(c)) ?? COLORS[models.length % COLORS.length] });
  render();
}

async function addFiles(files) {
  showError('');
  for (const file of files) {
    try {
      const report = await readReportFile(file);
      add(report, report.model.files?.[0] ?? file.name);
    } catch (e) {
      showError(`${file.name}: ${e.message}`);
    }
  }
}

async function addLinks(text) {
  showError('');
  const links = text.split(/\s+/).filter(Boolean);
  for (const link of links) {
    try {
      const payload = shareParam(link);
      if (!payload) throw new ReportError('not a weightscope share link (it has no "#r=" part).');
      const report = await decodeShare(payload);
      add(report, report.model.files?.[0] ?? `link ${models.length + 1}`);
    } catch (e) {
      showError(`${link.length > 60 ? link.slice(0, 60) + '\u2026' : link}: ${e.message}`);
    }
  }
  return links.length;
}

function modelTable() {
  const head = el('tr', {}, ...['', 'model', 'layers', 'mean \u03b1', 'mean \u03b1\u0302', 'quality (your figure)', ''].map(h => el('th', {}, h)));
  const rows = models.map((m, i) => {
    const { alpha, alphaHat } = means(m.report);
    const label = el('input', { type: 'text', value: m.label, className: 'filter', dataset: { testid: `label-${i}` }, 'aria-label': 'model label' });
    label.addEventListener('change', () => { m.label = label.value; render(); });
    const quality = el('input', { type: 'number', step: 'any', className: 'filter', placeholder: 'e.g. accuracy',
                                  value: m.quality ?? '', dataset: { testid: `quality-${i}` }, 'aria-label': 'quality figure' });
    quality.addEventListener('change', () => { m.quality = quality.value === '' ? null : Number(quality.value); render(); });
    const remove = el('button', { type: 'button', title: 'remove this model', dataset: { testid: `remove-${i}` } }, 'Remove');
    remove.addEventListener('click', () => { models.splice(i, 1); render(); });
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = m.color;
    return el('tr', { dataset: { model: String(i) } }, el('td', {}, swatch), el('td', {}, label),
      el('td', { className: 'num' }, `${fitted(m.report).length} / ${m.report.layers.length}`),
      el('td', { className: 'num', dataset: { key: 'alpha' } }, num(alpha, 4)),
      el('td', { className: 'num', dataset: { key: 'alpha_weighted' } }, num(alphaHat, 4)),
      el('td', {}, quality), el('td', {}, remove));
  });
  return el('table', { className: 'layers compare', dataset: { testid: 'compare-table' } }, el('thead', {}, head), el('tbody', {}, ...rows));
}

function alphaScene(normalized) {
  return {
    title: 'Power-law \u03b1 by layer, overlaid', width: 1000, height: 340,
    x: { label: normalized ? 'layer position in the model (0 = first analyzed layer, 1 = last)' : 'analyzed layer, in model order',
         log: false, hover: normalized ? 'position' : 'layer' },
    y: { label: '\u03b1 (unitless)', log: false, min: 0, hover: '\u03b1' },
    layers: [
      { type: 'hband', y0: 2, y1: 6, color: 'rgba(46, 204, 113, 0.12)' },
      ...models.flatMap(m => {
        const ok = fitted(m.report);
        const x = ok.map((_, i) => (normalized ? (ok.length > 1 ? i / (ok.length - 1) : 0) : i));
        return [{ type: 'line', x, y: ok.map(l => l.alpha), color: m.color, width: 1.5, label: m.label },
                { type: 'points', x, y: ok.map(l => l.alpha), names: ok.map(l => `${m.label}: ${l.name}`), color: m.color, r: 2.5 }];
      }),
    ],
  };
}

// The detX thesis of every model on one plot: gap between the detX point and xmin against alpha.
function detxScene() {
  return {
    title: 'detX point vs xmin, by \u03b1, overlaid', width: 1000, height: 340,
    x: { label: 'power-law \u03b1 (unitless)', log: false, hover: '\u03b1' },
    y: { label: 'log10(detX \u03bb / xmin) (decades)', log: false, hover: 'gap' },
    layers: [
      { type: 'hband', y0: -0.1, y1: 0.1, color: 'rgba(142, 68, 173, 0.12)', label: 'within 0.1 decade' },
      { type: 'vline', x: 2, color: '#d62728', dash: [6, 4], label: '\u03b1 = 2' },
      ...models.map(m => {
        const l = fitted(m.report).filter(x => Number.isFinite(x.detX_gap_decades));
        return { type: 'points', x: l.map(x => x.alpha), y: l.map(x => x.detX_gap_decades), names: l.map(x => `${m.label}: ${x.name}`),
                 color: m.color, r: 3, label: m.label };
      }),
    ],
  };
}

// Fine-tunes against their bases (reports made with --base): each model's alpha of W_base (dotted),
// W_ft (dashed) and dW (solid), in its colour.
function finetuneScene() {
  const tuned = models.map(m => [m, finetuneLayers(m.report)]).filter(([, l]) => l);
  if (!tuned.length) return null;
  return {
    title: 'Fine-tunes against their bases: \u03b1 of W_base, W_ft and \u0394W per layer, overlaid', width: 1000, height: 340,
    x: { label: 'compared layer, in model order', log: false, hover: 'layer' },
    y: { label: '\u03b1 (unitless)', log: false, min: 0, hover: '\u03b1' },
    layers: [{ type: 'hband', y0: 2, y1: 6, color: 'rgba(46, 204, 113, 0.12)' },
             ...tuned.flatMap(([m, l]) => finetuneSeries(l, { color: () => m.color, label: m.label }))],
  };
}

// [min, max] around values with room for the point labels.
function padded(values, [below, above]) {
  const lo = Math.min(...values), hi = Math.max(...values);
  const span = hi - lo || Math.abs(hi) * 0.2 || 1;
  return { min: lo - below * span, max: hi + above * span };
}

function qualityScene(rated, key) {
  const label = key === 'alpha' ? 'mean \u03b1' : 'mean \u03b1\u0302 (\u03b1 \u00b7 log10 \u03bb_max)';
  const xs = rated.map(m => means(m.report)[key]), ys = rated.map(m => m.quality);
  // A legend (kept in PNG/SVG exports, which lack the text labels) for a few models, with the top
  // of the plot left free for it and the labels: the frame is 264 px high, the legend 14 + 16 px per
  // model, a label 16 more.
  const legend = rated.length <= 6, free = 30 + 16 * rated.length;
  return {
    title: `Quality figure against ${label}`, width: 620, height: 340,
    x: { label, log: false, hover: label, ...padded(xs, [0.15, 0.6]) },
    y: { label: 'quality (as typed in)', log: false, hover: 'quality', ...padded(ys, [0.2, legend ? Math.max(0.2, (1.2 * free) / (264 - free)) : 0.2]) },
    layers: rated.map((m, i) => ({ type: 'points', x: [xs[i]], y: [ys[i]], names: [m.label], color: m.color, r: 6, label: legend ? m.label : undefined })),
  };
}

// The scatter's point labels: text over the canvas (model names are untrusted: textContent).
function labelPoints(figure, scene, rated) {
  const L = layout(scene), holder = figure.querySelector('.plot-canvas');
  rated.forEach((m, i) => {
    const tag = el('span', { className: 'point-label' }, m.label);
    tag.style.left = `${L.sx(scene.layers[i].x[0]) + 9}px`;
    tag.style.top = `${L.sy(scene.layers[i].y[0]) - 9}px`;
    tag.style.color = m.color;
    holder.append(tag);
  });
}

function render() {
  const list = byTestId('models');
  const charts = document.getElementById('charts');
  byTestId('empty').hidden = models.length > 0;
  list.hidden = !models.length;
  charts.hidden = !models.length;
  list.replaceChildren(...(models.length ? [modelTable()] : []));
  if (!models.length) return;
  const normalized = byTestId('normalize').checked;
  const alphaBox = document.getElementById('compare-alpha');
  alphaBox.replaceChildren();
  const scene = alphaScene(normalized);
  scene.width = Math.max(480, Math.min(1100, alphaBox.clientWidth || 1000));
  mountPlot(alphaBox, scene, { kind: 'compare-alpha', filename: 'alpha-by-layer-compared' });
  if (models.some(m => fitted(m.report).some(l => Number.isFinite(l.detX_gap_decades)))) {
    const detx = detxScene();
    detx.width = scene.width;
    mountPlot(alphaBox, detx, { kind: 'compare-detx-gap', filename: 'detx-gap-by-alpha-compared' });
  }
  const finetune = finetuneScene();
  if (finetune) {
    finetune.width = scene.width;
    mountPlot(alphaBox, finetune, { kind: 'compare-finetune', filename: 'finetune-alpha-compared' });
  }
  const qualityBox = document.getElementById('compare-quality');
  qualityBox.replaceChildren();
  const rated = models.filter(m => Number.isFinite(m.quality) && Number.isFinite(means(m.report)[byTestId('quality-axis').value]));
  if (rated.length) {
    const quality = qualityScene(rated, byTestId('quality-axis').value);
    labelPoints(mountPlot(qualityBox, quality, { kind: 'compare-quality', filename: 'quality-vs-alpha' }), quality, rated);
  }
  else qualityBox.append(el('p', { className: 'muted' }, 'Type a quality figure (e.g. test accuracy) for the models to plot it against their mean \u03b1.'));
}

byTestId('compare-files').addEventListener('change', e => { addFiles([...e.target.files]); e.target.value = ''; });
byTestId('compare-add').addEventListener('click', async () => {
  const box = byTestId('compare-link');
  if (await addLinks(box.value)) box.value = '';
});
byTestId('normalize').addEventListener('change', render);
byTestId('quality-axis').addEventListener('change', render);
window.addEventListener('dragover', e => e.preventDefault());
window.addEventListener('drop', e => {
  e.preventDefault();
  const text = e.dataTransfer.getData('text/plain');
  if (e.dataTransfer.files.length) addFiles([...e.dataTransfer.files]);
  else if (text) addLinks(text);
});
render();

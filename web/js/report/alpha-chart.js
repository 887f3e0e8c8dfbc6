// The model-level plots: alpha of every layer in model order, with the 2-6 band the reference calls
// well trained; the detX thesis, the gap between the detX point and xmin against alpha; and for a
// fine-tune against its base (--base), alpha of W_base, W_ft and dW = W_ft - W_base per layer.
import { mountPlot } from '../plot/plot.js';

export function alphaScene(report) {
  const ok = (report.layers ?? []).filter(l => l.status === 'success');
  const color = l => (l.warning === 'over-trained' ? '#d62728' : l.warning === 'under-trained' ? '#e67e22' : '#3b6fb6');
  return {
    title: 'Power-law \u03b1 by layer', width: 1000, height: 300,
    x: { label: 'analyzed layer, in model order', log: false, hover: 'layer' },
    y: { label: '\u03b1 (unitless)', log: false, min: 0, hover: '\u03b1' },
    layers: [
      { type: 'hband', y0: 2, y1: 6, color: 'rgba(46, 204, 113, 0.15)', label: '2 \u2264 \u03b1 \u2264 6' },
      { type: 'line', x: ok.map((_, i) => i), y: ok.map(l => l.alpha), color: 'rgba(59,111,182,0.35)', width: 1 },
      { type: 'points', x: ok.map((_, i) => i), y: ok.map(l => l.alpha), names: ok.map(l => l.name), color: ok.map(color), r: 3.5 },
    ],
  };
}

// The SETOL claim: the detX point (det X_eff = 1) and xmin coincide when alpha is near 2.
export function detxGapScene(report) {
  const l = (report.layers ?? []).filter(x => x.status === 'success' && Number.isFinite(x.detX_gap_decades));
  if (!l.length) return null;
  const s = report.summary ?? {};
  const rho = Number.isFinite(s.detx_gap_alpha_spearman) ? `, Spearman(|gap|, |\u03b1-2|) = ${s.detx_gap_alpha_spearman.toFixed(2)}` : '';
  const near = Number.isFinite(s.frac_detx_near_xmin) ? `; ${(100 * s.frac_detx_near_xmin).toFixed(0)}% within 0.1 decade` : '';
  return {
    title: `detX point vs xmin, by \u03b1${near}${rho}`, width: 1000, height: 300,
    x: { label: 'power-law \u03b1 (unitless)', log: false, hover: '\u03b1' },
    y: { label: 'log10(detX \u03bb / xmin) (decades)', log: false, hover: 'gap' },
    layers: [
      { type: 'hband', y0: -0.1, y1: 0.1, color: 'rgba(142, 68, 173, 0.12)', label: 'within 0.1 decade' },
      { type: 'vline', x: 2, color: '#d62728', dash: [6, 4], label: '\u03b1 = 2' },
      { type: 'points', x: l.map(x => x.alpha), y: l.map(x => x.detX_gap_decades), names: l.map(x => x.name), color: '#8e44ad', r: 3.5 },
    ],
  };
}

// The series of a fine-tune report: per compared layer, alpha of the base, of the fine-tuned
// weights and of their difference; null for a report without a base. `style` picks colour and
// label per series (the compare page draws several models).
export const FINETUNE_SERIES = [
  { key: 'alpha_base', name: '\u03b1 of W_base', dash: [2, 3] },
  { key: 'alpha_ft', name: '\u03b1 of W_ft', dash: [7, 4] },
  { key: 'alpha', name: '\u03b1 of \u0394W = W_ft \u2212 W_base' },
];
export function finetuneLayers(report) {
  const l = (report.layers ?? []).filter(x => Number.isFinite(x.alpha_base) || Number.isFinite(x.alpha_ft));
  return l.length ? l : null;
}
export function finetuneSeries(layers, { color, label = '' }) {
  const x = layers.map((_, i) => i);
  return FINETUNE_SERIES.flatMap(({ key, name, dash }) => {
    const y = layers.map(l => (l.status === 'success' || key !== 'alpha' ? l[key] : NaN) ?? NaN);
    const legend = label ? `${label}: ${name}` : name;
    return [{ type: 'line', x, y, color: color(key), width: 1.5, dash, label: legend },
            { type: 'points', x, y, names: layers.map(l => `${legend}: ${l.name}`), color: color(key), r: 2.5 }];
  });
}
export function finetuneScene(report) {
  const layers = finetuneLayers(report);
  if (!layers) return null;
  const colors = { alpha_base: '#7f7f7f', alpha_ft: '#e67e22', alpha: '#3b6fb6' };
  return {
    title: 'Fine-tune against its base: \u03b1 of W_base, W_ft and \u0394W, per layer', width: 1000, height: 300,
    x: { label: 'compared layer, in model order', log: false, hover: 'layer' },
    y: { label: '\u03b1 (unitless)', log: false, min: 0, hover: '\u03b1' },
    layers: [{ type: 'hband', y0: 2, y1: 6, color: 'rgba(46, 204, 113, 0.12)' }, ...finetuneSeries(layers, { color: k => colors[k] })],
  };
}

export function renderAlphaChart(report, container) {
  container.replaceChildren();
  const width = Math.max(480, Math.min(1100, container.clientWidth || 1000));
  const scene = alphaScene(report);
  scene.width = width;
  mountPlot(container, scene, { kind: 'alpha', filename: 'alpha-by-layer' });
  const gap = detxGapScene(report);
  if (gap) {
    gap.width = width;
    mountPlot(container, gap, { kind: 'detx-gap', filename: 'detx-gap-by-alpha' });
  }  const finetune = finetuneScene(report);
  if (finetune) {
    finetune.width = width;
    mountPlot(container, finetune, { kind: 'finetune-alpha', filename: 'alpha-base-ft-delta' });
  }
}

// The per-layer plots: (a) log-log ESD with the power-law fit and xmin, (b) log-linear ESD with
// xmin and the detX point, (c) lin-lin ESD, (d) KS distance and (e) alpha against candidate xmin,
// (f) tail PDF and CCDF, empirical and fitted, (g) explained variance per eigenpair, (h) the
// Marchenko-Pastur fit, (i) with randomize, the ESD against the shuffled matrix's; with eigenvector
// metrics (spectra.loc_ratio ...): (j) the localization ratio per eigenpair, largest first (the 2020
// post's elbow), (k) weightwatcher's vector_metrics panel as four plots sharing its x axis (vector
// entropy, localization ratio, participation ratio, eigenvalue against the ascending index, red
// line at the last bulk vector) and (l) its vector_histograms, bulk against tail, one per metric.
// Scenes are plain data (plot/plot.js draws them); their series come from spectra.js.
import { mountPlot } from '../plot/plot.js';
import { EVALS_THRESH, VECTOR_METRICS, alphaCurve, esd, explainedVariance, fitLine, ksCurve, linEsd, logEsd, mpFit, randomizedEsd, tail,
         vectorHistograms, vectorMetrics } from './spectra.js';

const LAMBDA = 'eigenvalue \u03bb of W\u1d40W (unitless)';
const RED = '#d62728', PURPLE = '#8e44ad', BLUE = '#3b6fb6', ORANGE = '#e67e22', GREY = '#7f8c8d';
const BAR = 'rgba(59, 111, 182, 0.55)';

const ok = layer => layer.status === 'success';
const fmt = v => (Number.isFinite(v) ? Number(v.toPrecision(4)) : v);

function esdLogLog(layer) {
  const h = esd(layer);
  if (!h) return null;
  const layers = [{ type: 'bars', edges: h.edges, heights: h.density, color: BAR, label: 'ESD (log bins)' }];
  const f = fitLine(layer);
  if (ok(layer) && f) {
    // The fit is normalised over the tail; on the whole ESD its density is scaled by the tail's share.
    const binned = layer.spectra?.evals?.filter(v => v > EVALS_THRESH).length || layer.num_evals;
    const share = layer.num_pl_spikes / binned;
    layers.push({ type: 'line', x: f.x, y: f.pdf.map(p => p * share), color: ORANGE, label: `power law \u03b1=${fmt(layer.alpha)}` });
    layers.push({ type: 'vline', x: layer.xmin, color: RED, label: `xmin = ${fmt(layer.xmin)}` });
  }
  return { title: `${layer.name}: ESD, log-log`, x: { label: LAMBDA, log: true, hover: '\u03bb' },
           y: { label: 'density p(\u03bb)', log: true, hover: 'p' }, layers };
}

function esdLogLin(layer) {
  const h = logEsd(layer);
  if (!h) return null;
  const layers = [{ type: 'bars', edges: h.edges, heights: h.counts, color: BAR, label: 'ESD of log10 \u03bb' }];
  if (ok(layer)) layers.push({ type: 'vline', x: Math.log10(layer.xmin), color: RED, label: `log10 xmin = ${fmt(Math.log10(layer.xmin))}` });
  if (layer.detX_val > 0)
    layers.push({ type: 'vline', x: Math.log10(layer.detX_val), color: PURPLE, dash: [6, 4], label: `log10 detX = ${fmt(Math.log10(layer.detX_val))}` });
  return { title: `${layer.name}: ESD, log-linear`, x: { label: 'log10 \u03bb (\u03bb: eigenvalue of W\u1d40W, unitless)', log: false, hover: 'log10 \u03bb' },
           y: { label: 'count of eigenvalues', log: false, min: 0, hover: 'count' }, layers };
}

function esdLinLin(layer) {
  const h = linEsd(layer);
  if (!h) return null;
  const layers = [{ type: 'bars', edges: h.edges, heights: h.density, color: BAR, label: 'ESD (linear bins)' }];
  if (ok(layer)) layers.push({ type: 'vline', x: layer.xmin, color: RED, label: `xmin = ${fmt(layer.xmin)}` });
  return { title: `${layer.name}: ESD, lin-lin`, x: { label: LAMBDA, log: false, hover: '\u03bb' },
           y: { label: 'density p(\u03bb)', log: false, min: 0, hover: 'p' }, layers };
}

function alphaXmin(layer) {
  const c = alphaCurve(layer);
  if (!c) return null;
  const layers = [{ type: 'line', x: c.xmin, y: c.alpha, color: BLUE, width: 1.5, label: '\u03b1 of the fit from this xmin' }];
  if (ok(layer)) layers.push({ type: 'marker', x: layer.xmin, y: layer.alpha, color: RED, label: `chosen xmin, \u03b1 = ${fmt(layer.alpha)}` });
  // Tails of a few eigenvalues give alphas in the hundreds: the axis stops at 3x the largest alpha of
  // the lower half of the candidates.
  const lower = c.alpha.slice(0, Math.max(1, Math.ceil(c.alpha.length / 2)));
  return { title: `${layer.name}: \u03b1 vs xmin`, x: { label: 'candidate xmin: ' + LAMBDA, log: true, hover: 'xmin' },
           y: { label: 'power-law exponent \u03b1 (unitless)', log: false, min: 1, max: Math.max(3 * Math.max(...lower), (layer.alpha ?? 0) * 1.5), hover: '\u03b1' }, layers };
}

function mpFitPlot(layer) {
  const f = mpFit(layer);
  if (!f) return null;
  return { title: `${layer.name}: Marchenko-Pastur fit (Q = ${fmt(f.Q)}, \u03c3 = ${fmt(layer.sigma_mp)}, ${f.spikes} spikes)`,
           x: { label: 'eigenvalue rescaled to mean 1 (unitless)', log: false, min: 0, hover: '\u03bb' },
           y: { label: 'density', log: false, min: 0, hover: 'p' },
           layers: [{ type: 'bars', edges: f.edges, heights: f.density, color: BAR, label: 'ESD, rescaled' },
                    { type: 'line', x: f.curve.x, y: f.curve.pdf, color: RED, width: 1.5, label: 'MP density' },
                    { type: 'vline', x: f.edge, color: RED, dash: [6, 4], label: `bulk edge + TW = ${fmt(f.edge)}` }] };
}

function randomized(layer) {
  const r = randomizedEsd(layer);
  if (!r) return null;
  const layers = [{ type: 'bars', edges: r.edges, heights: r.original, color: 'rgba(39, 174, 96, 0.55)', label: 'ESD of W' },
                  { type: 'bars', edges: r.edges, heights: r.counts, color: 'rgba(214, 39, 40, 0.45)', label: 'ESD of shuffled W' }];
  if (layer.max_rand_eval > 0)
    layers.push({ type: 'vline', x: Math.log10(layer.max_rand_eval), color: ORANGE, label: `largest shuffled \u03bb = ${fmt(layer.max_rand_eval)}` });
  return { title: `${layer.name}: ESD against the randomized (shuffled) W`, x: { label: 'log10 \u03bb (\u03bb: eigenvalue of W\u1d40W, unitless)', log: false, hover: 'log10 \u03bb' },
           y: { label: 'count of eigenvalues', log: false, min: 0, hover: 'count' }, layers };
}

function ks(layer) {
  const c = ksCurve(layer);
  if (!c || !c.xmin.length) return null;
  const layers = [{ type: 'line', x: c.xmin, y: c.D, color: BLUE, width: 1.5, label: 'KS distance D' }];
  if (ok(layer)) layers.push({ type: 'marker', x: layer.xmin, y: layer.D, color: RED, label: `chosen xmin, D = ${fmt(layer.D)}` });
  return { title: `${layer.name}: KS distance vs xmin`, x: { label: 'candidate xmin: ' + LAMBDA, log: true, hover: 'xmin' },
           y: { label: 'KS distance D (unitless)', log: false, min: 0, hover: 'D' }, layers };
}

function tailPdf(layer) {
  const t = tail(layer), f = fitLine(layer);
  if (!t || !f) return null;
  return { title: `${layer.name}: tail PDF (\u03bb \u2265 xmin)`, x: { label: LAMBDA, log: true, hover: '\u03bb' },
           y: { label: 'p(\u03bb), normalised over the tail', log: true, hover: 'p' },
           layers: [{ type: 'bars', edges: t.edges, heights: t.density, color: BAR, label: 'empirical' },
                    { type: 'line', x: f.x, y: f.pdf, color: ORANGE, label: `fit \u03b1=${fmt(layer.alpha)}` },
                    { type: 'vline', x: layer.xmin, color: RED, label: 'xmin' }] };
}

function tailCcdf(layer) {
  const t = tail(layer), f = fitLine(layer);
  if (!t || !f) return null;
  return { title: `${layer.name}: tail CCDF`, x: { label: LAMBDA, log: true, hover: '\u03bb' },
           y: { label: 'P(\u039b \u2265 \u03bb), over the tail', log: true, hover: 'P' },
           layers: [{ type: 'points', x: t.x, y: t.ccdf, color: BLUE, r: 2.5, label: 'empirical' },
                    { type: 'line', x: f.x, y: f.ccdf, color: ORANGE, label: 'fit' },
                    { type: 'vline', x: layer.xmin, color: RED, label: 'xmin' }] };
}

function variance(layer) {
  const v = explainedVariance(layer);
  if (!v) return null;
  const layers = [{ type: 'line', x: v.k, y: v.fraction, color: BLUE, width: 1.5, label: '\u03bb_k / \u03a3\u03bb' }];
  if (ok(layer)) {
    layers.push({ type: 'hline', y: layer.xmin / v.total, color: RED, label: 'xmin cut' });
    layers.push({ type: 'vline', x: layer.num_pl_spikes, color: PURPLE, dash: [6, 4], label: `K = ${layer.num_pl_spikes} (tail size)` });
  }
  // Null directions (shares ~1e-13) would squash the curve: the axis stops 8 decades below the top.
  const floor = Math.max(Math.min(...v.fraction.filter(f => f > 0)), v.fraction[0] * 1e-8);
  return { title: `${layer.name}: explained variance per eigenpair`, x: { label: 'eigenpair k (largest first)', log: false, min: 0, hover: 'k' },
           y: { label: 'explained variance share (unitless)', log: true, min: floor / 1.5, hover: 'share' }, layers };
}

function locElbow(layer) {
  const v = vectorMetrics(layer);
  if (!v) return null;
  const n = v.evals.length, loc = v.loc_ratio.slice().reverse(), k = loc.map((_, i) => i + 1);
  const layers = [{ type: 'points', x: k.slice(0, v.nTail), y: loc.slice(0, v.nTail), color: PURPLE, r: 2, label: 'tail eigenvectors' },
                  { type: 'points', x: k.slice(v.nTail), y: loc.slice(v.nTail), color: BLUE, r: 2, label: 'bulk eigenvectors' }]
    .filter(l => l.x.length);
  if (ok(layer)) {
    // The xmin cut falls after the last eigenvalue >= xmin; K is the fit's tail size (the two differ
    // when the tail is clipped at xmax).
    const above = v.evals.filter(e => e >= layer.xmin).length;
    layers.push({ type: 'vline', x: above + 0.5, color: RED, label: `xmin cut (${above} of ${n} eigenvalues \u2265 xmin)` });
    layers.push({ type: 'vline', x: layer.num_pl_spikes, color: PURPLE, dash: [6, 4], label: `K = ${layer.num_pl_spikes} (tail size)` });
  }
  return { title: `${layer.name}: localization ratio per eigenpair`, x: { label: 'eigenpair k (largest eigenvalue first)', log: false, min: 0, hover: 'k' },
           y: { label: 'localization ratio \u2016v\u2016\u2081/\u2016v\u2016\u221e (unitless)', log: false, hover: 'ratio' }, layers };
}

// One panel of weightwatcher's vector_metrics figure: a metric against the ascending index k.
function vectorPanel(key, label, unit) {
  return layer => {
    const v = vectorMetrics(layer);
    if (!v) return null;
    const isEval = key === 'evals';
    const x = isEval ? v.k.filter(i => v.evals[i] > 0) : v.k;
    const layers = [{ type: 'points', x, y: x.map(i => v[key][i]), color: BLUE, r: 1.8, label }];
    if (v.lastBulk >= 0) layers.push({ type: 'vline', x: v.lastBulk, color: RED, label: `xmin (last bulk vector, k = ${v.lastBulk})` });
    return { title: `${layer.name}: vector metrics, ${label}`, x: { label: 'eigenvector k (ascending eigenvalue, from 0)', log: false, min: 0, hover: 'k' },
             y: { label: `${label} (${unit})`, log: isEval, hover: key }, layers };
  };
}

// One panel of weightwatcher's vector_histograms: the metric's bulk and tail distributions.
function vectorHistogram(key, label, unit) {
  return layer => {
    const h = vectorHistograms(layer, key);
    if (!h) return null;
    const layers = [];
    if (h.bulk) layers.push({ type: 'bars', edges: h.edges, heights: h.bulk, color: 'rgba(59, 111, 182, 0.5)', label: 'bulk (\u03bb < xmin)' });
    if (h.tail) layers.push({ type: 'bars', edges: h.edges, heights: h.tail, color: 'rgba(142, 68, 173, 0.5)', label: 'tail (top K)' });
    return { title: `${layer.name}: ${label}, bulk against tail`, x: { label: `${label} (${unit})`, log: false, hover: key },
             y: { label: 'density (per unit of the metric)', log: false, min: 0, hover: 'p' }, layers };
  };
}

const VECTOR_PANELS = [...VECTOR_METRICS, ['evals', 'eigenvalue', '\u03bb of W\u1d40W, unitless']]
  .map(([key, label, unit]) => [`vectors-${key}`, vectorPanel(key, label, unit)]);
const VECTOR_HISTOGRAMS = VECTOR_METRICS.map(([key, label, unit]) => [`vectors-hist-${key}`, vectorHistogram(key, label, unit)]);

export const PLOT_KINDS = [
  ['esd-loglog', esdLogLog], ['esd-loglin', esdLogLin], ['esd-linlin', esdLinLin], ['ks', ks], ['alpha-xmin', alphaXmin],
  ['tail-pdf', tailPdf], ['tail-ccdf', tailCcdf], ['variance', variance], ['mp-fit', mpFitPlot], ['randomized', randomized],
  ['loc-ratio', locElbow], ...VECTOR_PANELS, ...VECTOR_HISTOGRAMS,
];

// Scenes for one layer: [{kind, scene}], only those the layer has data for.
export function layerScenes(layer) {
  return PLOT_KINDS.map(([kind, make]) => ({ kind, scene: make(layer) })).filter(s => s.scene);
}

// Draws every plot of one layer (the report's LAYER object) into container.
export function renderLayerPlots(layer, container) {
  container.replaceChildren();
  const safe = layer.name.replace(/[^\w.-]+/g, '_');
  const scenes = layerScenes(layer);
  if (!layer.spectra) {
    const p = document.createElement('p');
    p.textContent = 'This report has no plot data for this layer (analyzed with --no-spectra).';
    container.append(p);
  }
  for (const { kind, scene } of scenes) mountPlot(container, scene, { kind, filename: `${safe}-${kind}` });
  return scenes.length;
}

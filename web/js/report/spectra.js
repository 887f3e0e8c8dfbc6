// The one place the plotted series of a layer are derived: from the raw data the core reports
// (spectra.evals, spectra.ks, the fit fields alpha, xmin, xmax; docs/report-schema.md). A layer
// rebuilt from a share link carries its exact log-ESD counts (spectra.log_esd), which win over a
// histogram of its approximate eigenvalues.

export const EVALS_THRESH = 1e-5;  // the reference's EVALS_THRESH: only larger evals are fitted/binned
const BINS = 100;

export function linspace(lo, hi, n) {
  return Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1)));
}

function histogram(values, edges) {
  const counts = new Array(edges.length - 1).fill(0);
  const lo = edges[0], width = (edges[edges.length - 1] - lo) / counts.length;
  for (const v of values) {
    const b = width > 0 ? Math.floor((v - lo) / width) : 0;
    counts[Math.min(counts.length - 1, Math.max(0, b))] += 1;
  }
  return counts;
}

export function sortedEvals(layer) {
  const e = layer.spectra?.evals;
  return e ? e.slice().sort((a, b) => a - b) : [];
}

// {edges, counts} of log10(eval) over evals > EVALS_THRESH, 100 equal bins.
export function logEsd(layer) {
  if (layer.spectra?.log_esd) return layer.spectra.log_esd;
  const logs = sortedEvals(layer).filter(v => v > EVALS_THRESH).map(Math.log10);
  if (!logs.length) return null;
  const lo = logs[0], hi = logs[logs.length - 1] > lo ? logs[logs.length - 1] : lo + 1;
  const edges = linspace(lo, hi, BINS + 1);
  return { edges, counts: histogram(logs, edges) };
}

// {edges, density}: log-spaced bins, density per unit lambda (count / (n * bin width)).
export function esd(layer) {
  const le = logEsd(layer);
  if (!le) return null;
  const n = le.counts.reduce((a, b) => a + b, 0);
  const edges = le.edges.map(v => 10 ** v);
  return { edges, density: le.counts.map((c, i) => c / (n * (edges[i + 1] - edges[i]))) };
}

// The fitted power law on [xmin, xmax]: pdf (alpha-1)/xmin (x/xmin)^-alpha, ccdf (x/xmin)^(1-alpha).
export function fitLine(layer) {
  if (layer.status !== 'success') return null;
  const { alpha, xmin, xmax } = layer;
  const x = linspace(Math.log10(xmin), Math.log10(xmax), 64).map(v => 10 ** v);
  return { x, pdf: x.map(v => ((alpha - 1) / xmin) * (v / xmin) ** -alpha), ccdf: x.map(v => (v / xmin) ** (1 - alpha)) };
}

// The fit's KS scan as the core computed it ({xmin, D, alpha}; a share link keeps D at some xmin).
export function ksCurve(layer) {
  return layer.spectra?.ks?.xmin?.length ? layer.spectra.ks : null;
}

// alpha of the MLE fit at each candidate xmin (weightwatcher's esd5). Full reports carry the core's
// scan (spectra.ks.alpha); a layer rebuilt from a share link has D only, so alpha is recomputed at
// those candidates from its rebuilt eigenvalues with the same continuous MLE,
// alpha = 1 + n / sum(ln(x / xmin)) over the n eigenvalues >= xmin (fit/xmin_scan.cpp in the core).
export function alphaCurve(layer) {
  const ks = ksCurve(layer);
  if (!ks) return null;
  if (ks.alpha?.length === ks.xmin.length) {
    const keep = ks.alpha.map((a, i) => i).filter(i => Number.isFinite(ks.alpha[i]));
    return { xmin: keep.map(i => ks.xmin[i]), alpha: keep.map(i => ks.alpha[i]) };
  }
  const x = sortedEvals(layer).filter(v => v > EVALS_THRESH);
  const out = { xmin: [], alpha: [] };
  for (const xmin of ks.xmin) {
    const tailLogs = x.filter(v => v >= xmin).map(v => Math.log(v / xmin));
    const sum = tailLogs.reduce((a, b) => a + b, 0);
    if (tailLogs.length > 1 && sum > 0) { out.xmin.push(xmin); out.alpha.push(1 + tailLogs.length / sum); }
  }
  return out.xmin.length ? out : null;
}

// {edges, density}: 100 equal bins of the eigenvalues on a linear axis (weightwatcher's esd2).
export function linEsd(layer) {
  const e = sortedEvals(layer);
  if (!e.length) return null;
  const lo = e[0], hi = e[e.length - 1] > lo ? e[e.length - 1] : lo + 1;
  const edges = linspace(lo, hi, BINS + 1);
  const w = (hi - lo) / BINS;
  return { edges, density: histogram(e, edges).map(c => c / (e.length * w)) };
}

// The Marchenko-Pastur density for aspect ratio Q and scale sigma (core: metrics/mp_fit.cpp,
// marchenko_pastur_pdf), zero outside the bulk [sigma^2 (1 - 1/sqrt Q)^2, sigma^2 (1 + 1/sqrt Q)^2].
export function marchenkoPasturPdf(x, Q, sigma) {
  const a = (sigma * (1 - Math.sqrt(1 / Q))) ** 2, b = (sigma * (1 + Math.sqrt(1 / Q))) ** 2;
  if (!(x > a && x < b)) return 0;
  return (Q / (2 * Math.PI * sigma * sigma * x)) * Math.sqrt((b - x) * (x - a));
}

// The MP fit as the core made it (metrics/mp_fit.cpp): eigenvalues rescaled to mean 1, their
// histogram (100 bins, density), the fitted MP density, and the spike edge bulk_max + sqrt(TW),
// TW = Q^-1/2 bulk_max^2/3 M^-2/3, above which the core counts num_spikes.
export function mpFit(layer) {
  const { sigma_mp: sigma, N, M, norm, num_evals: n } = layer;
  if (!(sigma > 0) || !(norm > 0) || !(M > 0)) return null;
  const Q = N / M;
  const x = sortedEvals(layer).map(v => (v * n) / norm);
  if (!x.length) return null;
  const hi = Math.max(x[x.length - 1], 1e-300), edges = linspace(0, hi, BINS + 1);
  const density = histogram(x, edges).map(c => c / (x.length * (hi / BINS)));
  const bulkMin = (sigma * (1 - 1 / Math.sqrt(Q))) ** 2, bulkMax = (sigma * (1 + 1 / Math.sqrt(Q))) ** 2;
  const tw = (1 / Math.sqrt(Q)) * bulkMax ** (2 / 3) * M ** (-2 / 3);
  const curveX = linspace(bulkMin, bulkMax, 200);
  return { edges, density, curve: { x: curveX, pdf: curveX.map(v => marchenkoPasturPdf(v, Q, sigma)) },
           bulkMax, edge: bulkMax + Math.sqrt(tw), spikes: x.filter(v => v > bulkMax + Math.sqrt(tw)).length, Q };
}

// With randomize: the ESDs of the layer and of its element-shuffled matrix (spectra.rand_evals from
// the core) on shared log10 bins spanning both; a share link keeps the shuffled counts and their
// range (spectra.rand_log_esd).
export function randomizedEsd(layer) {
  const logs = v => v.filter(x => x > EVALS_THRESH).map(Math.log10);
  const orig = logs(sortedEvals(layer));
  let rand = layer.spectra?.rand_log_esd;
  if (!rand) {
    const r = layer.spectra?.rand_evals;
    if (!r?.length || !orig.length) return null;
    const rl = logs(r);
    const lo = Math.min(orig[0], ...rl.slice(0, 1)), hi = Math.max(orig[orig.length - 1], rl[rl.length - 1] ?? -Infinity);
    const edges = linspace(lo, hi > lo ? hi : lo + 1, BINS + 1);
    rand = { edges, counts: histogram(rl, edges) };
  }
  return { edges: rand.edges, counts: rand.counts, original: histogram(orig, rand.edges) };
}

// The tail (evals >= xmin) as empirical PDF (log bins, normalised over the tail) and CCDF.
export function tail(layer) {
  if (layer.status !== 'success') return null;
  const t = sortedEvals(layer).filter(v => v >= layer.xmin && v <= layer.xmax);
  if (t.length < 2) return null;
  const bins = Math.max(5, Math.min(30, Math.round(Math.sqrt(t.length) * 2)));
  const le = linspace(Math.log10(t[0]), Math.log10(t[t.length - 1]) + 1e-12, bins + 1);
  const counts = histogram(t.map(Math.log10), le);
  const edges = le.map(v => 10 ** v);
  const density = counts.map((c, i) => c / (t.length * (edges[i + 1] - edges[i])));
  const ccdf = t.map((_, i) => (t.length - i) / t.length);
  return { edges, density, x: t, ccdf };
}

// Share of the total variance (sum of evals) per eigenpair, largest first; cumulative too.
export function explainedVariance(layer) {
  const e = sortedEvals(layer).reverse();
  const total = e.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  let cum = 0;
  return {
    k: e.map((_, i) => i + 1),
    fraction: e.map(v => v / total),
    cumulative: e.map(v => (cum += v) / total),
    total,
  };
}

// The per-eigenvector metrics (spectra.loc_ratio, part_ratio, vec_entropy: the vectors option or
// the page's Eigenvectors action), one entry per eigenvalue in the order of spectra.evals
// (ascending), and their split as the core makes it (analysis/layer_analysis.cpp): the tail is the
// top num_pl_spikes eigenvectors, all of them when the fit failed; the bulk the rest. lastBulk is
// the index of the last bulk vector (-1: none), where weightwatcher's vector_metrics plot draws
// its red xmin line. Null when the layer has no such arrays (a share link drops them).
export const VECTOR_METRICS = [
  ['vec_entropy', 'vector entropy', 'nats'],
  ['loc_ratio', 'localization ratio \u2016v\u2016\u2081/\u2016v\u2016\u221e', 'unitless'],
  ['part_ratio', 'participation ratio \u2016v\u2016\u2082/\u2016v\u2016\u2084', 'unitless'],
];

export function vectorMetrics(layer) {
  const s = layer.spectra, n = s?.evals?.length;
  if (!n || !VECTOR_METRICS.every(([key]) => s[key]?.length === n)) return null;
  const nTail = layer.status === 'success' ? Math.min(n, layer.num_pl_spikes) : n;
  return { evals: s.evals, loc_ratio: s.loc_ratio, part_ratio: s.part_ratio, vec_entropy: s.vec_entropy,
           k: s.evals.map((_, i) => i), nTail, lastBulk: n - nTail - 1 };
}

// {edges, bulk, tail} for one metric: density histograms (count / (n * bin width), as
// weightwatcher's vector_histograms with density=True) of its bulk and tail values on shared
// equal bins over both, so the two overlay; an empty side has null.
export function vectorHistograms(layer, key, bins = 50) {
  const v = vectorMetrics(layer);
  if (!v) return null;
  const values = v[key].filter(Number.isFinite);
  if (!values.length) return null;
  const lo = Math.min(...values), top = Math.max(...values), hi = top > lo ? top : lo + 1;
  const edges = linspace(lo, hi, bins + 1), w = (hi - lo) / bins;
  const density = part => {
    const x = part.filter(Number.isFinite);
    return x.length ? histogram(x, edges).map(c => c / (x.length * w)) : null;
  };
  const split = v.lastBulk + 1;
  return { edges, bulk: density(v[key].slice(0, split)), tail: density(v[key].slice(split)) };
}

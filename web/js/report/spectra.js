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

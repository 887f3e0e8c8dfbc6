// The compact form of a report that a share link carries (before deflate + base64url), and its
// expansion back into a report the page's renderers draw unchanged.
//
// What is kept and how (sizes: a 100-layer model fits in ~32 KB of link):
// - the table: one column per field web/js/fields.js keeps (share "exact" or "approximate"), no
//   repeated keys; exact fields and every integer are stored as they are, approximate numbers with
//   the fewest significant digits (>= 4, what the table prints) that print the same in the table
//   and the cards;
// - both ESD histograms: the exact bin counts plus the log10 range to 10 digits (the edges are
//   rebuilt with spectra.js's linspace, which made them);
// - the power-law tail (lambda >= xmin): log10 lambda quantized to 12 bits over the tail's range,
//   every eigenvalue up to TAIL_SAMPLE of them, else TAIL_SAMPLE at geometrically spaced distances
//   from the largest (see tailRanks), interpolated in between as a power law;
//   the bulk below xmin is placed evenly inside its (exact) histogram bins; evals <= 1e-5 become 0;
// - the KS curve: D (10 bits, delta-coded) at the first candidate xmin of every KS_STEP bins, at the
//   chosen xmin and at the last candidate: ranks both sides compute from the counts, so only D is
//   stored; the points sit at the rebuilt eigenvalues;
// - the fitted power law is not stored: spectra.js redraws it from alpha, xmin, xmax (exact);
// - with randomize, the shuffled matrix's log-ESD counts (exact) and their range;
// - alpha against xmin and the lin-lin and MP histograms are redrawn from the rebuilt eigenvalues.
// Not kept: the eigenvalues themselves, the scan's per-candidate alpha, fields marked "dropped"
// (MP fit details, timings), metadata values past METADATA_CHARS.
import { LAYER_FIELDS, SKIPPED_FIELDS } from '../fields.js';
import { num } from '../report/format.js';
import { EVALS_THRESH, linspace, logEsd, randomizedEsd } from '../report/spectra.js';
import { LIMITS, ReportError, validateReport } from './validate.js';

export const SHARE_FORMAT = 'weightscope-share';
const Q = 4095;                 // 12-bit quantization steps (tail eigenvalues)
const QD = 1023;                // 10-bit steps of the KS distance D in [0, 1]
const TAIL_SAMPLE = 48;         // tail eigenvalues kept per layer before sampling quantiles
const KS_STEP = 4;              // one KS point per this many histogram bins (25 of 100 bins)
const KS_STEP_V1 = 3;           // what version 1 links used (they still open)
const VERSION = 2;
const RANGE_DIGITS = 10;        // significant digits of the histograms' log10 range
const METADATA_CHARS = 300;
const METADATA_KEYS = 64;
const SKIPPED_ROWS = 5000;
const MAX_TOTAL_EVALS = 5e6;    // rebuilt eigenvalues over all layers (40 MB of doubles)

const EXACT = new Set(LAYER_FIELDS.filter(f => f.share === 'exact').map(f => f.key));
// spectra is kept in its own compact form (packSpectra).
const LAYER_KEYS = LAYER_FIELDS.filter(f => f.share !== 'dropped' && f.key !== 'spectra').map(f => f.key);
const NUMERIC_KEYS = LAYER_FIELDS.filter(f => LAYER_KEYS.includes(f.key) && f.type === 'number').map(f => f.key);
const KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

// ---- encoding -------------------------------------------------------------------------------

// Fewest significant digits that print like v in the table (4 digits) and the cards (3).
function shown(v) {
  for (let k = 4; k < 17; ++k) {
    const r = Number(v.toPrecision(k));
    if (num(r) === num(v) && num(r, 3) === num(v, 3)) return r;
  }
  return v;
}

function packValue(key, v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    return Number.isInteger(v) || EXACT.has(key) ? v : shown(v);
  }
  return v;
}

const deltas = a => a.map((v, i) => (i ? v - a[i - 1] : v));
const quantize = (v, a, b) => (b > a ? Math.max(0, Math.min(Q, Math.round(((v - a) / (b - a)) * Q))) : 0);

// Ranks (ascending) of the tail eigenvalues a link keeps: all, or TAIL_SAMPLE at distances from
// the largest spaced geometrically (1, 2, 3, ... then growing): in a power-law tail log(lambda) falls
// like log(distance)/(alpha-1), so this spaces the kept values evenly in log(lambda).
function tailRanks(T) {
  if (T <= TAIL_SAMPLE) return Array.from({ length: T }, (_, r) => r);
  const out = [];
  for (let j = 0, prev = -1; j < TAIL_SAMPLE; ++j) {
    const d = Math.min(T - TAIL_SAMPLE + j, Math.max(prev + 1, Math.round(T ** (j / (TAIL_SAMPLE - 1))) - 1));
    out.push(T - 1 - (prev = d));
  }
  return out.reverse();
}

// Ranks (among the evals > EVALS_THRESH, ascending) of the KS points: the first eigenvalue of every
// KS_STEP bins, the chosen xmin (the tail's first), the last candidate. Integers only, so the
// encoder and any decoder agree exactly.
function ksRanks(counts, T, step = KS_STEP) {
  const ranks = new Set();
  let start = 0;
  for (let b = 0; b < counts.length; b += step) {
    const c = counts.slice(b, b + step).reduce((x, y) => x + y, 0);
    if (c) ranks.add(start);
    start += c;
  }
  if (T) ranks.add(start - T);
  if (start >= 2) ranks.add(start - 2);
  return [...ranks].filter(r => r <= start - 2).sort((x, y) => x - y);
}

// [lo, hi, counts, n, T, ta, tb, tq, kd] (see the header), or null without plot data.
function packSpectra(layer) {
  if (!layer.spectra) return null;
  const le = logEsd(layer);
  if (!le) return null;
  const evals = (layer.spectra.evals ?? []).filter(Number.isFinite).sort((x, y) => x - y);
  const ok = layer.status === 'success' && layer.xmin > EVALS_THRESH;
  const tailEvals = ok ? evals.filter(v => v >= layer.xmin) : [];
  const T = tailEvals.length;
  let ta = null, tb = null, tq = [];
  if (T) {
    ta = tailEvals[0];
    tb = tailEvals[T - 1];
    tq = deltas(tailRanks(T).map(r => quantize(Math.log10(tailEvals[r]), Math.log10(ta), Math.log10(tb))));
  }
  const counts = le.counts.map(c => Math.round(c));
  const above = evals.filter(v => v > EVALS_THRESH);
  const ks = layer.spectra.ks;
  let kd = [];
  if (ks?.xmin?.length && above.length === counts.reduce((x, y) => x + y, 0)) {
    const at = new Map();
    ks.xmin.forEach((x, i) => { if (!at.has(x)) at.set(x, i); });
    // D quantized, each as the change from the previous known one (the curve is smooth-ish).
    let previous = 0;
    kd = ksRanks(counts, T).map(r => {
      const i = at.get(above[r]);
      if (i === undefined || !Number.isFinite(ks.D[i])) return null;
      const d = Math.round(Math.max(0, Math.min(1, ks.D[i])) * QD);
      const delta = d - previous;
      previous = d;
      return delta;
    });
  }
  const lo = le.edges[0], hi = le.edges[le.edges.length - 1];
  const range = v => Number(v.toPrecision(RANGE_DIGITS));
  const packed = [range(lo), tb !== null && Math.log10(tb) === hi ? null : range(hi), counts, evals.length, T,
                  ta === layer.xmin ? null : ta, tb === layer.xmax ? null : tb, tq, kd];
  // With randomize: the shuffled matrix's log-ESD counts and their bins' range.
  const rand = layer.spectra.rand_evals ? randomizedEsd(layer) : null;
  if (rand) packed.push([range(rand.edges[0]), range(rand.edges[rand.edges.length - 1]), rand.counts]);
  return packed;
}

function columns(rows, keys, pack = (k, v) => v) {
  const out = {};
  for (const key of keys) {
    const col = rows.map(r => pack(key, r[key]) ?? null);
    if (col.some(v => v !== null)) out[key] = col;
  }
  return out;
}

// Table columns; tensor is almost always name + ".weight": 0 stands for that, and a number equal
// to the same layer's value of an earlier numeric field is stored as "=that_field" (lambda_max and
// spectral_norm are xmax in most layers), which keeps it exact and costs a few bytes once deflated.
function layerColumns(layers) {
  const rows = layers.map(l => {
    const r = { ...l, tensor: l.tensor === `${l.name}.weight` ? 0 : l.tensor };
    const seen = [];
    for (const key of NUMERIC_KEYS) {
      if (!Number.isFinite(l[key])) continue;
      const same = seen.find(k => l[k] === l[key]);
      if (same) r[key] = `=${same}`;
      else seen.push(key);
    }
    return r;
  });
  return columns(rows, LAYER_KEYS, (key, v) => (typeof v === 'string' && v[0] === '=' ? v : packValue(key, v)));
}

// The compact object for a (validated) report.
export function compactReport(report) {
  const layers = report.layers ?? [];
  const m = report.model ?? {};
  const meta = Object.entries(m.metadata ?? {});
  const truncated = meta.length > METADATA_KEYS || meta.some(([, v]) => v.length > METADATA_CHARS);
  const skipped = (report.skipped ?? []).slice(0, SKIPPED_ROWS)
    .map(s => ({ ...s, tensor: s.tensor === `${s.name}.weight` ? 0 : s.tensor }));
  return {
    format: SHARE_FORMAT, version: VERSION, generator: report.generator,
    model: { files: m.files, format: m.format, total_bytes: m.total_bytes, num_tensors: m.num_tensors,
             metadata: Object.fromEntries(meta.slice(0, METADATA_KEYS).map(([k, v]) =>
               [k, v.length > METADATA_CHARS ? v.slice(0, METADATA_CHARS) + '\u2026' : v])) },
    options: report.options, summary: report.summary,
    layers: layerColumns(layers),
    spectra: layers.map(packSpectra),
    skipped: columns(skipped, SKIPPED_FIELDS.map(f => f.key)),
    omitted: { skipped: (report.skipped ?? []).length - skipped.length, metadata: truncated },
  };
}

// ---- decoding -------------------------------------------------------------------------------

const bad = what => { throw new ReportError(`This share link is damaged or not from weightscope: ${what}.`); };
const isInt = (v, lo = 0, hi = Number.MAX_SAFE_INTEGER) => Number.isSafeInteger(v) && v >= lo && v <= hi;
const intArray = (a, max, lo = 0, hi = Number.MAX_SAFE_INTEGER) =>
  Array.isArray(a) && a.length <= max && a.every(v => isInt(v, lo, hi));
const finite = v => typeof v === 'number' && Number.isFinite(v);

function undelta(a) {
  let s = 0;
  return a.map(d => (s += d));
}

// Rows from {key: column}; every column as long as n, keys restricted to plain identifiers.
function rowsOf(cols, n, what) {
  if (cols === null || typeof cols !== 'object' || Array.isArray(cols)) bad(`${what} is not an object`);
  const rows = Array.from({ length: n }, () => ({}));
  for (const [key, col] of Object.entries(cols)) {
    if (!KEY.test(key)) bad(`${what} has a bad key`);
    if (!Array.isArray(col) || col.length !== n) bad(`${what}.${key} has the wrong length`);
    col.forEach((v, i) => {
      // false: "no value" in links written before the field table (they recomputed some columns).
      const ok = v === null || v === false || typeof v === 'number' || typeof v === 'string' ||
        (key === 'tensor' && v === 0) || (key === 'shape' && intArray(v, LIMITS.shapeRank));
      if (!ok) bad(`${what}.${key}[${i}] has the wrong type`);
      if (v !== null && v !== false) rows[i][key] = v;
    });
  }
  for (const r of rows) if (r.tensor === 0) r.tensor = typeof r.name === 'string' ? `${r.name}.weight` : undefined;
  // "=field": the same row's value of an earlier numeric field (see layerColumns).
  for (const r of rows)
    for (const key of NUMERIC_KEYS) {
      const v = r[key];
      if (typeof v !== 'string') continue;
      const ref = v.slice(1);
      if (v[0] !== '=' || NUMERIC_KEYS.indexOf(ref) < 0 || NUMERIC_KEYS.indexOf(ref) >= NUMERIC_KEYS.indexOf(key) ||
          typeof r[ref] !== 'number') bad(`${what}.${key} refers to no earlier number`);
      r[key] = r[ref];
    }
  return rows;
}

// spectra {evals, log_esd, ks} of one layer from its packed array; notes collects what is sampled.
function unpackSpectra(p, layer, notes, budget) {
  if (p === null) return undefined;
  if (!Array.isArray(p) || (p.length !== 9 && p.length !== 10)) bad('a layer\'s plot data has the wrong shape');
  const [lo, hi0, counts, n, T, ta0, tb0, tq, kd, rand] = p;
  const ta = ta0 ?? layer.xmin, tb = tb0 ?? layer.xmax;
  const hi = hi0 ?? (finite(tb) && tb > 0 ? Math.log10(tb) : NaN);
  if (!finite(lo) || !finite(hi) || !(hi >= lo)) bad('a histogram range is not finite');
  if (!intArray(counts, LIMITS.bins) || !counts.length) bad('histogram counts are not counts');
  const binned = counts.reduce((a, b) => a + b, 0);
  if (!isInt(n, binned, LIMITS.evals) || !isInt(T, 0, binned)) bad('eigenvalue counts do not add up');
  if ((budget.evals += n) > MAX_TOTAL_EVALS) bad('too many eigenvalues in total');
  if (!intArray(tq, TAIL_SAMPLE, -Q, Q) || !Array.isArray(kd) || kd.length > LIMITS.bins || !kd.every(d => d === null || isInt(d, -QD, QD)))
    bad('a quantized series is out of range');
  let known = 0;
  const D = kd.map(d => (d === null ? null : (known += d)));
  if (D.some(d => d !== null && (d < 0 || d > QD))) bad('a KS distance is out of range');
  const edges = linspace(lo, hi, counts.length + 1);
  const out = { log_esd: { edges, counts: counts.slice() } };
  if (rand !== undefined) {
    if (!Array.isArray(rand) || rand.length !== 3 || !finite(rand[0]) || !finite(rand[1]) || !(rand[1] >= rand[0]) ||
        !intArray(rand[2], LIMITS.bins) || !rand[2].length) bad('the randomized ESD is malformed');
    out.rand_log_esd = { edges: linspace(rand[0], rand[1], rand[2].length + 1), counts: rand[2].slice() };
  }

  const q = undelta(tq);
  if (q.some((v, i) => v < 0 || v > Q || (i && v < q[i - 1]))) bad('a quantized series is not ascending');
  if (T && (!finite(ta) || !finite(tb) || !(ta > 0) || !(tb >= ta) || q.length !== Math.min(T, TAIL_SAMPLE)))
    bad('the tail does not match its size');
  if (n) {
    const evals = new Array(n).fill(0);
    // Bulk: per-bin counts less the T tail values (the top ones), spread evenly inside each bin
    // and below the tail's first value.
    const bulk = counts.slice();
    for (let i = bulk.length - 1, left = T; i >= 0 && left > 0; --i) {
      const take = Math.min(bulk[i], left);
      bulk[i] -= take;
      left -= take;
    }
    const top = T ? Math.log10(ta) : Infinity;
    let at = n - binned;
    bulk.forEach((c, i) => {
      const a = edges[i], b = Math.max(a, Math.min(edges[i + 1], top));
      for (let j = 0; j < c; ++j) evals[at++] = Math.min(10 ** (a + ((j + 0.5) / c) * (b - a)), T ? ta * (1 - 1e-12) : Infinity);
    });
    // Tail: exact ends, 12-bit log values in between. Between sampled ranks, log(lambda) is
    // interpolated linearly in log(distance from the top), as a power-law tail runs.
    const la = Math.log10(ta), lb = Math.log10(tb);
    const value = k => (k === 0 ? ta : k === Q ? tb : 10 ** (la + (k / Q) * (lb - la)));
    const ranks = tailRanks(T), u = r => Math.log(T - r);
    for (let j = 0; j < ranks.length; ++j) {
      evals[n - T + ranks[j]] = value(q[j]);
      for (let r = ranks[j] + 1; j + 1 < ranks.length && r < ranks[j + 1]; ++r) {
        const f = (u(r) - u(ranks[j])) / (u(ranks[j + 1]) - u(ranks[j]));
        evals[n - T + r] = 10 ** ((1 - f) * Math.log10(value(q[j])) + f * Math.log10(value(q[j + 1])));
      }
    }
    if (ranks.length < T) notes.tailSampled = true;
    out.evals = evals;
    if (kd.length) {
      const ranks = ksRanks(counts, T, budget.ksStep);
      if (ranks.length !== kd.length) bad('the KS curve does not match the histogram');
      const keep = ranks.map((r, i) => [evals[n - binned + r], D[i]]).filter(([, d]) => d !== null);
      out.ks = { xmin: keep.map(([x]) => x), D: keep.map(([, d]) => d / QD) };
    }
  }
  return out;
}

// The report a compact object describes; throws ReportError on anything malformed.
export function expandReport(c) {
  if (c === null || typeof c !== 'object' || c.format !== SHARE_FORMAT) bad('unknown format');
  if (c.version !== 1 && c.version !== VERSION) bad(`version ${JSON.stringify(c.version)} is not supported`);
  if (!Array.isArray(c.spectra) || c.spectra.length > LIMITS.layers) bad('no layer list');
  const n = c.spectra.length;
  const notes = {}, budget = { evals: 0, ksStep: c.version === 1 ? KS_STEP_V1 : KS_STEP };
  const layers = rowsOf(c.layers, n, 'layers').map((l, i) => {
    const spectra = unpackSpectra(c.spectra[i], l, notes, budget);
    return spectra ? { ...l, spectra } : l;
  });
  const sk = c.skipped ?? {};
  const skippedCount = Array.isArray(sk.name) ? sk.name.length : Array.isArray(sk.tensor) ? sk.tensor.length : 0;
  if (skippedCount > LIMITS.skipped) bad('too many skipped tensors');
  const report = {
    format: 'weightscope-report', version: 1, generator: c.generator,
    model: c.model, options: c.options, summary: c.summary,
    layers, skipped: rowsOf(sk, skippedCount, 'skipped'),
  };
  const omitted = c.omitted ?? {};
  report.shared = { notes: [
    'A share link (or its compact report) holds the results, not the eigenvalues themselves: some plots are rebuilt from a compact form.',
    'Exact: the summary, the table\u2019s \u03b1, D, xmin, xmax, detX \u03bb and integer columns, the ESD histograms\u2019 counts and the fitted power law; every other table value prints as in the original (at least 4 significant digits kept).',
    `Approximated: tail eigenvalues (\u03bb \u2265 xmin) are quantized to 12 bits of log10 \u03bb over the tail` +
      (notes.tailSampled ? `; of tails longer than ${TAIL_SAMPLE}, ${TAIL_SAMPLE} eigenvalues at ranks spaced geometrically from the largest are kept and the others interpolated` : '') +
      '; eigenvalues below xmin are placed evenly inside their histogram bins (so the explained-variance plot is approximate) and those \u2264 1e-5 are shown as 0.',
    `Approximated: the KS distance D is drawn at about ${Math.ceil(100 / budget.ksStep)} candidate xmin per layer (at the rebuilt eigenvalues), to \u00b1${(0.5 / QD).toFixed(4)}; alpha against xmin is recomputed there from the rebuilt eigenvalues.`,
    'Approximated: the lin-lin ESD and the MP-fit histogram are drawn from the rebuilt eigenvalues.',
    ...(omitted.skipped > 0 ? [`${omitted.skipped} further skipped tensors are not listed.`] : []),
    ...(omitted.metadata ? [`Model metadata is shortened to ${METADATA_KEYS} entries of ${METADATA_CHARS} characters.`] : []),
  ] };
  return validateReport(report);
}

// Axis scales and tick positions for the plot module: linear ("nice" 1-2-5 steps) and log10 axes.

// Domain [lo, hi] of finite values (positive only on a log axis), padded so nothing sits on a frame.
export function domain(values, log, fixed = {}) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (fixed.min !== undefined) lo = fixed.min;
  if (fixed.max !== undefined) hi = fixed.max;
  if (!(lo <= hi)) return log ? [0.1, 10] : [0, 1];
  if (log) {
    let a = Math.log10(lo), b = Math.log10(hi);
    if (b - a < 1e-9) { a -= 0.5; b += 0.5; }
    const pad = (b - a) * 0.04;
    return [fixed.min ?? 10 ** (a - pad), fixed.max ?? 10 ** (b + pad)];
  }
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) { lo -= 0.5; hi += 0.5; }
  const pad = (hi - lo) * 0.04;
  return [fixed.min ?? lo - pad, fixed.max ?? hi + pad];
}

export function scale([lo, hi], log, [p0, p1]) {
  if (log) {
    const a = Math.log10(lo), b = Math.log10(hi);
    return v => p0 + ((Math.log10(v) - a) / (b - a)) * (p1 - p0);
  }
  return v => p0 + ((v - lo) / (hi - lo)) * (p1 - p0);
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

// [{value, label}] ticks inside [lo, hi].
export function ticks([lo, hi], log, count = 6) {
  if (log) {
    const a = Math.ceil(Math.log10(lo) - 1e-9), b = Math.floor(Math.log10(hi) + 1e-9);
    const decades = b - a + 1;
    if (decades >= 2) {
      const every = Math.ceil(decades / count);
      const out = [];
      for (let k = a; k <= b; k += every) out.push({ value: 10 ** k, label: powerLabel(k) });
      return out;
    }
    // Less than two decades: 1-2-5 (or, over a narrow range, every digit) times powers of ten, plainly labelled.
    let out = [];
    for (const mantissas of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
      out = [];
      for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); ++k)
        for (const m of mantissas) {
          const v = m * 10 ** k;
          if (v >= lo && v <= hi) out.push({ value: v, label: formatNumber(v) });
        }
      if (out.length >= 4) break;
    }
    if (out.length >= 2) return out;
  }
  const step = niceStep(hi - lo, count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    const r = Math.abs(v) < step * 1e-9 ? 0 : v;
    out.push({ value: r, label: formatNumber(r) });
  }
  return out;
}

const SUPERSCRIPT = { '-': '\u207b', 0: '\u2070', 1: '\u00b9', 2: '\u00b2', 3: '\u00b3', 4: '\u2074',
  5: '\u2075', 6: '\u2076', 7: '\u2077', 8: '\u2078', 9: '\u2079' };

function powerLabel(k) {
  if (k === 0) return '1';
  if (k === 1) return '10';
  return '10' + String(k).split('').map(c => SUPERSCRIPT[c]).join('');
}

// Short human form: 4 significant digits, exponent form outside [1e-3, 1e5).
export function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

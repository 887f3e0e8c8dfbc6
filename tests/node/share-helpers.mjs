// Shared by the share-link tests (node and browser): compares the plot scenes of a layer from the
// original report with those from its share link, kind by kind, at the precision the link
// promises (web/js/share/compact.js): histograms, the fitted line, xmin and the table values exact
// or to 1e-8; the tail and KS curve within their quantization; the explained variance within the
// histogram bin the bulk eigenvalues were placed in.
import { logEsd } from '../../web/js/report/spectra.js';
import { safetensorsBytes } from './helpers.mjs';

const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);

function close(assert, got, want, tol, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; ++i)
    assert.ok(rel(got[i], want[i]) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]} (tol ${tol})`);
}

// 12-bit log quantization of the tail: 2e-3 relative for tails of a few decades; sampled tails
// (> 48 eigenvalues) are interpolated in their dense lower part.
const tailTol = T => (T > 48 ? 0.1 : 2e-3);

const byType = (scene, type) => scene.layers.filter(l => l.type === type);

// orig, shared: [{kind, scene}] of one layer (layerScenes), layer: that layer in the original report.
export function compareLayerScenes(assert, orig, shared, layer) {
  const e = logEsd(layer).edges, label = layer.name;
  const binWidth = (e[e.length - 1] - e[0]) / (e.length - 1);  // decades
  const tailSize = layer.spectra.evals.filter(v => v >= layer.xmin).length;
  assert.deepEqual(shared.map(s => s.kind), orig.map(s => s.kind), `${label}: plot kinds`);
  const binFactor = 10 ** binWidth - 1;
  for (let k = 0; k < orig.length; ++k) {
    const o = orig[k].scene, s = shared[k].scene, what = `${label} ${orig[k].kind}`;
    assert.deepEqual(s.layers.map(l => l.type), o.layers.map(l => l.type), `${what}: layer types`);
    const vlines = (tol) => byType(o, 'vline').forEach((v, i) => close(assert, [byType(s, 'vline')[i].x], [v.x], tol, `${what} vline`));
    switch (orig[k].kind) {
      case 'esd-loglog':
        close(assert, s.layers[0].edges, o.layers[0].edges, 1e-8, `${what} edges`);
        close(assert, s.layers[0].heights, o.layers[0].heights, 1e-8, `${what} density`);
        byType(o, 'line').forEach((l, i) => {
          close(assert, byType(s, 'line')[i].x, l.x, 1e-9, `${what} fit x`);
          close(assert, byType(s, 'line')[i].y, l.y, 1e-9, `${what} fit y`);
        });
        vlines(0);
        break;
      case 'esd-loglin':
        close(assert, s.layers[0].edges.map(e => e + 1000), o.layers[0].edges.map(e => e + 1000), 1e-11, `${what} edges`);
        assert.deepEqual(s.layers[0].heights, o.layers[0].heights, `${what} counts`);
        vlines(0);
        break;
      case 'ks': {
        const line = s.layers[0], ol = o.layers[0];
        assert.ok(line.x.length >= Math.min(ol.x.length, 10) && line.x.length <= ol.x.length, `${what}: ${line.x.length} points of ${ol.x.length}`);
        // Every shared point is an original candidate: x within a histogram bin, D to 10 bits.
        for (let i = 0; i < line.x.length; ++i) {
          const near = ol.x.map((x, j) => j).filter(j => rel(ol.x[j], line.x[i]) <= Math.max(binFactor, tailTol(tailSize)) + 1e-9);
          assert.ok(near.some(j => Math.abs(ol.y[j] - line.y[i]) <= 0.5 / 1023 + 1e-12), `${what}[${i}]: no candidate near x=${line.x[i]} with D=${line.y[i]}`);
        }
        byType(o, 'marker').forEach((m, i) => close(assert, [byType(s, 'marker')[i].x, byType(s, 'marker')[i].y], [m.x, m.y], 0, `${what} marker`));
        break;
      }
      case 'tail-pdf':
      case 'tail-ccdf': {
        const fit = byType(o, 'line')[0];
        close(assert, byType(s, 'line')[0].x, fit.x, 1e-9, `${what} fit x`);
        close(assert, byType(s, 'line')[0].y, fit.y, 1e-9, `${what} fit y`);
        vlines(0);
        if (orig[k].kind === 'tail-ccdf') {
          const p = byType(o, 'points')[0], q = byType(s, 'points')[0];
          assert.deepEqual(q.y, p.y, `${what}: ccdf levels (same tail size)`);
          // 12-bit log quantization; sampled tails (> 48) are interpolated between quantiles.
          close(assert, q.x, p.x, tailTol(p.x.length), `${what} tail eigenvalues`);
        } else {
          const total = b => b.heights.reduce((a, h, i) => a + h * (b.edges[i + 1] - b.edges[i]), 0);
          assert.ok(rel(total(s.layers[0]), total(o.layers[0])) < 1e-9, `${what}: the tail density integrates to the same total`);
        }
        break;
      }
      case 'variance': {
        const a = s.layers[0], b = o.layers[0];
        assert.deepEqual(a.x, b.x, `${what}: eigenpair indices`);
        // Eigenvalues above 1e-5 are within their bin; the total shifts by at most the same factor.
        const tol = (1 + Math.max(binFactor, tailTol(tailSize))) ** 2 - 1;
        for (let i = 0; i < b.y.length; ++i)
          if (b.y[i] > 0 && a.y[i] > 0) assert.ok(rel(a.y[i], b.y[i]) <= tol, `${what}[${i}]: ${a.y[i]} vs ${b.y[i]}`);
        byType(o, 'vline').forEach((v, i) => assert.equal(byType(s, 'vline')[i].x, v.x, `${what}: K`));
        break;
      }
      case 'esd-linlin': {
        // Rebuilt eigenvalues move within their log bin (and those <= 1e-5 become 0): same range,
        // same mass, cumulative shares within 0.15.
        const a = s.layers[0], b = o.layers[0], range = b.edges[b.edges.length - 1] - b.edges[0];
        close(assert, [a.edges[a.edges.length - 1]], [b.edges[b.edges.length - 1]], 1e-9, `${what} top edge`);
        // the smallest rebuilt eigenvalue sits inside the first log bin
        assert.ok(Math.abs(a.edges[0] - b.edges[0]) <= binFactor * Math.abs(b.edges[0]) + 1e-3 * range, `${what}: bottom edge`);
        const cum = h => { let c = 0; return h.heights.map((d, i) => (c += d * (h.edges[i + 1] - h.edges[i]))); };
        const ca = cum(a), cb = cum(b);
        assert.ok(Math.abs(ca[ca.length - 1] - 1) < 1e-9 && Math.abs(cb[cb.length - 1] - 1) < 1e-9, `${what}: densities integrate to 1`);
        assert.ok(Math.max(...ca.map((v, i) => Math.abs(v - cb[i]))) <= 0.15, `${what}: cumulative shares`);
        vlines(0);
        break;
      }
      case 'alpha-xmin': {
        const line = s.layers[0], ol = o.layers[0];
        assert.ok(line.x.length >= Math.min(ol.x.length, 10) && line.x.length <= ol.x.length, `${what}: ${line.x.length} points of ${ol.x.length}`);
        // alpha recomputed from the rebuilt eigenvalues: (alpha - 1) within 25% of an original candidate's nearby.
        for (let i = 0; i < line.x.length; ++i) {
          const near = ol.x.map((x, j) => j).filter(j => rel(ol.x[j], line.x[i]) <= Math.max(binFactor, tailTol(tailSize)) + 1e-9);
          assert.ok(near.some(j => Math.abs(ol.y[j] - line.y[i]) <= 0.25 * (ol.y[j] - 1) + 1e-9), `${what}[${i}]: alpha ${line.y[i]} at x=${line.x[i]}`);
        }
        byType(o, 'marker').forEach((m, i) => close(assert, [byType(s, 'marker')[i].x, byType(s, 'marker')[i].y], [m.x, m.y], 0, `${what} marker`));
        break;
      }
      case 'mp-fit': {
        // sigma_mp and norm keep the digits the table prints: the curve and the edge follow to 1e-3.
        close(assert, byType(s, 'line')[0].y.map(v => v + 1), byType(o, 'line')[0].y.map(v => v + 1), 1e-2, `${what} MP density`);
        close(assert, [byType(s, 'vline')[0].x], [byType(o, 'vline')[0].x], 1e-3, `${what} spike edge`);
        break;
      }
      case 'randomized': {
        const [ao, ar] = byType(s, 'bars'), [bo, br] = byType(o, 'bars');
        close(assert, ar.edges.map(e => e + 1000), br.edges.map(e => e + 1000), 1e-11, `${what} edges`);
        assert.deepEqual(ar.heights, br.heights, `${what}: shuffled counts exact`);
        assert.equal(ao.heights.reduce((x, y) => x + y, 0), bo.heights.reduce((x, y) => x + y, 0), `${what}: as many eigenvalues`);
        break;
      }
      default:
        assert.fail(`${what}: no comparison for this plot kind`);
    }
  }
}

// Deterministic uniform numbers in (0, 1) (mulberry32).
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

// A model of `layers` dense matrices rows x cols with heavy-tailed (Pareto, exponent 1.5-4.5)
// entries, so the layers' power-law alphas spread like a trained network's; names like a
// transformer's. Returns safetensors bytes.
export function heavyTailedModel({ layers = 100, rows = 192, cols = 384, seed = 7 } = {}) {
  const next = random(seed);
  const kinds = ['attn.q_proj', 'attn.k_proj', 'attn.v_proj', 'attn.o_proj', 'mlp.up_proj', 'mlp.down_proj'];
  const tensors = [];
  for (let i = 0; i < layers; ++i) {
    const mu = 1.5 + 3 * next();
    const kind = kinds[i % kinds.length];
    const shape = kind === 'mlp.down_proj' ? [rows, cols] : [cols, rows];
    const data = new Float32Array(rows * cols);
    for (let j = 0; j < data.length; ++j) data[j] = (next() < 0.5 ? -1 : 1) * 0.02 * next() ** (-1 / mu);
    tensors.push({ name: `model.layers.${Math.floor(i / kinds.length)}.${kind}.weight`, shape, data });
  }
  return safetensorsBytes(tensors, { format: 'pt', note: 'synthetic heavy-tailed test model' });
}

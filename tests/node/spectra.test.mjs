// The plotted series (web/js/report/spectra.js) against closed forms and against what the core
// computed from the same eigenvalues on every fixture: histogram masses, the MP spike edge that
// must count the core's num_spikes, the alpha scan, the shuffled ESD.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVALS_THRESH, alphaCurve, esd, linEsd, logEsd, marchenkoPasturPdf, mpFit, randomizedEsd } from '../../web/js/report/spectra.js';
import { fixture, fixtureFiles, nativeReport } from './helpers.mjs';

const integral = (f, a, b, n = 200000) => {
  const h = (b - a) / n;
  let s = 0;
  for (let i = 0; i < n; ++i) s += f(a + (i + 0.5) * h);  // midpoint: no evaluation at the edges
  return s * h;
};
const mass = h => h.density.reduce((s, d, i) => s + d * (h.edges[i + 1] - h.edges[i]), 0);

test('the Marchenko-Pastur density integrates to 1 and has mean sigma^2', () => {
  for (const [Q, sigma] of [[1, 1], [2, 0.7], [4, 1.3], [16, 0.5]]) {
    const b = (sigma * (1 + 1 / Math.sqrt(Q))) ** 2;
    assert.ok(Math.abs(integral(x => marchenkoPasturPdf(x, Q, sigma), 0, b) - 1) < 2e-3, `Q=${Q}: mass`);
    // The mean of the MP law of X = W^T W / N-normalized entries is sigma^2.
    assert.ok(Math.abs(integral(x => x * marchenkoPasturPdf(x, Q, sigma), 0, b) - sigma ** 2) < 2e-3 * sigma ** 2, `Q=${Q}: mean`);
  }
  assert.equal(marchenkoPasturPdf(10, 2, 1), 0);
});

test('every fixture layer: series masses, the core alpha scan, and the MP edge counts the core spikes', () => {
  let layers = 0;
  for (const path of fixtureFiles()) {
    for (const l of nativeReport(path).layers) {
      ++layers;
      const above = l.spectra.evals.filter(v => v > EVALS_THRESH).length;
      assert.equal(logEsd(l).counts.reduce((a, b) => a + b, 0), above, `${l.name}: log ESD holds every eigenvalue > 1e-5`);
      assert.ok(Math.abs(mass(esd(l)) - 1) < 1e-9 && Math.abs(mass(linEsd(l)) - 1) < 1e-9, `${l.name}: densities integrate to 1`);
      const a = alphaCurve(l), ks = l.spectra.ks;
      assert.deepEqual(a.alpha, ks.alpha.filter(Number.isFinite), `${l.name}: alpha scan is the core's`);
      if (l.status === 'success') assert.ok(a.alpha.includes(l.alpha), `${l.name}: the chosen alpha is on the scan`);
      if (Number.isFinite(l.sigma_mp)) {
        const mp = mpFit(l);
        assert.equal(mp.spikes, l.num_spikes, `${l.name}: eigenvalues above the drawn spike edge = the core's num_spikes`);
        assert.ok(Math.abs(mp.bulkMax * l.norm / l.num_evals - l.bulk_max) <= 1e-9 * l.bulk_max, `${l.name}: bulk edge`);
      }
    }
  }
  assert.ok(layers > 100);
});

test('randomize: the shuffled ESD holds every shuffled eigenvalue, on bins spanning both spectra', () => {
  const r = nativeReport(fixture('ppocrv4_rec.safetensors'), ['--randomize']);
  for (const l of r.layers) {
    const h = randomizedEsd(l);
    assert.equal(h.counts.reduce((a, b) => a + b, 0), l.spectra.rand_evals.filter(v => v > EVALS_THRESH).length, l.name);
    assert.equal(h.original.reduce((a, b) => a + b, 0), l.spectra.evals.filter(v => v > EVALS_THRESH).length, l.name);
    assert.equal(l.spectra.rand_evals[l.spectra.rand_evals.length - 1], l.max_rand_eval, `${l.name}: largest shuffled eigenvalue`);
    assert.ok(h.edges[h.edges.length - 1] >= Math.log10(l.max_rand_eval) - 1e-12 && h.edges[0] <= Math.log10(l.spectra.rand_evals.find(v => v > EVALS_THRESH)) + 1e-12);
  }
});

// The page's per-layer jobs through the wasm bindings, as web/js/worker.js runs them on the files
// of a finished run opened again: layerVectors(layer entry) gives the native CLI's --vectors
// columns and arrays, latentSpace(layer entry) the CLI's --latent-out files (headers bytewise), and
// an entry of another model's report is refused by name. Also the spectra.js series the vector
// plots draw, against the report's arrays and the core's tail/bulk split.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { vectorHistograms, vectorMetrics, VECTOR_METRICS } from '../../web/js/report/spectra.js';
import { CLI, analyzeWithModule, closeFiles, compareNpy, compareVectors, fixture, loadModule, nativeReport, nodeFile, testData, unloadModule } from './helpers.mjs';

after(closeFiles);

function withAnalysis(module, paths, f) {
  const a = module.Analysis.open([].concat(paths).map(nodeFile), '', JSON.stringify({ threads: 1 }));
  try { return f(a); } finally { a.delete(); }
}

const LSA = testData('fixtures/lsa_debian_3k.npy');
const DEMO = fixture('ppocrv4_rec.safetensors');

describe('layer jobs through the wasm binding (st)', () => {
  let module;
  before(async () => { module = await loadModule('st', 1); });
  after(() => unloadModule(module));

  test('layerVectors on a reopened model equals the native --vectors report (a dense and a conv2d layer)', () => {
    const plain = analyzeWithModule(module, DEMO);
    const want = nativeReport(DEMO, ['--vectors']);
    for (const name of ['linear_85', 'conv2d_170']) {
      const entry = plain.layers.find(l => l.name === name);
      const { spectra, ...scalars } = entry;
      const got = withAnalysis(module, DEMO, a => JSON.parse(a.layerVectors(JSON.stringify(scalars))));
      assert.equal(got.name, name);
      compareVectors(assert, got, want.layers.find(l => l.name === name), name);
    }
  });

  test('an entry naming another tensor is refused with the reason', () => {
    const entry = { ...nativeReport(DEMO).layers.find(l => l.name === 'linear_85'), name: 'linear_84' };
    assert.throws(() => withAnalysis(module, DEMO, a => a.layerVectors(JSON.stringify(entry))),
                  /linear_84.*is not tensor.*other files/);
  });

  test('latentSpace gives the CLI --latent-out files (lsa_debian_3k.npy): same headers, values to 1e-12', () => {
    const prefix = join(mkdtempSync(join(tmpdir(), 'ws-latent-')), 'lsa');
    execFileSync(CLI, ['analyze', LSA, '--latent-out', prefix, '--json', `${prefix}.json`, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const report = JSON.parse(readFileSync(`${prefix}.json`, 'utf8'));
    const { spectra, ...layer } = report.layers[0];
    const got = withAnalysis(module, LSA, a => a.latentSpace(JSON.stringify(layer)));
    assert.equal(got.k, layer.num_pl_spikes);
    assert.deepEqual([got.rows, got.cols], layer.shape);
    compareNpy(assert, got.components, readFileSync(`${prefix}_components.npy`), 'components.npy');
    compareNpy(assert, got.coordinates, readFileSync(`${prefix}_coordinates.npy`), 'coordinates.npy');
  });

  test('latentSpace of a conv2d layer is a readable error', () => {
    const { spectra, ...layer } = nativeReport(DEMO).layers.find(l => l.name === 'conv2d_170');
    assert.throws(() => withAnalysis(module, DEMO, a => a.latentSpace(JSON.stringify(layer))), /dense|2-D/);
  });
});

describe('spectra.js vector series', () => {
  const layer = nativeReport(DEMO, ['--vectors']).layers.find(l => l.name === 'linear_85');

  test('the split follows the core: the tail is the top num_pl_spikes eigenvectors', () => {
    const v = vectorMetrics(layer);
    const n = layer.spectra.evals.length;
    assert.equal(v.nTail, layer.num_pl_spikes);
    assert.equal(v.lastBulk, n - layer.num_pl_spikes - 1);
    // The report's own tail and bulk means are the means of those parts of its arrays.
    const mean = a => a.reduce((s, x) => s + x, 0) / a.length;
    for (const [key] of VECTOR_METRICS) {
      assert.ok(Math.abs(mean(v[key].slice(v.lastBulk + 1)) - layer[`tail_mean_${key}`]) <= 1e-9 * Math.abs(layer[`tail_mean_${key}`]), key);
      assert.ok(Math.abs(mean(v[key].slice(0, v.lastBulk + 1)) - layer[`bulk_mean_${key}`]) <= 1e-9 * Math.abs(layer[`bulk_mean_${key}`]), key);
    }
  });

  test('the histograms are densities over shared bins', () => {
    for (const [key] of VECTOR_METRICS) {
      const h = vectorHistograms(layer, key);
      const w = h.edges[1] - h.edges[0];
      for (const side of [h.bulk, h.tail]) assert.ok(Math.abs(side.reduce((s, d) => s + d * w, 0) - 1) < 1e-9, key);
    }
  });

  test('a layer without the arrays (a share link, no vectors) has no vector series', () => {
    const { loc_ratio, ...spectra } = layer.spectra;
    assert.equal(vectorMetrics({ ...layer, spectra }), null);
    assert.equal(vectorMetrics(nativeReport(DEMO).layers[0]), null);
  });
});

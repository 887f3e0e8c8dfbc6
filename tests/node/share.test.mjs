// Share-link codec in node (Node 20 has CompressionStream): size of a 100-layer link, what a link
// keeps exactly, and that hostile links and report files are refused with a clear message.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { COLUMNS } from '../../web/js/report/layer-table.js';
import { num } from '../../web/js/report/format.js';
import { layerScenes } from '../../web/js/report/layer-plots.js';
import { compactReport } from '../../web/js/share/compact.js';
import { MAX_FRAGMENT, ReportError, decodeShare, encodeShare, reportFromJson, shareParam } from '../../web/js/share/codec.js';
import { ROOT, analyzeWithModule, closeFiles, fixture, fixtureFiles, haveWasm, loadModule, nativeReport } from './helpers.mjs';
import { compareLayerScenes, heavyTailedModel } from './share-helpers.mjs';

const b64url = bytes => Buffer.from(bytes).toString('base64url');
const linkOf = value => b64url(deflateRawSync(JSON.stringify(value)));

let module = null;
async function analyze(path) {
  module ??= await loadModule('st', 1);
  try {
    return analyzeWithModule(module, path);
  } finally {
    closeFiles();
  }
}

function assertSameTable(got, want) {
  assert.equal(got.layers.length, want.layers.length);
  want.layers.forEach((l, i) => {
    for (const [key] of COLUMNS) assert.equal(num(got.layers[i][key]), num(l[key]), `${l.name}: ${key}`);
    for (const key of ['alpha', 'D', 'xmin', 'xmax', 'detX_val', 'num_pl_spikes'])
      assert.equal(got.layers[i][key], l[key], `${l.name}: ${key} exact`);
  });
  assert.deepEqual(got.summary, want.summary, 'summary exact');
}

function assertSamePlots(got, want) {
  want.layers.forEach((l, i) => compareLayerScenes(assert, layerScenes(l), layerScenes(got.layers[i]), l));
}

test('a 100-layer model fits in a 32 KB link; table exact, plots within the stated precision', { skip: !haveWasm('st') && 'no wasm st build' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-share-'));
  const path = join(dir, 'heavy100.safetensors');
  writeFileSync(path, heavyTailedModel({ layers: 100, rows: 192, cols: 384 }));
  const report = await analyze(path);
  assert.equal(report.layers.length, 100);
  const payload = await encodeShare(report);
  const link = `https://example.org/weightscope/#r=${payload}`;
  console.log(`100-layer model (192x384 each): share link ${link.length} characters, full report ${JSON.stringify(report).length} bytes of JSON`);
  assert.ok(link.length <= 32 * 1024, `link is ${link.length} characters`);
  const back = await decodeShare(shareParam(link));
  assertSameTable(back, report);
  assertSamePlots(back, report);
});

// Every fixture: what the page derives from a link equals what it derives from the core's report.
test('real fixtures: link size, exact table, plots', { skip: !haveWasm('st') && 'no wasm st build' }, async () => {
  for (const path of fixtureFiles()) {
    const name = basename(path);
    const report = await analyze(path);
    const payload = await encodeShare(report);
    console.log(`${name}: ${report.layers.length} layers, ${report.skipped.length} skipped: share payload ${payload.length} characters`);
    const back = await decodeShare(payload);
    assertSameTable(back, report);
    assertSamePlots(back, report);
    assert.deepEqual(back.skipped.map(s => [s.tensor, s.reason]), report.skipped.map(s => [s.tensor, s.reason]));
    assert.deepEqual(back.model.files, report.model.files);
    assert.ok(back.shared.notes.some(n => n.startsWith('Approximated')));
  }
});

// A tiny valid report to tamper with.
const tiny = () => ({
  format: 'weightscope-report', version: 1, model: { files: ['m.safetensors'], metadata: { k: 'v' } }, summary: { alpha: 3 },
  layers: [{ index: 0, name: 'w', tensor: 'w.weight', type: 'dense', status: 'success', alpha: 3.5, xmin: 2, xmax: 9, D: 0.1,
             num_pl_spikes: 3, num_evals: 5, spectra: { evals: [0.5, 1, 2, 4, 9] } }],
  skipped: [],
});

async function rejects(promiseOrFn, pattern) {
  await assert.rejects(async () => (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn),
                       e => e instanceof ReportError && pattern.test(e.message), `expected ReportError ${pattern}`);
}

test('a minimal report round-trips (spectra derived from evals alone)', async () => {
  const r = tiny();
  const back = await decodeShare(await encodeShare(r));
  assert.equal(back.layers[0].name, 'w');
  assert.equal(back.layers[0].tensor, 'w.weight');
  assert.equal(back.layers[0].spectra.evals.length, 5);
  const [a, b, c] = back.layers[0].spectra.evals.slice(2);
  assert.deepEqual([a, c], [2, 9], 'a tail keeps its ends exactly');
  // In between: 12 bits of log10 over the tail's log range, half a step at most.
  assert.ok(Math.abs(Math.log10(b / 4)) <= Math.log10(9 / 2) / 4095 / 2 + 1e-15, `${b} vs 4`);
});

test('hostile links are refused with a clear message, before any big allocation', async () => {
  await rejects(decodeShare('abc$%'), /not base64url/);
  await rejects(decodeShare('A'.repeat(MAX_FRAGMENT + 4)), /longer than/);
  assert.throws(() => shareParam('#r=' + 'A'.repeat(MAX_FRAGMENT + 100)), /longer than/);
  await rejects(decodeShare(b64url(Buffer.from('not deflate at all, really'))), /damaged|corrupt/);
  await rejects(decodeShare(b64url(deflateRawSync('{"format": "weightscope-share", "version"'))), /not valid JSON/);
  // A zip bomb: 64 MB of spaces in ~64 KB. Inflating stops at the cap.
  const bomb = b64url(deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 32), { level: 9 }));
  assert.ok(bomb.length < 200000);
  await rejects(decodeShare(bomb), /expands to more than 50 MB/);

  const good = compactReport(tiny());
  const variant = f => { const c = structuredClone(good); f(c); return linkOf(c); };
  await rejects(decodeShare(linkOf({ ...good, format: 'something-else' })), /not a weightscope report/);
  await rejects(decodeShare(variant(c => { c.version = 3; })), /version 3 is not supported/);
  await rejects(decodeShare(variant(c => { c.layers.name = [{ toString: 1 }]; })), /wrong type/);
  // JSON.parse makes "__proto__" an own key; a column by that name must not reach an object's prototype.
  const proto = b64url(deflateRawSync(JSON.stringify(good).replace('"layers":{', '"layers":{"__proto__":[{"polluted":1}],')));
  await rejects(decodeShare(proto), /bad key/);
  assert.equal({}.polluted, undefined);
  await rejects(decodeShare(variant(c => { c.layers.alpha = [1, 2]; })), /wrong length/);
  await rejects(decodeShare(variant(c => { c.spectra[0][3] = 1e12; })), /do not add up/);
  await rejects(decodeShare(variant(c => { c.spectra[0][2] = [-1, 5]; })), /not counts/);
  await rejects(decodeShare(variant(c => { c.spectra[0][7] = [5000]; })), /out of range/);
  await rejects(decodeShare(variant(c => { c.spectra = new Array(30000).fill(null); })), /no layer list/);
  await rejects(decodeShare(variant(c => { c.model.files = 'x'; })), /model.files must be an array/);
  await rejects(decodeShare(variant(c => { c.summary.alpha = '3'; })), /summary.alpha must be a number/);
  // 1000 layers claiming 10^6 eigenvalues each would rebuild 8 GB: refused by the total cap.
  await rejects(decodeShare(variant(c => {
    const n = 1000;
    c.layers = { name: Array.from({ length: n }, (_, i) => `l${i}`) };
    c.spectra = Array.from({ length: n }, () => [0, 1, [1], 1000000, 0, null, null, [], []]);
  })), /too many eigenvalues/);
});

test('report files: full reports and compact ones are schema-checked', () => {
  assert.equal(reportFromJson(tiny()).layers.length, 1);
  assert.equal(reportFromJson(compactReport(tiny())).layers[0].name, 'w');
  const bad = (f, pattern) => { const r = tiny(); f(r); assert.throws(() => reportFromJson(r), e => e instanceof ReportError && pattern.test(e.message)); };
  bad(r => { r.format = 'x'; }, /format must be "weightscope-report"/);
  bad(r => { r.version = '1'; }, /version "1" is not supported/);
  bad(r => { r.layers = {}; }, /layers must be an array/);
  bad(r => { r.layers[0].name = 5; }, /layers\[0\].name must be a string/);
  bad(r => { r.layers[0].alpha = 'x'; }, /layers\[0\].alpha must be a number/);
  bad(r => { r.layers[0].spectra.evals = 'x'; }, /evals must be an array/);
  bad(r => { r.layers[0].spectra.log_esd = { edges: [1, 2], counts: [1, 2] }; }, /edges one longer/);
  bad(r => { r.layers[0].shape = [2, -1]; }, /non-negative integer/);
  bad(r => { r.model.metadata = { k: 5 }; }, /metadata value must be a string/);
  bad(r => { r.skipped = [{ reason: {} }]; }, /skipped\[0\].reason must be a string/);
  bad(r => { r.layers[0].name = 'x'.repeat(5000); }, /longer than 4096/);
});

test('a compact report written before the field table (derived columns as false/null) still opens', () => {
  const old = JSON.parse(readFileSync(join(ROOT, 'tests/data/share/ppocrv4_rec_before_field_table.weightscope.json'), 'utf8'));
  const r = reportFromJson(old);
  assert.equal(r.layers.length, 41);
  assert.equal(r.layers[0].alpha, 3.5300960921523363);  // exact, as the reference-matched core wrote it
  assert.equal(r.layers[0].lambda_max, undefined);      // was recomputed by the old decoder, now absent
});

test('a randomize report: the shuffled ESD and every other plot survive a link', async () => {
  const report = nativeReport(fixture('ppocrv4_rec.safetensors'), ['--randomize']);
  const back = await decodeShare(await encodeShare(report));
  assertSameTable(back, report);
  assertSamePlots(back, report);
  assert.ok(layerScenes(back.layers[0]).some(s => s.kind === 'randomized'));
});

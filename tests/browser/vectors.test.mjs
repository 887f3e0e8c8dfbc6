// Eigenvectors and the latent space in the page (cross-origin isolated, threaded build): the
// per-layer "Eigenvectors" action on the demo model gives the native CLI's --vectors columns and
// adds the vector plot kinds (screenshots of each); the option computes them for every layer; a
// report with vectors opened as a file, and in <weightscope-report>, draws the same kinds (a share
// link drops them); Cancel
// on a big layer leaves the report as it was and the next action works; the latent download of a
// .npy matrix is the CLI's --latent-out (same headers, values to 1e-12).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, VECTOR_COLUMNS, compareNpy, compareVectors, fixture, nativeReport, testData, writeSafetensors } from '../node/helpers.mjs';
import { SCREENSHOTS, analyzeFiles, openPage, shareLink } from './harness.mjs';

const DEMO = fixture('ppocrv4_rec.safetensors');
const VECTOR_KINDS = ['loc-ratio', 'vectors-vec_entropy', 'vectors-loc_ratio', 'vectors-part_ratio', 'vectors-evals',
                      'vectors-hist-vec_entropy', 'vectors-hist-loc_ratio', 'vectors-hist-part_ratio'];

const figures = (page, root = '#layer-plots') =>
  page.$$eval(`${root} figure`, figs => figs.map(f => ({ kind: f.dataset.plotKind, points: Number(f.dataset.points) })));

async function download(page, click) {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

// A model with one big layer (seconds of eigenvectors in wasm) and a small one after it.
function bigModel() {
  const big = 1800, rnd = n => { let s = 7; return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5)); };
  return writeSafetensors(join(mkdtempSync(join(tmpdir(), 'ws-bigvec-')), 'big.safetensors'),
                          [{ name: 'big.weight', shape: [big, big], data: rnd(big * big) },
                           { name: 'small.weight', shape: [96, 64], data: rnd(96 * 64) }]);
}

describe('eigenvectors in the page, isolated (mt)', () => {
  let s;
  before(async () => { s = await openPage({ isolation: true }); });
  after(async () => { await s?.close(); });

  let withVectors = null;  // the downloaded report after the action

  test('the Eigenvectors action (keyboard) gives the native --vectors columns and the vector plots', async () => {
    assert.equal(await analyzeFiles(s.page, DEMO), 'done');
    await s.page.click('[data-testid="layer-table"] tr[data-name="linear_85"]');
    assert.deepEqual((await figures(s.page)).filter(f => VECTOR_KINDS.includes(f.kind)), [], 'no vector plots before');
    await s.page.focus('[data-testid="layer-vectors"]');
    await s.page.keyboard.press('Enter');
    await s.page.waitForFunction(() => /Eigenvectors of linear_85/.test(document.querySelector('[data-testid="layer-job-status"]').textContent),
                                 null, { timeout: 60000 });
    const shown = await figures(s.page);
    assert.deepEqual(shown.map(f => f.kind).filter(k => VECTOR_KINDS.includes(k)), VECTOR_KINDS);
    for (const f of shown) assert.ok(f.points > 5, `${f.kind} has ${f.points} data points`);
    assert.equal(await s.page.isDisabled('[data-testid="layer-vectors"]'), true, 'computed: the button is off');
    for (const kind of VECTOR_KINDS)
      await s.page.locator(`#layer-plots figure[data-plot-kind="${kind}"]`).screenshot({ path: join(SCREENSHOTS, `plot-${kind}.png`) });
    await s.page.locator('#layer-plots-section').screenshot({ path: join(SCREENSHOTS, 'vectors-layer.png') });

    const report = JSON.parse((await download(s.page, () => s.page.click('[data-testid="download-json"]'))).bytes.toString());
    const want = nativeReport(DEMO, ['--vectors']);
    const got = report.layers.find(l => l.name === 'linear_85');
    compareVectors(assert, got, want.layers.find(l => l.name === 'linear_85'), 'page linear_85');
    // Only that layer changed.
    assert.ok(report.layers.filter(l => l.name !== 'linear_85').every(l => l.tail_mean_loc_ratio === undefined));
    const csv = (await download(s.page, () => s.page.click('[data-testid="download-csv"]'))).bytes.toString().trim().split('\n');
    const head = csv[0].split(','), row = csv.find(r => r.startsWith('linear_85,') || r.includes(',linear_85,')).split(',');
    for (const key of VECTOR_COLUMNS) assert.ok(head.includes(key), `CSV column ${key}`);
    assert.ok(Math.abs(Number(row[head.indexOf('tail_mean_loc_ratio')]) - got.tail_mean_loc_ratio) <= 1e-9 * got.tail_mean_loc_ratio);
    withVectors = report;

    // Each new kind exports as SVG with its axis labels.
    const fig = s.page.locator('#layer-plots figure[data-plot-kind="loc-ratio"]');
    const svg = (await download(s.page, () => fig.locator('[data-testid="save-svg"]').click())).bytes.toString();
    assert.match(svg, /^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    for (const text of ['localization ratio per eigenpair', 'eigenpair k (largest eigenvalue first)', 'K = 49 (tail size)', 'xmin cut'])
      assert.ok(svg.includes(text), `SVG has "${text}"`);
    const png = await download(s.page, () => fig.locator('[data-testid="save-png"]').click());
    assert.equal(png.bytes.subarray(1, 4).toString(), 'PNG');
    assert.equal(png.name, 'linear_85-loc-ratio.png');
  });

  test('a report with vectors opened as a file, and in <weightscope-report>, draws the vector plots', async () => {
    assert.ok(withVectors, 'needs the previous test');
    await s.page.locator('[data-testid="file-input"]').setInputFiles({
      name: 'demo.weightscope.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(withVectors)) });
    await s.page.waitForFunction(() => document.body.dataset.source === 'file');
    await s.page.click('[data-testid="layer-table"] tr[data-name="linear_85"]');
    assert.deepEqual((await figures(s.page)).map(f => f.kind).filter(k => VECTOR_KINDS.includes(k)), VECTOR_KINDS);
    assert.equal(await s.page.isDisabled('[data-testid="layer-vectors"]'), true, 'a report file has no files to compute on');

    const embedded = await s.page.evaluate(async report => {
      await import('./js/embed/weightscope-report.js');
      const e = document.createElement('weightscope-report');
      e.id = 'vec-embed';
      e.setAttribute('part', 'layer');
      e.setAttribute('layer', 'linear_85');
      document.body.append(e);
      e.report = report;
      return [...e.shadowRoot.querySelectorAll('figure')].map(f => f.dataset.plotKind);
    }, withVectors);
    assert.deepEqual(embedded.filter(k => VECTOR_KINDS.includes(k)), VECTOR_KINDS);
    await s.page.locator('#vec-embed').screenshot({ path: join(SCREENSHOTS, 'vectors-embed.png') });
    await s.page.evaluate(() => document.getElementById('vec-embed').remove());

    // A share link drops the eigenvector metrics (field table: "dropped"; the arrays would not fit
    // a link): the shared view draws the other kinds, without the vector ones and without errors.
    const link = await shareLink(s.page);
    const shared = await s.context.newPage();
    await shared.goto(link);
    await shared.waitForFunction(() => document.body.dataset.source === 'link');
    await shared.click('[data-testid="layer-table"] tr[data-name="linear_85"]');
    const kinds = (await figures(shared)).map(f => f.kind);
    assert.ok(kinds.includes('esd-loglog') && !kinds.some(k => VECTOR_KINDS.includes(k)), kinds.join(' '));
    await shared.close();
    assert.deepEqual(s.consoleErrors, []);
  });

  test('the option computes the vectors of every layer, as the native --vectors run', async () => {
    await s.page.check('[data-testid="option-vectors"]');
    try {
      assert.equal(await analyzeFiles(s.page, DEMO), 'done');
    } finally {
      await s.page.uncheck('[data-testid="option-vectors"]');
    }
    const report = JSON.parse((await download(s.page, () => s.page.click('[data-testid="download-json"]'))).bytes.toString());
    assert.equal(report.options.vectors, true);
    const want = nativeReport(DEMO, ['--vectors']);
    for (const w of want.layers) compareVectors(assert, report.layers.find(l => l.name === w.name), w, `option ${w.name}`);
    await s.page.click('[data-testid="layer-table"] tr[data-name="conv2d_170"]');
    assert.deepEqual((await figures(s.page)).map(f => f.kind).filter(k => VECTOR_KINDS.includes(k)), VECTOR_KINDS);
  });

  test('Cancel on a big layer leaves the report as it was; the next action works', async () => {
    assert.equal(await analyzeFiles(s.page, bigModel(), { timeout: 180000 }), 'done');
    const before = JSON.parse((await download(s.page, () => s.page.click('[data-testid="download-json"]'))).bytes.toString());
    await s.page.click('[data-testid="layer-table"] tr[data-name="big"]');
    await s.page.click('[data-testid="layer-vectors"]');
    await s.page.waitForFunction(() => /computing eigenvectors\u2026 layer big, 1800 \u00d7 1800/.test(
      document.querySelector('[data-testid="layer-job-status"]').textContent));
    await s.page.waitForTimeout(700);
    assert.equal(await s.page.getAttribute('#layer-actions', 'data-job'), 'vectors', 'still computing when cancelled');
    await s.page.click('[data-testid="layer-job-cancel"]');
    assert.match(await s.page.textContent('[data-testid="layer-job-status"]'), /Cancelled the eigenvectors of big; the report is unchanged/);
    const after = JSON.parse((await download(s.page, () => s.page.click('[data-testid="download-json"]'))).bytes.toString());
    assert.deepEqual(after.layers, before.layers);
    assert.equal(await s.page.evaluate(() => document.body.dataset.state), 'done');
    // The worker was replaced; the files are opened again for the next action.
    await s.page.click('[data-testid="layer-table"] tr[data-name="small"]');
    await s.page.click('[data-testid="layer-vectors"]');
    await s.page.waitForFunction(() => /Eigenvectors of small/.test(document.querySelector('[data-testid="layer-job-status"]').textContent),
                                 null, { timeout: 60000 });
    assert.deepEqual((await figures(s.page)).map(f => f.kind).filter(k => VECTOR_KINDS.includes(k)), VECTOR_KINDS);
  });

  test('the latent download of a .npy matrix is the CLI --latent-out files (headers bytewise, values to 1e-12)', async () => {
    const npy = testData('fixtures/lsa_debian_3k.npy');
    assert.equal(await analyzeFiles(s.page, npy), 'done');
    const prefix = join(mkdtempSync(join(tmpdir(), 'ws-latent-')), 'lsa');
    execFileSync(CLI, ['analyze', npy, '--latent-out', prefix, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const files = [];
    s.page.on('download', d => files.push(d));
    await s.page.click('[data-testid="layer-latent"]');
    await s.page.waitForFunction(() => /Latent space of lsa_debian_3k: K = 99/.test(document.querySelector('[data-testid="layer-job-status"]').textContent),
                                 null, { timeout: 120000 });
    while (files.length < 2) await s.page.waitForTimeout(100);
    const byName = Object.fromEntries(await Promise.all(files.map(async d => [d.suggestedFilename(), readFileSync(await d.path())])));
    assert.deepEqual(Object.keys(byName).sort(), ['lsa_debian_3k.latent_components.npy', 'lsa_debian_3k.latent_coordinates.npy']);
    compareNpy(assert, byName['lsa_debian_3k.latent_components.npy'], readFileSync(`${prefix}_components.npy`), 'components.npy');
    compareNpy(assert, byName['lsa_debian_3k.latent_coordinates.npy'], readFileSync(`${prefix}_coordinates.npy`), 'coordinates.npy');
    await s.page.locator('#layer-plots-section').screenshot({ path: join(SCREENSHOTS, 'latent-layer.png') });
  });
});

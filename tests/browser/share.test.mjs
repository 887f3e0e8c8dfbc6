// Share links end to end: analyze a fixture, copy the share link, open it in a fresh browser
// context that can load neither the model nor WebAssembly, and compare the table text and every
// layer's plot data with the original report; open the downloaded .weightscope.json by file input.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../node/helpers.mjs';
import { compareLayerScenes, random } from '../node/share-helpers.mjs';
import { SCREENSHOTS, analyzeFiles, openPage, shareLink, tableRows } from './harness.mjs';

const FIXTURE = fixture('ppocrv4_rec.safetensors');

// [{kind, points}] of the plots on screen.
const figures = page => page.$$eval('#layer-plots figure', fs => fs.map(f => ({ kind: f.dataset.plotKind, points: Number(f.dataset.points) })));

// A fresh context (no cache, no storage), by default one in which wasm and model files cannot load.
async function freshContext(browser, { block = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  const blocked = [];
  if (block) await context.route(/\.(wasm|safetensors|npy)(\?|$)|weightscope-(mt|st)\.js/, route => { blocked.push(route.request().url()); route.abort(); });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  return { context, page, blocked, errors };
}

const opened = page => page.waitForFunction(() => document.body.dataset.state === 'done' && document.body.dataset.source, null, { timeout: 30000 });

test('a share link renders the same report with no model file and no wasm', async () => {
  const s = await openPage({ isolation: true });
  try {
    assert.equal(await analyzeFiles(s.page, FIXTURE), 'done');
    const rows = await tableRows(s.page);
    const shownBefore = await figures(s.page);
    const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.click('[data-testid="download-json"]')]);
    const original = JSON.parse(readFileSync(await download.path(), 'utf8'));

    const link = await shareLink(s.page);
    console.log(`share link for ${original.layers.length} layers (${original.skipped.length} skipped): ${link.length} characters`);
    assert.ok(link.startsWith(s.base) && /#r=[A-Za-z0-9_-]+$/.test(link), 'the results travel in the fragment only');

    const f = await freshContext(s.page.context().browser());
    try {
      await f.page.goto(link);
      await opened(f.page);
      assert.equal(await f.page.evaluate(() => document.body.dataset.source), 'link');
      assert.deepEqual(await tableRows(f.page), rows, 'the table text equals the original');
      assert.deepEqual(await f.page.$eval('#summary', e => e.textContent), await s.page.$eval('#summary', e => e.textContent), 'summary cards');
      assert.deepEqual(await f.page.$$eval('#alpha-chart figure', fs => fs.map(e => e.dataset.plotKind)), ['alpha', 'detx-gap'], 'model plots drawn');
      assert.equal(await f.page.$eval('#alpha-chart figure[data-plot-kind="detx-gap"]', e => e.dataset.points),
                   await s.page.$eval('#alpha-chart figure[data-plot-kind="detx-gap"]', e => e.dataset.points), 'detX gap: one point per layer');
      assert.equal(await f.page.$eval('#alpha-chart figure', e => e.dataset.points), await s.page.$eval('#alpha-chart figure', e => e.dataset.points));
      assert.ok(await f.page.isVisible('[data-testid="share-note"]'), 'the page says what the link approximates');
      assert.match(await f.page.textContent('[data-testid="share-note"]'), /Approximated/);
      // The plots on screen: same kinds; the histograms, tail and variance plots hold as many
      // points as the original's; the KS and alpha curves are drawn on a reduced grid.
      const shown = await figures(f.page);
      assert.deepEqual(shown.map(x => x.kind), shownBefore.map(x => x.kind));
      // The lin-lin and MP histograms are redrawn from rebuilt eigenvalues: their bins may fill differently.
      shown.forEach((x, i) => (['ks', 'alpha-xmin'].includes(x.kind) ? assert.ok(x.points <= shownBefore[i].points)
        : ['esd-linlin', 'mp-fit'].includes(x.kind) ? assert.ok(x.points > 5, x.kind)
        : assert.equal(x.points, shownBefore[i].points, x.kind)));
      // Every layer's plot data, computed by the page's own modules from the original report and
      // from the link, at the precision the link promises.
      const scenes = await f.page.evaluate(async orig => {
        const { layerScenes } = await import('./js/report/layer-plots.js');
        const { decodeShare, shareParam } = await import('./js/share/codec.js');
        const shared = await decodeShare(shareParam(location.hash));
        return { orig: orig.layers.map(layerScenes), shared: shared.layers.map(layerScenes) };
      }, original);
      original.layers.forEach((l, i) => compareLayerScenes(assert, scenes.orig[i], scenes.shared[i], l));
      // Clicking another layer draws its plots from the link too.
      const last = original.layers[original.layers.length - 1].name;
      for (const page of [s.page, f.page]) await page.click(`[data-testid="layer-table"] tbody tr[data-name="${last}"]`);
      assert.deepEqual((await figures(f.page)).map(x => x.kind), (await figures(s.page)).map(x => x.kind));
      assert.deepEqual(f.blocked, [], 'the shared page asked for no wasm and no model file');
      assert.deepEqual(f.errors, []);

      // The downloaded report opens like a model (file input), exact: no approximation note.
      const g = await freshContext(s.page.context().browser(), { block: false });
      try {
        await g.page.goto(s.base);
        await g.page.waitForFunction(() => document.body.dataset.engine);
        await g.page.locator('[data-testid="file-input"]').setInputFiles({
          name: download.suggestedFilename(), mimeType: 'application/json', buffer: readFileSync(await download.path()) });
        await opened(g.page);
        assert.equal(await g.page.evaluate(() => document.body.dataset.source), 'file');
        assert.deepEqual(await tableRows(g.page), rows);
        assert.ok(!(await g.page.isVisible('[data-testid="share-note"]')));
        assert.deepEqual(await figures(g.page), shownBefore);
        assert.deepEqual(g.errors, []);
      } finally {
        await g.context.close();
      }
    } finally {
      await f.context.close();
    }
    assert.deepEqual(s.consoleErrors, []);
  } finally {
    await s.close();
  }
});

test('compare: a report file and a share link side by side, with typed-in quality figures', async () => {
  const s = await openPage({ isolation: true });
  try {
    // Model A as a downloaded report file, model B as a share link.
    assert.equal(await analyzeFiles(s.page, FIXTURE), 'done');
    const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.click('[data-testid="download-json"]')]);
    const a = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(await analyzeFiles(s.page, fixture('nsfwjs_mobilenet_v2.safetensors')), 'done');
    const link = await shareLink(s.page);
    const [downloadB] = await Promise.all([s.page.waitForEvent('download'), s.page.click('[data-testid="download-json"]')]);
    const b = JSON.parse(readFileSync(await downloadB.path(), 'utf8'));

    // The main page links to the comparison.
    await s.page.click('a[href="compare.html"]');
    await s.page.waitForURL(/compare\.html$/);
    const page = s.page;
    await page.locator('[data-testid="compare-files"]').setInputFiles({ name: download.suggestedFilename(), mimeType: 'application/json', buffer: readFileSync(await download.path()) });
    await page.fill('[data-testid="compare-link"]', link);
    await page.click('[data-testid="compare-add"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="compare-table"] tbody tr').length === 2);
    const cells = await page.$$eval('[data-testid="compare-table"] tbody tr', trs => trs.map(tr =>
      [tr.querySelector('input[type="text"]').value, tr.querySelector('[data-key="alpha"]').textContent, tr.querySelector('[data-key="alpha_weighted"]').textContent]));
    const { num } = await import('../../web/js/report/format.js');
    assert.deepEqual(cells, [[a.model.files[0], num(a.summary.alpha, 4), num(a.summary.alpha_weighted, 4)],
                             [b.model.files[0], num(b.summary.alpha, 4), num(b.summary.alpha_weighted, 4)]]);
    const fitted = r => r.layers.filter(l => l.status === 'success').length;
    // Overlaid curves: a line and points per model.
    assert.equal(Number(await page.$eval('figure[data-plot-kind="compare-alpha"]', f => f.dataset.points)), 2 * (fitted(a) + fitted(b)));
    // The detX thesis overlaid: one point per fitted layer of each model (the share link keeps the gap).
    const gaps = r => r.layers.filter(l => l.status === 'success' && Number.isFinite(l.detX_gap_decades)).length;
    assert.equal(Number(await page.$eval('figure[data-plot-kind="compare-detx-gap"]', f => f.dataset.points)), gaps(a) + gaps(b));
    await (await page.$('figure[data-plot-kind="compare-detx-gap"]')).screenshot({ path: join(SCREENSHOTS, 'compare-detx-gap.png') });
    assert.equal(await page.$$eval('figure[data-plot-kind="compare-quality"]', f => f.length), 0, 'no quality plot before figures are typed');
    await page.fill('[data-testid="quality-0"]', '0.91');
    await page.press('[data-testid="quality-0"]', 'Enter');
    await page.fill('[data-testid="quality-1"]', '0.87');
    await page.press('[data-testid="quality-1"]', 'Tab');
    await page.waitForSelector('figure[data-plot-kind="compare-quality"]');
    assert.equal(await page.$eval('figure[data-plot-kind="compare-quality"]', f => f.dataset.points), '2');
    await page.selectOption('[data-testid="quality-axis"]', 'alphaHat');
    assert.match(await page.getAttribute('figure[data-plot-kind="compare-quality"] canvas', 'aria-label'), /mean α̂/);
    await page.screenshot({ path: join(SCREENSHOTS, 'compare.png'), fullPage: true });
    // A bad link is refused with a message; the two models stay.
    await page.fill('[data-testid="compare-link"]', 'https://example.org/#r=AAAA');
    await page.click('[data-testid="compare-add"]');
    await page.waitForSelector('[data-testid="error"]:not([hidden])');
    assert.match(await page.textContent('[data-testid="error"]'), /damaged/);
    assert.equal(await page.$$eval('[data-testid="compare-table"] tbody tr', trs => trs.length), 2);
    assert.deepEqual(s.consoleErrors, []);
  } finally {
    await s.close();
  }
});

// A compact report of `layers` layers of random (incompressible) results: a link too long to share.
function hugeCompactReport(layers) {
  const next = random(11);
  const col = f => Array.from({ length: layers }, (_, i) => f(i));
  return {
    format: 'weightscope-share', version: 1, model: { files: ['huge.safetensors'] }, summary: { alpha: 3 },
    layers: { name: col(i => `layer.${i}.${Math.floor(next() * 1e9).toString(36)}`), status: col(() => 'success'), type: col(() => 'dense'),
              N: col(() => 256), M: col(() => 128), index: col(i => i), alpha: col(() => 2 + 4 * next()), xmin: col(() => 1 + next()),
              xmax: col(() => 50 + 10 * next()), D: col(() => 0.2 * next()), num_pl_spikes: col(() => 48), num_evals: col(() => 128),
              norm: col(() => 1000 * next()), entropy: col(() => next()) },
    spectra: col(() => {
      const counts = Array.from({ length: 100 }, () => Math.floor(3 * next()));
      const n = counts.reduce((a, b) => a + b, 0), T = Math.min(48, n);
      let q = 0;
      const tq = Array.from({ length: T }, (_, j) => { const d = j ? Math.min(4095 - q, Math.floor(80 * next())) : 0; q += d; return d; });
      return [-1 - next(), null, counts, n, T, null, null, tq, []];
    }),
  };
}

test('past 2 MB the page offers the report file instead of a link', async () => {
  const s = await openPage({ isolation: true });
  try {
    await s.page.locator('[data-testid="file-input"]').setInputFiles({
      name: 'huge.weightscope.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(hugeCompactReport(12000))) });
    await opened(s.page);
    await s.page.click('[data-testid="share"]');
    await s.page.waitForFunction(() => document.getElementById('share-status').textContent, null, { timeout: 60000 });
    const length = Number(await s.page.getAttribute('[data-testid="share-url"]', 'data-length'));
    console.log(`12000-layer report: a ${length}-character link, over the 2 MB limit`);
    assert.ok(length > 2 * 1024 * 1024);
    assert.equal(await s.page.inputValue('[data-testid="share-url"]'), '');
    assert.match(await s.page.textContent('#share-status'), /more than browsers accept: use “Download JSON report”/);
    assert.equal(await s.page.isEnabled('[data-testid="download-json"]'), true);
  } finally {
    await s.close();
  }
});

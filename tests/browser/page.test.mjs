// The page in Chromium, with cross-origin isolation (the threaded builds, fma and mt) and without (st):
// every fixture gives the native CLI's layers, shards + index work, each plot kind draws data, the
// downloads parse and match, bad files show a readable error and the page stays usable, Cancel
// stops a run within a second, and no request leaves the page's own origin.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, compareReports, fixtureFiles, makeShards, nativeReport, safetensorsBytes, testData, writeSafetensors } from '../node/helpers.mjs';
import { SCREENSHOTS, analyzeFiles, openPage, slowModel, tableRows } from './harness.mjs';

const timings = {};
after(() => {
  const path = join(SCREENSHOTS, 'timings.json');
  let old = {};
  try { old = JSON.parse(readFileSync(path, 'utf8')); } catch {}
  writeFileSync(path, JSON.stringify({ ...old, ...timings }, null, 1) + '\n');
});

// The native CLI's CSV (--csv -) of a model.
function nativeCsv(path) {
  return execFileSync(CLI, ['analyze', path, '--csv', '-', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

async function downloadJson(page, testid) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${testid}"]`)]);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

// A sparse 4.8 GB file: one [60000, 20000] F32 tensor (over max_evals, skipped unread) and one small
// real layer after it. Only the header and the small tensor may be read.
function sparseHugeModel() {
  const small = 64 * 48;
  const data = new Float32Array(small);
  for (let i = 0; i < small; ++i) data[i] = Math.sin(i * 12.9898) * 0.5;
  return writeSafetensors(join(mkdtempSync(join(tmpdir(), 'ws-huge-')), 'huge.safetensors'),
                          [{ name: 'huge.weight', shape: [60000, 20000], nbytes: 60000 * 20000 * 4 },
                           { name: 'small.weight', shape: [64, 48], data }]);
}

// Chromium runs relaxed SIMD, so an isolated page loads the fma build; '?wasm=mt' asks for the
// threaded build without it (what browsers without relaxed SIMD get).
for (const [isolation, variant, query] of [[true, 'fma', ''], [true, 'mt', '?wasm=mt'], [false, 'st', '']]) {
  const mode = isolation ? `isolated (${variant})` : 'not isolated (st)';
  describe(`page, ${mode}`, () => {
    let s;
    before(async () => { s = await openPage({ isolation, query }); });
    after(async () => { await s?.close(); });

    test('loads the build that matches cross-origin isolation', async () => {
      const [coi, engine, text] = await s.page.evaluate(() =>
        [crossOriginIsolated, document.body.dataset.engine, document.querySelector('#engine').textContent]);
      assert.equal(coi, isolation);
      assert.equal(engine, variant);
      assert.match(text, isolation ? /threads/ : /single thread/);
      assert.equal(/fused multiply-add/.test(text), variant === 'fma');
    });

    for (const path of fixtureFiles()) {
      test(`${basename(path)}: the table equals the native CLI's report`, async () => {
        assert.equal(await analyzeFiles(s.page, path), 'done');
        const want = nativeReport(path);
        const rows = await tableRows(s.page);
        assert.deepEqual(rows.map(r => r.name), want.layers.map(l => l.name));
        for (let i = 0; i < rows.length; ++i) {
          const w = want.layers[i];
          if (w.status !== 'success') continue;
          // The table shows 4 significant digits.
          assert.ok(Math.abs(Number(rows[i].alpha) - w.alpha) <= 5e-4 * Math.abs(w.alpha), `${w.name}: ${rows[i].alpha} vs ${w.alpha}`);
          assert.equal(rows[i].warning, w.warning);
        }
        const got = JSON.parse((await downloadJson(s.page, 'download-json')).text);
        compareReports(assert, got, want, `${variant} ${basename(path)}`);
        timings[`${variant} ${basename(path)}`] = Number(await s.page.evaluate(() => document.body.dataset.seconds));
      });
    }

    // The other containers go through the same binding: each gives the native CLI's report.
    const otherFormats = [
      ['GGUF Q4_K', [testData('fixtures/gguf/nsfwjs_mobilenet_v2_micro_q4_k.gguf')]],
      ['PyTorch zip', [testData('fixtures/pytorch/nsfwjs_mobilenet_v2_micro.pt')]],
      ['PyTorch shards + index', readdirSync(testData('fixtures/pytorch/nsfwjs_mobilenet_v2_micro_f16_sharded'))
        .map(f => testData(`fixtures/pytorch/nsfwjs_mobilenet_v2_micro_f16_sharded/${f}`))],
      ['ONNX', [testData('fixtures/onnx/ch_ppocr_mobile_v2.0_cls_infer.onnx')]],
      ['npy', [testData('fixtures/lsa_debian_3k.npy')]],
    ];
    for (const [label, paths] of otherFormats) {
      test(`${label}: the page's report equals the native CLI's`, async () => {
        assert.equal(await analyzeFiles(s.page, paths), 'done');
        const got = JSON.parse((await downloadJson(s.page, 'download-json')).text);
        const want = nativeReport(paths);
        assert.equal(got.model.format, want.model.format);
        assert.ok(want.layers.length > 0);
        compareReports(assert, got, want, `${variant} ${label}`);
      });
    }

    test('shards + model.safetensors.index.json on the file input', async () => {
      const src = fixtureFiles().find(f => f.includes('ppocrv4'));
      const dir = makeShards(src, 2);
      assert.equal(await analyzeFiles(s.page, readdirSync(dir).map(f => join(dir, f))), 'done');
      const got = JSON.parse((await downloadJson(s.page, 'download-json')).text);
      compareReports(assert, got, nativeReport(src), `${variant} shards`);
      assert.equal(got.model.files.length, 2);
    });

    test('each plot kind renders with data, and saves as PNG and SVG', async () => {
      assert.equal(await analyzeFiles(s.page, fixtureFiles().find(f => f.includes('ppocrv4'))), 'done');
      await s.page.click('[data-testid="layer-table"] tr[data-name="conv2d_178"]');
      const kinds = await s.page.$$eval('#layer-plots figure', figs => figs.map(f => [f.dataset.plotKind, Number(f.dataset.points)]));
      assert.deepEqual(kinds.map(k => k[0]), ['esd-loglog', 'esd-loglin', 'esd-linlin', 'ks', 'alpha-xmin', 'tail-pdf', 'tail-ccdf', 'variance', 'mp-fit']);
      for (const [kind, points] of kinds) assert.ok(points > 5, `${kind} has ${points} data points`);
      // The canvas is not blank: it has plot-coloured pixels.
      const inked = await s.page.$$eval('#layer-plots canvas', cs => cs.map(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 2] > d[i] + 40) ++n;  // bluish pixels: bars/lines
        return n;
      }));
      for (const n of inked) assert.ok(n > 50, 'plot has drawn data');
      if (variant === 'fma') {
        await s.page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: false });
        const figs = await s.page.$$('#layer-plots figure');
        for (let i = 0; i < figs.length; ++i) await figs[i].screenshot({ path: join(SCREENSHOTS, `plot-${kinds[i][0]}.png`) });
        await (await s.page.$('#alpha-chart figure')).screenshot({ path: join(SCREENSHOTS, 'plot-alpha.png') });
        await (await s.page.$('#alpha-chart figure[data-plot-kind="detx-gap"]')).screenshot({ path: join(SCREENSHOTS, 'plot-detx-gap.png') });
      }
      const fig = s.page.locator('#layer-plots figure[data-plot-kind="ks"]');
      const [svgDownload] = await Promise.all([s.page.waitForEvent('download'), fig.locator('[data-testid="save-svg"]').click()]);
      const svgText = readFileSync(await svgDownload.path(), 'utf8');
      assert.match(svgText, /^<\?xml[\s\S]*<svg[\s\S]*<polyline[\s\S]*KS distance[\s\S]*<\/svg>\s*$/);
      assert.equal(svgDownload.suggestedFilename(), 'conv2d_178-ks.svg');
      const [pngDownload] = await Promise.all([s.page.waitForEvent('download'), fig.locator('[data-testid="save-png"]').click()]);
      const png = readFileSync(await pngDownload.path());
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
    });

    test('hovering a plot shows the values under the pointer', async () => {
      const canvas = s.page.locator('#layer-plots figure[data-plot-kind="ks"] canvas');
      const box = await canvas.boundingBox();
      let text = '';
      for (let x = box.x + 80; x < box.x + box.width - 20 && !text; x += 20) {
        await s.page.mouse.move(x, box.y + box.height / 2);
        text = await s.page.$eval('#layer-plots figure[data-plot-kind="ks"] .plot-tip', t => (t.hidden ? '' : t.textContent));
      }
      assert.match(text, /xmin = [\d.e-]+\s+D = [\d.e-]+/);
    });

    test("CSV download: one row per layer, each cell the JSON report's value, columns as the CLI's", async () => {
      const csv = (await downloadJson(s.page, 'download-csv')).text.trim().split('\n');
      const report = JSON.parse((await downloadJson(s.page, 'download-json')).text);
      assert.equal(csv.length, report.layers.length + 1);
      const columns = csv[0].split(',');
      assert.equal(csv[0], nativeCsv(fixtureFiles().find(f => f.includes('ppocrv4'))).split('\n')[0]);
      for (let i = 0; i < report.layers.length; ++i) {
        const cells = csv[i + 1].split(','), layer = report.layers[i];
        if (cells.length !== columns.length) continue;  // a quoted text cell holds a comma
        columns.forEach((key, c) => {
          const v = layer[key];
          if (typeof v === 'number') assert.equal(Number(cells[c]), v, `${layer.name} ${key}`);
          else if (typeof v === 'string') assert.equal(cells[c], v, `${layer.name} ${key}`);
          else if (v === undefined || v === null) assert.equal(cells[c], '', `${layer.name} ${key}`);
        });
      }
    });

    test('a truncated or corrupt file shows a readable error; the next file works', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ws-bad-'));
      const bytes = readFileSync(fixtureFiles()[0]);
      writeFileSync(join(dir, 'truncated.safetensors'), bytes.subarray(0, bytes.length - 5000));
      writeFileSync(join(dir, 'corrupt.safetensors'), Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0]), bytes.subarray(8, 4000)]));
      for (const name of ['truncated.safetensors', 'corrupt.safetensors']) {
        assert.equal(await analyzeFiles(s.page, join(dir, name)), 'error');
        const message = await s.page.textContent('[data-testid="error"]');
        assert.match(message, new RegExp(name.replace('.', '\\.')));
        assert.ok(message.length < 400 && !/abort|RuntimeError|undefined/.test(message), message);
      }
      assert.equal(await analyzeFiles(s.page, fixtureFiles()[0]), 'done');
      assert.equal(await s.page.isHidden('[data-testid="error"]'), true);
    });

    test('a long layer shows its phase and fraction; Cancel stops the run within a second, and the page runs the next file', async () => {
      const slow = slowModel();
      await s.page.locator('[data-testid="file-input"]').setInputFiles(slow);
      await s.page.waitForFunction(() => document.body.dataset.state === 'running');
      // In-layer progress (core: util/progress.h, through Module.wsProgress and the worker).
      await s.page.waitForFunction(() => /\b(gram|reduction|eigenvalues) \d+%/.test(document.querySelector('#progress-text').textContent),
                                   null, { timeout: 8000 });
      await s.page.waitForTimeout(300);
      assert.equal(await s.page.evaluate(() => document.body.dataset.state), 'running', 'still running when cancelled');
      const t0 = Date.now();
      await s.page.click('[data-testid="cancel"]');
      await s.page.waitForFunction(() => document.body.dataset.state === 'idle', null, { timeout: 1000 });
      assert.ok(Date.now() - t0 < 1000);
      assert.equal(await analyzeFiles(s.page, fixtureFiles()[0]), 'done');
    });

    test('a layer allocation plan downloads, computed by the core (AlphaPruning and TempBalance)', async () => {
      assert.equal(await analyzeFiles(s.page, fixtureFiles().find(f => f.includes('ppocrv4'))), 'done');
      const report = JSON.parse((await downloadJson(s.page, 'download-json')).text);
      await s.page.click('[data-testid="plan-box"] summary');
      const plan = JSON.parse((await downloadJson(s.page, 'plan-json')).text);
      assert.equal(plan.method, 'alphapruning');
      assert.equal(plan.metric, 'alpha_hill_peak');
      // Parameter-weighted mean sparsity = the target (AlphaPruning's renormalisation).
      const params = plan.layers.reduce((a, l) => a + l.params, 0);
      assert.ok(Math.abs(plan.layers.reduce((a, l) => a + l.params * l.ratio, 0) / params - 0.7) < 1e-12);
      const byName = new Map(report.layers.map(l => [l.name, l]));
      for (const l of plan.layers) assert.equal(l.metric, byName.get(l.name).alpha_hill_peak, `${l.name}: the report's metric`);
      await s.page.selectOption('[data-testid="plan-method"]', 'tempbalance');
      const csv = (await downloadJson(s.page, 'plan-csv')).text.trim().split('\n');
      assert.match(csv[0], /ratio/);
      assert.equal(csv.length - 1, JSON.parse((await downloadJson(s.page, 'plan-json')).text).layers.length);
      await s.page.selectOption('[data-testid="plan-method"]', 'alphapruning');
    });

    test('a file dropped on the drop zone is analyzed', async () => {
      const n = 40, m = 24, data = new Float32Array(n * m).map((_, i) => Math.cos(i * 0.37) + (i % 7) * 0.1);
      const bytes = safetensorsBytes([{ name: 'dropped.weight', shape: [n, m], data }]).toString('base64');
      const dt = await s.page.evaluateHandle(b64 => {
        const t = new DataTransfer();
        t.items.add(new File([Uint8Array.from(atob(b64), c => c.charCodeAt(0))], 'dropped.safetensors'));
        return t;
      }, bytes);
      const runs = Number(await s.page.evaluate(() => document.body.dataset.runs ?? 0));
      await s.page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
      await s.page.waitForFunction(n => Number(document.body.dataset.runs) > n && document.body.dataset.state === 'done', runs);
      assert.deepEqual((await tableRows(s.page)).map(r => r.name), ['dropped']);
    });

    test('a 4.8 GB (sparse) file is read lazily: only the header and the small layer', async () => {
      assert.equal(await analyzeFiles(s.page, sparseHugeModel()), 'done');
      assert.deepEqual((await tableRows(s.page)).map(r => r.name), ['small']);
      const report = JSON.parse((await downloadJson(s.page, 'download-json')).text);
      assert.equal(report.skipped[0].tensor, 'huge.weight');
      assert.match(report.skipped[0].reason, /max_evals|max_N/);
      assert.ok(report.model.total_bytes > 4.8e9);
    });

    test('the demo model opens with one click', async () => {
      const runs = Number(await s.page.evaluate(() => document.body.dataset.runs ?? 0));
      await s.page.click('[data-testid="demo"]');
      await s.page.waitForFunction(n => Number(document.body.dataset.runs) > n && document.body.dataset.state === 'done',
                                   runs, { timeout: 120000 });
      const rows = await tableRows(s.page);
      assert.deepEqual(rows.map(r => r.name), nativeReport(fixtureFiles().find(f => f.includes('ppocrv4'))).layers.map(l => l.name));
      if (variant === 'fma') {
        await s.page.screenshot({ path: join(SCREENSHOTS, 'demo-full.png'), fullPage: true });
        await s.page.evaluate(() => document.querySelector('#report').scrollIntoView());
        await s.page.screenshot({ path: join(SCREENSHOTS, 'demo-report.png') });
      }
    });

    test('no request leaves the page\'s own origin, and no console errors', () => {
      const origin = new URL(s.base).origin;
      const outside = s.requests.filter(u => !u.startsWith(origin + '/') && !u.startsWith(`blob:${origin}/`) && !u.startsWith('data:'));
      assert.deepEqual(outside, []);
      assert.deepEqual(s.consoleErrors, []);
    });
  });
}

// The embeddable report: docs/embed-example (a documentation-site page with <weightscope-report>
// elements and an iframe of web/embed.html) from a plain static server WITHOUT COOP/COEP headers,
// in headless Chromium. Saves tests/browser/screenshots/embed.png (docs/embed-screenshot.png is a copy).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../node/helpers.mjs';
import { SCREENSHOTS } from './harness.mjs';
import { launch, staticServer } from './static-host.mjs';

// Counts, per <weightscope-report id>, what its shadow root shows.
const shown = page => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('weightscope-report')].map(e => {
  const r = e.shadowRoot;
  return [e.id, { parts: [...r.querySelectorAll('[data-part]')].map(p => p.dataset.part),
                  figures: [...r.querySelectorAll('figure')].map(f => f.dataset.plotKind),
                  rows: r.querySelectorAll('tbody tr').length, cards: r.querySelectorAll('.card').length,
                  error: r.querySelector('.ws-error')?.textContent ?? null, note: r.querySelector('.ws-note')?.textContent ?? '' }];
})));

test('the embed example renders from a static host without isolation headers', async () => {
  const server = await staticServer();
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors = [], requests = [];
    page.on('pageerror', e => errors.push(String(e)));
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    context.on('request', r => requests.push(new URL(r.url()).pathname));
    const base = `http://127.0.0.1:${server.address().port}`;
    await page.goto(`${base}/docs/embed-example/index.html`);
    await page.waitForFunction(() => [...document.querySelectorAll('weightscope-report')].every(e => e.shadowRoot?.querySelector('[data-part]')));
    // The iframe reports its height; the resize script applies it.
    await page.waitForFunction(() => document.getElementById('frame').style.height !== '');
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false, 'served without COOP/COEP');

    const s = await shown(page);
    const report = JSON.parse(readFileSync(join(ROOT, 'docs/embed-example/ppocrv4_rec.weightscope.json'), 'utf8'));
    assert.deepEqual(s['summary-alpha'].parts, ['summary', 'alpha']);
    assert.equal(s['summary-alpha'].cards, 6);
    assert.deepEqual(s['summary-alpha'].figures, ['alpha', 'detx-gap']);
    assert.deepEqual(s['one-layer'].parts, ['layer']);
    assert.deepEqual(s['one-layer'].figures, ['esd-loglog', 'esd-loglin', 'esd-linlin', 'ks', 'alpha-xmin', 'tail-pdf', 'tail-ccdf', 'variance', 'mp-fit']);
    assert.equal(s.table.rows, report.spectra.length, 'one table row per layer');
    for (const v of Object.values(s)) assert.equal(v.error, null);
    assert.match(s.table.note, /approximated.*Approximated: tail eigenvalues/s, 'a report from the compact form says what it approximates');
    // A click on a table row draws that layer's plots under the table.
    await page.locator('#table tbody tr[data-name="conv2d_170"]').click();
    assert.equal((await shown(page)).table.figures.length, 9);

    // The iframe: the alpha chart, and a height that fits its content.
    const frame = page.frameLocator('#frame');
    await frame.locator('weightscope-report figure[data-plot-kind="alpha"]').waitFor();
    const frameHeight = await page.evaluate(() => document.getElementById('frame').getBoundingClientRect().height);
    const contentHeight = await page.frames().find(f => f.url().includes('embed.html')).evaluate(() => document.body.getBoundingClientRect().height);
    assert.ok(Math.abs(frameHeight - contentHeight) < 40, `iframe ${frameHeight}px for ${contentHeight}px of content`);

    assert.ok(!requests.some(p => /\.wasm$|weightscope-(st|mt)\.js|worker/.test(p)), 'no WebAssembly, no worker');
    // The top of the page (summary, alpha chart, the first plots of one layer) for the README.
    await page.screenshot({ path: join(SCREENSHOTS, 'embed.png'), fullPage: true, clip: { x: 0, y: 0, width: 1400, height: 1560 } });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test('the element takes data, inline JSON and fragment sources, and reports bad ones as text', async () => {
  const server = await staticServer();
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    const base = `http://127.0.0.1:${server.address().port}`;
    await page.goto(`${base}/web/embed.html`);  // loads the element; its own fragment is empty
    const fragment = readFileSync(join(ROOT, 'docs/embed-example/index.html'), 'utf8').match(/embed\.html(#r=[A-Za-z0-9_-]+)/)[1];
    const result = await page.evaluate(async fragment => {
      const tiny = { format: 'weightscope-report', version: 1, model: { files: ['tiny.safetensors'] }, summary: { alpha: 3.5, num_layers: 1 },
        layers: [{ index: 0, name: 'w', type: 'dense', status: 'success', N: 6, M: 5, alpha: 3.5, xmin: 2, xmax: 9, D: 0.1,
                   num_pl_spikes: 3, num_evals: 5,
                   spectra: { evals: [0.5, 1, 2, 4, 9], ks: { xmin: [0.5, 1, 2, 4], D: [0.3, 0.2, 0.1, 0.25], alpha: [1.6, 1.9, 3.5, 3.1] } } }], skipped: [] };
      const make = (attrs, child) => {
        const e = document.createElement('weightscope-report');
        for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
        if (child) e.append(child);
        return new Promise(resolve => {
          e.addEventListener('weightscope-load', () => resolve({ ok: true, rows: e.shadowRoot.querySelectorAll('tbody tr').length,
                                                                 figures: e.shadowRoot.querySelectorAll('figure').length }));
          e.addEventListener('weightscope-error', ev => resolve({ ok: false, message: ev.detail, shown: e.shadowRoot.textContent }));
          document.body.append(e);
        });
      };
      const script = document.createElement('script');
      script.type = 'application/json';
      script.textContent = JSON.stringify(tiny);
      return {
        data: await make({ data: JSON.stringify(tiny), part: 'table layer' }),
        inline: await make({ part: 'table' }, script),
        fragment: await make({ fragment, part: 'table' }),
        missing: await make({ src: 'nope.json' }),
        badJson: await make({ data: '{"format": ' }),
        badSchema: await make({ data: JSON.stringify({ ...tiny, version: 7 }) }),
        badLayer: await make({ data: JSON.stringify(tiny), part: 'layer', layer: '<b>x</b>' }),
      };
    }, fragment);
    assert.deepEqual(result.data, { ok: true, rows: 1, figures: 8 });
    assert.deepEqual(result.inline, { ok: true, rows: 1, figures: 0 });
    assert.equal(result.fragment.rows, 41);
    assert.match(result.missing.message, /could not be loaded \(HTTP 404\)/);
    assert.match(result.badJson.message, /not valid JSON/);
    assert.match(result.badSchema.message, /version 7 is not supported/);
    assert.match(result.badSchema.shown, /version 7 is not supported/);
    assert.equal(result.badLayer.ok, true);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

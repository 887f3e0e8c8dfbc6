// Untrusted text stays text: a model whose tensor names and __metadata__ hold HTML and script, and
// a crafted share link, are shown literally on the analyzer page, in its share links, in
// embed.html and in <weightscope-report> on a page without any CSP; no payload runs (each would set
// window.__pwned or open a dialog).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { safetensorsBytes } from '../node/helpers.mjs';
import { random } from '../node/share-helpers.mjs';
import { analyzeFiles, openPage, shareLink } from './harness.mjs';
import { launch, staticServer } from './static-host.mjs';

const IMG = '<img src=x onerror="window.__pwned=1;alert(1)">';
const SCRIPT = '<script>window.__pwned=2;alert(2)</script>';
const SVG = '<svg onload="window.__pwned=3">';
const NAMES = [`${IMG}`, `a${SCRIPT}b`, `${SVG}&amp;"quoted"`];
const METADATA = { format: 'pt', '<b>key</b>': IMG, note: `${SCRIPT}${SVG}` };

function craftedModel() {
  const next = random(3);
  const tensors = NAMES.map(name => {
    const data = new Float32Array(48 * 24).map(() => (next() - 0.5) * next() ** -0.6);
    return { name: `${name}.weight`, shape: [48, 24], data };
  });
  return safetensorsBytes(tensors, METADATA);
}

// Watches a page for payloads: dialogs, and the flag (read at the end).
function watch(page) {
  const dialogs = [];
  page.on('dialog', d => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return {
    async assertClean(label) {
      const flag = await page.evaluate(() => window.__pwned);
      assert.equal(flag, undefined, `${label}: a payload ran`);
      assert.deepEqual(dialogs, [], `${label}: a payload opened a dialog`);
      // No element from the payloads exists anywhere, shadow roots included.
      const injected = await page.evaluate(() => {
        const all = root => [...root.querySelectorAll('*')].flatMap(e => [e, ...(e.shadowRoot ? all(e.shadowRoot) : [])]);
        return all(document).filter(e => ['IMG', 'SVG', 'B'].includes(e.tagName.toUpperCase()) ||
                                          (e.tagName === 'SCRIPT' && /pwned/.test(e.textContent))).length;
      });
      assert.equal(injected, 0, `${label}: payload elements in the DOM`);
    },
  };
}

// All text of the page, shadow roots included.
const allText = page => page.evaluate(() => {
  const text = root => [...root.querySelectorAll('*')].map(e => (e.shadowRoot ? text(e.shadowRoot) : '')).join(' ') + (root.body ?? root).textContent;
  return text(document);
});

test('HTML in tensor names and metadata is shown as text, in the page, its share link and the embed', async () => {
  const s = await openPage({ isolation: true });
  const w = watch(s.page);
  try {
    await s.page.locator('[data-testid="file-input"]').setInputFiles({ name: 'crafted.safetensors', mimeType: 'application/octet-stream', buffer: craftedModel() });
    await s.page.waitForFunction(() => document.body.dataset.state !== 'running');
    assert.equal(await s.page.evaluate(() => document.body.dataset.state), 'done');
    const names = await s.page.$$eval('[data-testid="layer-table"] tbody tr', trs => trs.map(tr => tr.dataset.name));
    assert.deepEqual(names.sort(), [...NAMES].sort(), 'names literally, as data');
    const cells = await s.page.$$eval('[data-testid="layer-table"] tbody td:nth-child(2)', tds => tds.map(td => td.textContent));
    assert.deepEqual(cells.sort(), [...NAMES].sort(), 'names literally, as text');
    for (const name of NAMES) await s.page.click(`[data-testid="layer-table"] tbody tr[data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
    assert.match(await s.page.textContent('#layer-plots-title'), /Layer .*(svg|img|script)/);
    // The SVG export escapes the title.
    const [svg] = await Promise.all([s.page.waitForEvent('download'), s.page.click('#layer-plots figure [data-testid="save-svg"]')]);
    const svgText = readFileSync(await svg.path(), 'utf8');
    assert.ok(!/<(img|script|svg onload)/.test(svgText.replace(/^<\?xml[^>]*>\s*<svg /, '')), 'no raw markup in the SVG file');
    await w.assertClean('analyzer page');

    const link = await shareLink(s.page);
    const payload = link.slice(link.indexOf('#'));

    const context = await s.page.context().browser().newContext({ serviceWorkers: 'block' });
    try {
      const shared = await context.newPage();
      const ws = watch(shared);
      await shared.goto(link);
      await shared.waitForFunction(() => document.body.dataset.source === 'link');
      const sharedNames = await shared.$$eval('[data-testid="layer-table"] tbody td:nth-child(2)', tds => tds.map(td => td.textContent));
      assert.deepEqual(sharedNames.sort(), [...NAMES].sort());
      await ws.assertClean('shared link');

      // embed.html shows the metadata too (summary part), and one crafted layer's plots.
      const embed = await context.newPage();
      const we = watch(embed);
      await embed.goto(`${s.base}embed.html${payload}&part=summary+table+layer&layer=${encodeURIComponent(NAMES[0])}`);
      await embed.waitForFunction(() => document.querySelector('weightscope-report').shadowRoot.querySelector('[data-part="layer"] figure'));
      await embed.locator('weightscope-report details.ws-meta summary').click();
      const text = await allText(embed);
      for (const v of [...NAMES, IMG, SCRIPT, '<b>key</b>']) assert.ok(text.includes(v), `shown literally: ${v}`);
      await we.assertClean('embed.html');
    } finally {
      await context.close();
    }
  } finally {
    await s.close();
  }
});

// A share link made by hand: HTML and script in every string field a renderer shows.
function craftedLink() {
  const compact = {
    format: 'weightscope-share', version: 1, generator: `gen ${SVG}`,
    model: { files: [`${IMG}.safetensors`], format: SCRIPT, metadata: { [IMG]: SCRIPT } },
    summary: { alpha: 3, num_layers: 2 },
    layers: { name: [IMG, SCRIPT], type: ['dense', SVG], status: ['success', 'failed'], failure_reason: [null, IMG],
              warning: [SCRIPT, null], N: [8, 8], M: [6, 6], alpha: [3, null], xmin: [2, null], xmax: [9, null], D: [0.1, null],
              num_pl_spikes: [3, null], num_evals: [6, 6] },
    spectra: [[0, 1, [1, 1, 1, 1, 1, 1], 6, 3, null, null, [0, 2000, 2095], []], null],
    skipped: { name: [SCRIPT], tensor: [IMG], shape: [[1]], dtype: [SVG], reason: [IMG] },
  };
  return '#r=' + deflateRawSync(JSON.stringify(compact)).toString('base64url');
}

test('a crafted share link runs nothing, on the analyzer page, embed.html and a page without CSP', async () => {
  const fragment = craftedLink();
  const s = await openPage({ isolation: false });
  const server = await staticServer();
  const browser = await launch();
  try {
    const w = watch(s.page);
    await s.page.goto(`${s.base}#x`);
    await s.page.evaluate(f => { location.hash = f; }, fragment);  // a link pasted into an open page
    await s.page.waitForFunction(() => document.body.dataset.source === 'link');
    const text = await allText(s.page);
    for (const v of [IMG, SCRIPT, `${IMG}.safetensors`]) assert.ok(text.includes(v), `shown literally: ${v}`);
    await s.page.click('summary');  // the skipped tensors, if folded
    await w.assertClean('analyzer page');

    // <weightscope-report> on a page with no CSP at all (a docs site): only textContent protects it.
    const page = await browser.newPage();
    const wd = watch(page);
    await page.goto(`http://127.0.0.1:${server.address().port}/docs/embed-example/index.html`);
    await page.evaluate(f => {
      const e = document.createElement('weightscope-report');
      e.id = 'crafted';
      e.setAttribute('fragment', f);
      e.setAttribute('part', 'summary alpha table layer skipped');
      e.setAttribute('layer', '<img src=x onerror="window.__pwned=1;alert(1)">');
      document.body.prepend(e);
    }, fragment);
    await page.waitForFunction(() => document.getElementById('crafted').shadowRoot.querySelector('[data-part="layer"] figure'));
    await page.locator('#crafted details.ws-meta summary').click();
    await page.locator('#crafted tbody tr').nth(1).click();
    const shown = await page.evaluate(() => document.getElementById('crafted').shadowRoot.textContent);
    for (const v of [IMG, SCRIPT, SVG, `gen ${SVG}`]) assert.ok(shown.includes(v), `shown literally: ${v}`);
    await wd.assertClean('page without CSP');
    await page.close();
  } finally {
    await browser.close();
    server.close();
    await s.close();
  }
});

// Browser test harness: the page served by scripts/serve.mjs (with or without cross-origin
// isolation) in Debian's Chromium driven by playwright-core. Never downloads a browser.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../scripts/serve.mjs';
import { ROOT, writeSafetensors } from '../node/helpers.mjs';
import { launch } from './static-host.mjs';

export const SCREENSHOTS = join(ROOT, 'tests/browser/screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

// query: the page address's query, e.g. '?wasm=mt' to ask for a build other than the default.
export async function openPage({ isolation, serviceWorkers = 'block', query = '' }) {
  const server = await startServer({ port: 0, isolation });
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 },
                                             serviceWorkers });
  const page = await context.newPage();
  const requests = [];
  context.on('request', r => requests.push(r.url()));
  const consoleErrors = [];
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', e => consoleErrors.push(String(e)));
  await page.goto(base + query);
  await page.waitForFunction(() => document.body.dataset.engine);
  return {
    page, context, base, requests, consoleErrors,
    async close() {
      await browser.close();
      await new Promise(r => server.close(r));
    },
  };
}

// Sets files on the file input and waits until the run ends; returns the final state.
export async function analyzeFiles(page, paths, { testid = 'file-input', timeout = 120000 } = {}) {
  await page.locator(`[data-testid="${testid}"]`).setInputFiles(paths);
  await page.waitForFunction(() => document.body.dataset.state !== 'running', null, { timeout });
  return page.evaluate(() => document.body.dataset.state);
}

// The layer table as [{name, alpha, warning}] in report order (sorted by #, no filter).
export async function tableRows(page) {
  return page.$$eval('[data-testid="layer-table"] tbody tr', trs => trs.map(tr => {
    const cells = [...tr.children].map(td => td.textContent);
    const head = [...tr.closest('table').querySelectorAll('thead th')].map(th => th.dataset.key);
    return Object.fromEntries(head.map((k, i) => [k, cells[i]]));
  }));
}

// Presses "Copy share link" and returns the link once the page has made it.
export async function shareLink(page) {
  await page.click('[data-testid="share"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="share-url"]').value.length > 0);
  return page.inputValue('[data-testid="share-url"]');
}

// A safetensors file of a few large random matrices: slow enough (seconds per layer) to cancel.
export function slowModel() {
  const n = 2000, count = 4;  // above the side-by-side size (M <= 1536): each layer uses the whole pool
  let seed = 1;
  const tensors = Array.from({ length: count }, (_, i) => {
    const data = new Float32Array(n * n);
    for (let k = 0; k < data.length; ++k) { seed = (seed * 1103515245 + 12345) >>> 0; data[k] = seed / 2 ** 32 - 0.5; }
    return { name: `layer${i}.weight`, shape: [n, n], data };
  });
  return writeSafetensors(join(mkdtempSync(join(tmpdir(), 'ws-slow-')), 'slow.safetensors'), tensors);
}

// Browser test harness: the page served by scripts/serve.mjs (with or without cross-origin
// isolation) in Debian's Chromium driven by playwright-core. Never downloads a browser.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';
import { ROOT } from '../node/helpers.mjs';

export const SCREENSHOTS = join(ROOT, 'tests/browser/screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

export async function openPage({ isolation, serviceWorkers = 'block' }) {
  const server = await startServer({ port: 0, isolation });
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.WS_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 },
                                             serviceWorkers });
  const page = await context.newPage();
  const requests = [];
  context.on('request', r => requests.push(r.url()));
  const consoleErrors = [];
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', e => consoleErrors.push(String(e)));
  await page.goto(base);
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

// The page once loaded works offline (service worker cache), and a WebAssembly build that fails to
// load gives a readable error instead of a restart loop; the page recovers when it can load again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureFiles } from '../node/helpers.mjs';
import { analyzeFiles, openPage, tableRows } from './harness.mjs';

test('after one visit the page loads and analyzes a file offline', async () => {
  const s = await openPage({ isolation: true, serviceWorkers: 'allow' });
  try {
    // The install step caches the whole shell; the wasm build is cached as the worker fetches it.
    await s.page.evaluate(() => navigator.serviceWorker.ready);
    await s.page.reload();
    await s.page.waitForFunction(() => navigator.serviceWorker.controller && document.body.dataset.engine);
    await s.context.setOffline(true);
    await s.page.reload();
    await s.page.waitForFunction(() => document.body.dataset.engine === 'fma');
    assert.equal(await s.page.evaluate(() => navigator.onLine), false);
    assert.equal(await analyzeFiles(s.page, fixtureFiles()[0]), 'done');
    assert.ok((await tableRows(s.page)).length > 10);
    // Modules the first visit never imported come from the cache too.
    const compare = await s.page.evaluate(async () => (await fetch('js/compare/compare.js')).ok);
    assert.equal(compare, true);
  } finally {
    await s.close();
  }
});

test('a WebAssembly build that cannot load gives one readable error, no restart loop', async () => {
  const s = await openPage({ isolation: false });
  try {
    let workerLoads = 0;
    s.context.on('request', r => { if (/js\/worker\.js$/.test(r.url())) ++workerLoads; });
    await s.context.route('**/weightscope-st.wasm', route => route.abort());
    await s.context.route('**/js/worker.js', route => route.fulfill({ status: 404, body: '' }));
    await s.page.reload();
    await s.page.waitForFunction(() => document.body.dataset.state === 'error');
    const message = await s.page.textContent('[data-testid="error"]');
    assert.match(message, /worker|WebAssembly/);
    await s.page.waitForTimeout(1500);
    assert.ok(workerLoads <= 2, `worker loaded ${workerLoads} times`);
    // Reachable again: the next file starts a fresh worker and runs.
    await s.context.unroute('**/js/worker.js');
    await s.context.unroute('**/weightscope-st.wasm');
    assert.equal(await analyzeFiles(s.page, fixtureFiles()[0]), 'done');
    assert.equal(await s.page.isHidden('[data-testid="error"]'), true);
  } finally {
    await s.close();
  }
});

// The page's engine (web/js/engine.js) in Chromium, cross-origin isolated: the worker and its wasm
// build are ready before any file is chosen and serve run after run; each layer crosses from the
// worker once and the assembled report is the core's; no message of a cancelled or replaced run
// reaches the next one, on the page and with scripted workers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareReports, fixtureFiles, nativeReport } from '../node/helpers.mjs';
import { analyzeFiles, openPage, slowModel, tableRows } from './harness.mjs';

// Records what crosses between the page and its analysis workers (the pthreads are the worker's own).
function recordWorkers() {
  const Native = window.Worker;
  window.__workers = 0;
  window.__posted = [];
  window.__received = [];
  window.Worker = class extends Native {
    constructor(url, options) {
      super(url, options);
      const worker = ++window.__workers;
      this.addEventListener('message', ({ data: m }) => window.__received.push({
        worker, type: m.type, run: m.run ?? null, name: m.layer?.name ?? m.skipped?.tensor ?? null,
        doneLayers: m.type === 'done' ? m.report.layers : undefined, doneSkipped: m.type === 'done' ? m.report.skipped : undefined }));
    }
    postMessage(m, ...rest) {
      window.__posted.push({ type: m.type, run: m.run ?? null });
      return super.postMessage(m, ...rest);
    }
  };
}

const body = (page, key) => page.evaluate(k => document.body.dataset[k], key);

async function downloadReport(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-json"]')]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

// Every name a table row showed from now on (rows are re-created as the table redraws).
const watchRows = page => page.evaluate(() => {
  window.__rowsSeen = new Set();
  const table = document.querySelector('#layer-table');
  new MutationObserver(records => {
    for (const r of records) for (const n of r.addedNodes) if (n.dataset?.name !== undefined) window.__rowsSeen.add(n.dataset.name);
  }).observe(table, { childList: true, subtree: true });
});

describe('engine, isolated (mt)', () => {
  let s, wasmRequests;
  before(async () => {
    s = await openPage({ isolation: true });
    await s.page.addInitScript(recordWorkers);
    const from = s.requests.length;
    await s.page.reload();
    await s.page.waitForFunction(() => document.body.dataset.engineStatus === 'ready');
    wasmRequests = () => s.requests.slice(from).filter(u => /weightscope-fma\.wasm$/.test(u)).length;
  });
  after(async () => { await s?.close(); });

  test('the worker is ready before the first file, and one worker serves run after run', async () => {
    // No file chosen yet: the worker is up and its module compiled.
    assert.equal(await body(s.page, 'engineStatus'), 'ready');
    assert.equal(await body(s.page, 'state'), 'idle');
    assert.equal(await body(s.page, 'engine'), 'fma');
    assert.equal(wasmRequests(), 1, 'the wasm build was fetched before any file');
    assert.deepEqual(await s.page.evaluate(() => window.__posted), [{ type: 'init', run: null }]);
    assert.deepEqual(await s.page.evaluate(() => window.__received.map(m => m.type)), ['ready']);

    const [a, b] = fixtureFiles();
    for (const path of [a, b, a]) {
      assert.equal(await analyzeFiles(s.page, path), 'done');
      assert.deepEqual((await tableRows(s.page)).map(r => r.name), nativeReport(path).layers.map(l => l.name), basename(path));
    }
    assert.equal(await s.page.evaluate(() => window.__workers), 1, 'no new worker between runs');
    assert.equal(wasmRequests(), 1, 'the module was compiled once');
    const posted = await s.page.evaluate(() => window.__posted);
    assert.deepEqual(posted.map(m => m.type), ['init', 'request', 'request', 'request']);
    assert.equal(new Set(posted.slice(1).map(m => m.run)).size, 3, 'a run id per request');
  });

  test('each layer crosses from the worker once, and the assembled report is the core\'s', async () => {
    const path = fixtureFiles().find(f => f.includes('ppocrv4'));
    const want = nativeReport(path);
    await s.page.evaluate(() => { window.__received = []; });
    assert.equal(await analyzeFiles(s.page, path), 'done');
    const got = await downloadReport(s.page);
    const received = await s.page.evaluate(() => window.__received);
    const run = received.find(m => m.type === 'done').run;
    const of = type => received.filter(m => m.run === run && m.type === type).map(m => m.name);
    assert.deepEqual(of('layer'), want.layers.map(l => l.name), 'one layer message per layer, in order');
    assert.deepEqual(of('skipped'), want.skipped.map(x => x.tensor), 'one skipped message per skipped tensor');
    const done = received.find(m => m.type === 'done');
    assert.equal(done.doneLayers, null, 'the end of the run does not carry the layers again');
    assert.equal(done.doneSkipped, null);

    // The report the page assembled equals the native CLI's: same fields in the same order.
    assert.deepEqual(Object.keys(got), Object.keys(want));
    compareReports(assert, got, want, 'page report');
    assert.deepEqual(got.model, want.model);
    const { threads: _t, ...options } = got.options, { threads: _w, ...wantOptions } = want.options;
    assert.deepEqual(options, wantOptions);
    assert.deepEqual(Object.keys(got.summary), Object.keys(want.summary));
    for (const [key, value] of Object.entries(want.summary)) {
      if (key === 'seconds') continue;
      if (typeof value === 'number') assert.ok(Math.abs(got.summary[key] - value) <= 1e-9 * Math.max(1, Math.abs(value)), `summary ${key}`);
      else assert.deepEqual(got.summary[key], value, `summary ${key}`);
    }
    for (const k of ['format', 'version', 'generator']) assert.equal(got[k], want[k]);
  });

  for (const how of ['cancelled', 'replaced']) {
    test(`a stale message cannot reach a new run (first run ${how})`, async () => {
      const second = fixtureFiles()[0];
      const runs = Number(await body(s.page, 'runs'));
      await s.page.locator('[data-testid="file-input"]').setInputFiles(slowModel());
      // The first run has shown a layer of its own (rows come in while running) when the second starts.
      await s.page.waitForFunction(() => document.body.dataset.state === 'running' &&
                                         document.querySelector('[data-testid="layer-table"] tbody tr[data-name="layer0"]'),
                                   null, { timeout: 60000 });
      if (how === 'cancelled') {
        await s.page.click('[data-testid="cancel"]');
        assert.equal(await body(s.page, 'state'), 'idle');
        // A cancelled run's layers stay shown until the next run starts.
        assert.deepEqual((await tableRows(s.page)).map(r => r.name).slice(0, 1), ['layer0']);
      }
      await watchRows(s.page);
      // At once: the fresh worker is still loading, the old one may have been mid-layer.
      await s.page.locator('[data-testid="file-input"]').setInputFiles(second);
      await s.page.waitForFunction(n => Number(document.body.dataset.runs) === n + 2 && document.body.dataset.state !== 'running',
                                   runs, { timeout: 60000 });
      assert.equal(await body(s.page, 'state'), 'done');
      const names = nativeReport(second).layers.map(l => l.name);
      assert.deepEqual((await tableRows(s.page)).map(r => r.name), names);
      const seen = await s.page.evaluate(() => [...window.__rowsSeen]);
      assert.deepEqual(seen.filter(n => /^layer\d$/.test(n)), [], 'no row of the first model after the second started');
      assert.deepEqual((await downloadReport(s.page)).layers.map(l => l.name), names);
      assert.match(await s.page.textContent('#model-name'), new RegExp(basename(second).replace('.', '\\.')));
    });
  }

  test('the engine delivers only the current run\'s messages (scripted workers)', async () => {
    const result = await s.page.evaluate(async () => {
      const { createEngine } = await import('./js/engine.js');
      const workers = [];
      const spawn = () => {
        const w = { posted: [], terminated: false, postMessage(m) { this.posted.push([m.type, m.run ?? null]); },
                    terminate() { this.terminated = true; }, emit(data) { this.onmessage?.({ data }); } };
        workers.push(w);
        return w;
      };
      const statuses = [];
      const engine = createEngine({ variant: 'st', threads: 1, spawn, onStatus: e => statuses.push(e.status) });
      const got = [];
      const handlers = tag => ({
        model: r => got.push([tag, 'model', r.model.files.join()]),
        layer: (l, r) => got.push([tag, 'layer', l.name, r.layers.length]),
        skipped: x => got.push([tag, 'skipped', x.tensor]),
        done: r => got.push([tag, 'done', r.layers.map(l => l.name).join(), Object.keys(r).join()]),
        error: m => got.push([tag, 'error', m]),
      });
      const head = { format: 'weightscope-report', version: 1, model: {}, summary: {}, layers: null, skipped: null };
      const done = (run, layers, skipped = 0) => ({ type: 'done', run, report: head, counts: { layers, skipped }, elapsed: 0 });
      const files = name => ({ models: [{ name }] });

      engine.start();                                   // before any file
      workers[0].emit({ type: 'ready', variant: 'st', threads: 1 });
      const a = engine.run(files('a.safetensors'), handlers('a'));
      workers[0].emit({ type: 'layer', run: a.id, layer: { name: 'a0' } });
      engine.cancel();                                  // worker 0 goes, worker 1 loads
      const b = engine.run(files('b.safetensors'), handlers('b'));
      workers[0].emit({ type: 'layer', run: a.id, layer: { name: 'a1' } });   // late, from the old worker
      workers[0].emit(done(a.id, 2));
      workers[1].emit({ type: 'ready', variant: 'st', threads: 1 });
      workers[1].emit({ type: 'layer', run: a.id, layer: { name: 'a2' } });   // an old run id on the new worker
      workers[1].emit({ type: 'model', run: b.id, model: { files: ['b.safetensors'] } });
      workers[1].emit({ type: 'layer', run: b.id, layer: { name: 'b0' } });
      workers[1].emit({ type: 'skipped', run: b.id, skipped: { tensor: 'b1.weight' } });
      workers[1].emit(done(b.id, 1, 1));
      const c = engine.run(files('c.safetensors'), handlers('c'));           // the same worker again
      workers[1].emit({ type: 'layer', run: b.id, layer: { name: 'b-late' } });
      workers[1].emit({ type: 'layer', run: c.id, layer: { name: 'c0' } });
      const d = engine.run(files('d.safetensors'), handlers('d'));           // replaces c while it runs
      workers[1].emit({ type: 'layer', run: c.id, layer: { name: 'c1' } });
      workers[2].emit({ type: 'error', run: c.id, message: 'late error of c' });
      workers[2].emit({ type: 'layer', run: d.id, layer: { name: 'd0' } });
      workers[2].emit(done(d.id, 2));                                        // a layer is missing
      return { got, ids: [a.id, b.id, c.id, d.id], statuses, workers: workers.map(w => ({ posted: w.posted, terminated: w.terminated })) };
    });
    const [a, b, c, d] = result.ids;
    assert.equal(new Set(result.ids).size, 4);
    assert.deepEqual(result.got, [
      ['a', 'layer', 'a0', 1],
      ['b', 'model', 'b.safetensors'],
      ['b', 'layer', 'b0', 1],
      ['b', 'skipped', 'b1.weight'],
      ['b', 'done', 'b0', 'format,version,model,summary,layers,skipped'],
      ['c', 'layer', 'c0', 1],
      ['d', 'layer', 'd0', 1],
      ['d', 'error', 'internal error: the worker sent 1 of 2 layers and 0 of 0 skipped tensors'],
    ]);
    assert.deepEqual(result.workers, [
      { posted: [['init', null], ['request', a]], terminated: true },
      { posted: [['init', null], ['request', b], ['request', c]], terminated: true },
      { posted: [['init', null], ['request', d]], terminated: false },
    ]);
    assert.deepEqual(result.statuses, ['loading', 'ready', 'loading', 'ready', 'loading']);
  });

  test('no console errors', () => {
    assert.deepEqual(s.consoleErrors, []);
  });
});

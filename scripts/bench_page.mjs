// scripts/bench helper: the real page (scripts/serve.mjs, cross-origin isolated, so the threaded
// build) in Debian's Chromium, driven by playwright-core; one fresh browser per call. Times, from
// the page's and the worker's performance marks (web/js/engine.js, web/js/worker.js):
//   load     navigation -> the engine's worker spawned -> its module compiled -> 'ready' on the page
//   run      the file input's change ('ws:run-start') -> the frame after the final report is drawn
//   worker   open, step (wasm, file reads included), parse, summary, post, report (ms, summed)
//   page     deserialize (message data) and handle (store and rendering JS), from 'ws:run-done';
//            layout, style and all main-thread tasks from the DevTools Performance metrics
//   memory   the wasm memory at the end (it never shrinks: its peak) and the renderer's peak RSS
// --profile: a CPU profile of the page's main thread over the run (its top JS functions by self
// time) and a Chrome trace (its top events by self time on the page's main thread and the worker's);
// both slow the run down, so time a run without it.
// usage: node scripts/bench_page.mjs [--profile] FILE...   -> one JSON line on stdout
import { readFileSync, readdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const files = args.filter(a => a !== '--profile');

// Resident set of a process and of its descendants, by pid, from /proc.
function processTree(root) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {}  // gone meanwhile
  }
  const out = [];
  const walk = pid => { out.push(pid); for (const c of children.get(pid) ?? []) walk(c); };
  walk(root);
  return out;
}
const rssMb = pid => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return 0;
  }
};

// After the run's last message: a frame (rAF: style, layout, paint follow it), then a task after
// that frame, where 'ws:bench-painted' is marked.
function markPaintedAfterRun() {
  new MutationObserver(() => {
    const state = document.body.dataset.state;
    if (state === 'done' || state === 'error')
      requestAnimationFrame(() => setTimeout(() => performance.mark('ws:bench-painted')));
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
}

const server = await startServer({ port: 0, isolation: true });
const browser = await chromium.launch({
  executablePath: process.env.WS_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let peakRss = 0, sampler = null;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  await page.addInitScript(markPaintedAfterRun);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  // The renderer holds the page, its worker and the wasm memory: the largest of the browser's
  // processes, which are this script's descendants.
  sampler = setInterval(() => {
    for (const pid of processTree(process.pid).slice(1)) peakRss = Math.max(peakRss, rssMb(pid));
  }, 100);

  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => document.body.dataset.engine, null, { timeout: 120000 });
  const worker = await (async () => {
    for (let i = 0; i < 100; ++i) {
      const w = page.workers().find(x => /\/js\/worker\.js$/.test(x.url()));
      if (w) return w;
      await page.waitForTimeout(50);
    }
    throw new Error('the engine worker was not found');
  })();
  const pageMarks = () => page.evaluate(() => Object.fromEntries(
    performance.getEntriesByType('mark').map(m => [m.name, { t: m.startTime, detail: m.detail }])));
  // Worker mark times on the page's clock (their time origins differ).
  const workerMarks = () => worker.evaluate(() => Object.fromEntries(
    performance.getEntriesByType('mark').map(m => [m.name, { t: m.startTime + performance.timeOrigin, detail: m.detail }])));
  const pageOrigin = await page.evaluate(() => performance.timeOrigin);
  const loadMarks = await pageMarks(), loadWorker = await workerMarks();
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map(m => [m.name, m.value]));

  const before = await metrics();
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'v8', 'blink', 'cc'] });
  }
  await page.locator('[data-testid="file-input"]').setInputFiles(files);
  await page.waitForFunction(() => performance.getEntriesByName('ws:bench-painted').length > 0, null,
                             { timeout: Number(process.env.WS_BENCH_PAGE_TIMEOUT ?? 3600) * 1000, polling: 100 });
  const after = await metrics();
  let top = null;
  if (profile) {
    const { profile: p } = await cdp.send('Profiler.stop');
    top = { js: profileTop(p), trace: traceTop(JSON.parse(await browser.stopTracing())) };
  }
  const marks = await pageMarks(), wmarks = await workerMarks();
  const state = await page.evaluate(() => document.body.dataset.state);
  const layers = await page.evaluate(() => document.querySelectorAll('[data-testid="layer-table"] tbody tr').length);
  const ms = (a, b) => b - a;
  const wt = name => loadWorker[name].t - pageOrigin;  // worker mark on the page's clock
  const delta = k => (after[k] - before[k]) * 1000;  // metrics are in seconds
  const out = {
    state, layers, errors,
    variant: await page.evaluate(() => document.body.dataset.engine),
    load: {
      total: loadMarks['ws:engine-ready'].t,
      page_scripts: loadMarks['ws:engine-start'].t,
      worker_spawn: ms(loadMarks['ws:engine-start'].t, wt('ws:worker-init')),
      compile: ms(wt('ws:worker-init'), wt('ws:worker-ready')),
      ready_message: ms(wt('ws:worker-ready'), loadMarks['ws:engine-ready'].t),
    },
    run: ms(marks['ws:run-start'].t, marks['ws:bench-painted'].t),
    to_done: ms(marks['ws:run-start'].t, marks['ws:run-done'].t),
    worker: wmarks['ws:run-phases'].detail,
    page: {
      ...marks['ws:run-done'].detail,
      layout: delta('LayoutDuration'), style: delta('RecalcStyleDuration'), script: delta('ScriptDuration'),
      main_thread_tasks: delta('TaskDuration'),
    },
    memory: { wasm_mb: wmarks['ws:run-phases'].detail.wasmBytes / 2 ** 20, renderer_rss_mb: peakRss,
              js_heap_mb: after.JSHeapUsedSize / 2 ** 20 },
    profile: top,
  };
  console.log(JSON.stringify(out));
} finally {
  clearInterval(sampler);
  await browser.close();
  await new Promise(r => server.close(r));
}

// Self time per event name (ms) on the renderer's main thread and on the engine's worker thread,
// the 12 largest of each, from a Chrome trace: complete events ('X') nest by time on their thread.
function traceTop({ traceEvents: events }) {
  const names = new Map(events.filter(e => e.ph === 'M' && e.name === 'thread_name')
    .map(e => [`${e.pid}:${e.tid}`, e.args.name]));
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const key = `${e.pid}:${e.tid}`;
    if (!byThread.has(key)) byThread.set(key, []);
    byThread.get(key).push(e);
  }
  const selfTimes = list => {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const self = new Map(), count = new Map(), stack = [];
    for (const e of list) {
      while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
      if (stack.length) self.set(stack.at(-1).name, (self.get(stack.at(-1).name) ?? 0) - e.dur);
      self.set(e.name, (self.get(e.name) ?? 0) + e.dur);
      count.set(e.name, (count.get(e.name) ?? 0) + 1);
      stack.push(e);
    }
    return [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, n: count.get(name) }));
  };
  const busiest = pattern => [...byThread].filter(([k]) => pattern.test(names.get(k) ?? ''))
    .sort((a, b) => b[1].length - a[1].length)[0]?.[1] ?? [];
  return { main: selfTimes(busiest(/^CrRendererMain$/)), worker: selfTimes(busiest(/^DedicatedWorker/)) };
}

// Self time per function (ms), the 12 largest, from a CDP CPU profile.
function profileTop(p) {
  const self = new Map();
  const dt = new Map(p.nodes.map(n => [n.id, 0]));
  for (let i = 0; i < p.samples.length; ++i) dt.set(p.samples[i], dt.get(p.samples[i]) + (p.timeDeltas[i] ?? 0));
  for (const n of p.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt.get(n.id) / 1000);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([fn, t]) => ({ fn, ms: Math.round(t * 10) / 10 }));
}

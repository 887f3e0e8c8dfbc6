// The analysis engine: owns the worker (web/js/worker.js) that runs the wasm build, its start,
// terminate and Cancel, and the message protocol. The worker is started and its module compiled
// before any file is chosen (start()), and reused run after run; a cancel terminates it (a single
// big tensor can take seconds, which no message could interrupt) and starts a fresh one at once.
//
// Page -> worker:
//   {type: 'init', variant, threads}                              once per worker, first
//   {type: 'request', run, models: File[], index: File|null, base: {models, index}|null, threads, options}
//   {type: 'job', job, kind: 'plan'|'csv', report: JSON text, options?}   work on a finished report
//   {type: 'job', job, kind: 'vectors'|'latent', models, index, threads, options, layer: JSON text}
//                                                                 work on one layer of a finished run
// Worker -> page (every message of a run carries its request's `run` id):
//   {type: 'ready', variant, threads}                             the module is compiled and warmed up (worker.js)
//   {type: 'model', run, model}                                   the report's model (no layers yet)
//   {type: 'progress', run, done, total, bytesDone, totalBytes, current, elapsed, phase?, fraction?}
//                                                                 phase, fraction: inside a long step
//   {type: 'layer', run, layer, summary?}                         each layer, once (summary: the running one)
//   {type: 'skipped', run, skipped, summary?}                     each skipped tensor, once
//   {type: 'done', run, report, counts, elapsed}                  the report without layers and skipped
//                                                                 (null placeholders), their counts
//   {type: 'job', job, result|error}                              a job's result ({json, csv}, {csv}, the vector
//                                                                 fields, or {k, rows, cols, components, coordinates})
//   {type: 'error', run|null, message}                            run null: the module did not load
// A message is delivered only when it comes from the current worker with the current run's id, so
// nothing from a cancelled or earlier run can reach a new one.
// Performance marks, for scripts/bench: 'ws:engine-start' and 'ws:engine-ready' (the worker spawned,
// its module compiled), 'ws:run-start', and 'ws:run-done' whose detail says where the page's time
// went in the run: {messages, deserialize, handle} (ms reading each message's data and in its
// handlers, i.e. the store and all that renders from it; layout and paint come after).

// Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages. With
// threads, the fma build where the engine runs relaxed SIMD (f64x2.relaxed_madd: fused multiply-add
// in the kernels), else mt. `?wasm=mt|fma|st` in the page's address picks one the browser can run
// (to compare builds, or to step around one).
const RELAXED_MADD_PROBE = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,            // \0asm, version 1
  1, 5, 1, 0x60, 0, 1, 0x7b,                  // type: () -> v128
  3, 2, 1, 0,                                 // one function of that type
  10, 0x3d, 1, 0x3b, 0,                       // code: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array(16).fill(0)]),  // three v128.const 0
  0xfd, 0x87, 0x02, 0x0b,                     // f64x2.relaxed_madd, end
]);
export function relaxedSimd(wasm = globalThis.WebAssembly) {
  try { return wasm?.validate(RELAXED_MADD_PROBE) === true; } catch { return false; }
}

export function pickBuild(scope = self) {
  const threaded = scope.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const threads = Math.max(1, Math.min(scope.navigator?.hardwareConcurrency || 4, 16));
  const fma = relaxedSimd(scope.WebAssembly);
  const asked = new URLSearchParams(scope.location?.search ?? '').get('wasm');
  const runnable = { fma: threaded && fma, mt: threaded, st: true };
  const variant = runnable[asked] ? asked : threaded ? (fma ? 'fma' : 'mt') : 'st';
  return { variant, threads: variant === 'st' ? 1 : threads };
}

const defaultSpawn = variant => new Worker(new URL('./worker.js', import.meta.url), { name: `weightscope-${variant}` });

// onStatus({status: 'off'|'loading'|'ready'|'failed', variant, threads, message?}): the engine's own
// state (a worker failing to load is reported here, whether or not a run was waiting for it).
// spawn(variant): a Worker or anything with its postMessage/terminate/onmessage/onerror (tests).
export function createEngine({ variant, threads, spawn = defaultSpawn, onStatus = () => {} } = {}) {
  let worker = null, status = 'off';
  let active = null;   // {id, handlers, report}: the one run whose messages are delivered
  let lastId = 0;
  let cost = null;     // the 'ws:run-done' detail of the run going on

  const setStatus = (next, message) => {
    status = next;
    onStatus({ status, variant, threads, message });
  };

  function start() {
    if (worker) return;
    performance.mark('ws:engine-start');
    const w = spawn(variant);
    worker = w;
    w.onmessage = e => {
      if (w !== worker) return;
      const t0 = performance.now();
      const m = e.data;  // deserialized here, on first access
      const t1 = performance.now();
      receive(m);
      if (!cost || m.run !== cost.run) return;
      cost.messages += 1;
      cost.deserialize += t1 - t0;
      cost.handle += performance.now() - t1;
      if (m.type === 'done') performance.mark('ws:run-done', { detail: cost });
    };
    w.onerror = e => {
      if (w !== worker) return;
      failWorker(`The analysis worker failed: ${e.message || 'could not load the WebAssembly module'}`);
    };
    setStatus('loading');
    w.postMessage({ type: 'init', variant, threads });
  }

  function stop() {
    worker?.terminate();
    worker = null;
    for (const p of jobs.values()) p.reject(new Error('the analysis worker was restarted'));
    jobs.clear();
  }

  // The worker is gone or unusable. A run waiting for it fails; a worker that was never ready is
  // not restarted (it would fail again, in a loop): the next run starts a fresh one.
  function failWorker(message) {
    const restart = status === 'ready';
    stop();
    const run = active;
    active = null;
    setStatus('failed', message);
    if (run) run.handlers.error?.(message);
    if (restart) start();
  }

  const jobs = new Map();  // job id -> {resolve, reject}
  let lastJob = 0;

  function receive(m) {
    if (m.type === 'job') {
      const p = jobs.get(m.job);
      jobs.delete(m.job);
      if (p) (m.error ? p.reject(new Error(m.error)) : p.resolve(m.result));
      return;
    }
    if (m.type === 'ready') {
      performance.mark('ws:engine-ready');
      setStatus('ready');
      return;
    }
    if (m.type === 'error' && (m.run === null || m.run === undefined)) {
      failWorker(m.message);
      return;
    }
    const run = active;
    if (!run || m.run !== run.id) return;  // stale: from a cancelled or earlier run
    const { handlers, report } = run;
    if (m.type === 'model') {
      report.model = m.model;
      handlers.model?.(report);
    } else if (m.type === 'progress') {
      handlers.progress?.(m, report);
    } else if (m.type === 'layer' || m.type === 'skipped') {
      (m.type === 'layer' ? report.layers : report.skipped).push(m[m.type]);
      if (m.summary) report.summary = m.summary;
      handlers[m.type]?.(m[m.type], report);
    } else if (m.type === 'done') {
      active = null;
      if (m.counts.layers !== report.layers.length || m.counts.skipped !== report.skipped.length) {
        handlers.error?.(`internal error: the worker sent ${report.layers.length} of ${m.counts.layers} layers and ` +
                         `${report.skipped.length} of ${m.counts.skipped} skipped tensors`);
        return;
      }
      // The core's report: its own fields and key order, with the layers received one by one.
      handlers.done?.({ ...m.report, layers: report.layers, skipped: report.skipped }, m.elapsed);
    } else if (m.type === 'error') {
      // A failed run may leave the module in any state: the next run gets a fresh one.
      active = null;
      stop();
      start();
      handlers.error?.(m.message);
    }
  }

  // Work on a finished report in the worker, queued behind a run going on. The core reads the
  // layers' scalars only: the plot data stays here.
  function job(kind, report, extra = {}) {
    const text = JSON.stringify({ ...report, layers: report.layers.map(({ spectra, ...l }) => l) });
    return send(kind, { report: text, ...extra });
  }

  function send(kind, message) {
    start();
    const id = ++lastJob;
    return new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject });
      worker.postMessage({ type: 'job', job: id, kind, ...message });
    });
  }

  return {
    get status() { return status; },
    get running() { return active !== null; },
    start,

    // Starts a run over {models, index} (files.js sortFiles); a run still going is cancelled first.
    // handlers: model(report), progress(p, report), layer(layer, report), skipped(entry, report),
    // done(report, elapsed), error(message); `report` is the run's report so far (its layers
    // and skipped arrays are the ones the final report holds). Returns {id, report}.
    run({ models, index = null, base = null }, handlers = {}, options = {}) {
      if (active) this.cancel();
      start();
      const id = ++lastId;
      performance.mark('ws:run-start');
      cost = { run: id, messages: 0, deserialize: 0, handle: 0 };
      const report = { format: 'weightscope-report', version: 1, model: { files: models.map(f => f.name) },
                       summary: {}, layers: [], skipped: [] };
      active = { id, handlers, report };
      worker.postMessage({ type: 'request', run: id, models, index, base, threads, options });
      return { id, report };
    },

    // A layer allocation plan (AlphaPruning / TempBalance) for a finished report, computed by the
    // core in the worker; options: {method, sparsity?, epsilon?, metric?}. Resolves {json, csv}.
    plan(report, options) { return job('plan', report, { options }); },

    // The report's CSV (the core's columns, core/report/csv.cpp). Resolves {csv}.
    csv(report) { return job('csv', report); },

    // A job on one layer of a finished run, over its files {models, index} with its options:
    // 'vectors' resolves the layer's eigenvector metrics (the columns and spectra arrays), 'latent'
    // its latent space {k, rows, cols, components, coordinates} (.npy bytes). layer: its report entry.
    layerJob(kind, { models, index = null, base = null }, options, layer) {
      const { spectra, ...scalars } = layer;
      return send(kind, { models, index, base, threads, options, layer: JSON.stringify(scalars) });
    },

    // Ends the jobs going on (their promises reject) by replacing the worker, as cancel() ends a
    // run; never while a run goes on.
    cancelJobs() {
      if (active || !jobs.size) return false;
      stop();
      start();
      return true;
    },

    // Ends the run, if any: no message of it is delivered after this. The worker is replaced by a
    // fresh one, which loads in the background for the next run.
    cancel() {
      if (!active) return false;
      active = null;
      stop();
      start();
      return true;
    },

    terminate() {
      active = null;
      stop();
      setStatus('off');
    },
  };
}

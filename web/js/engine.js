// The analysis engine: owns the worker (web/js/worker.js) that runs the wasm build, its start,
// terminate and Cancel, and the message protocol. The worker is started and its module compiled
// before any file is chosen (start()), and reused run after run; a cancel terminates it (a single
// big tensor can take seconds, which no message could interrupt) and starts a fresh one at once.
//
// Page -> worker:
//   {type: 'init', variant, threads}                              once per worker, first
//   {type: 'request', run, models: File[], index: File|null, threads, options}
// Worker -> page (every message of a run carries its request's `run` id):
//   {type: 'ready', variant, threads}                             the module is compiled
//   {type: 'model', run, model}                                   the report's model (no layers yet)
//   {type: 'progress', run, done, total, bytesDone, totalBytes, current, elapsed}
//   {type: 'layer', run, layer, summary?}                         each layer, once (summary: the running one)
//   {type: 'skipped', run, skipped, summary?}                     each skipped tensor, once
//   {type: 'done', run, report, counts, csv, elapsed}             the report without layers and skipped
//                                                                 (null placeholders), their counts
//   {type: 'error', run|null, message}                            run null: the module did not load
// A message is delivered only when it comes from the current worker with the current run's id, so
// nothing from a cancelled or earlier run can reach a new one.
// Performance marks, for scripts/bench: 'ws:engine-start' and 'ws:engine-ready' (the worker spawned,
// its module compiled), 'ws:run-start', and 'ws:run-done' whose detail says where the page's time
// went in the run: {messages, deserialize, handle} (ms reading each message's data and in its
// handlers, i.e. the store and all that renders from it; layout and paint come after).

// Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages.
export function pickBuild(scope = self) {
  const threaded = scope.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  return threaded
    ? { variant: 'mt', threads: Math.max(1, Math.min(scope.navigator?.hardwareConcurrency || 4, 16)) }
    : { variant: 'st', threads: 1 };
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

  const plans = new Map();  // plan id -> {resolve, reject}
  let lastPlan = 0;

  function receive(m) {
    if (m.type === 'plan') {
      const p = plans.get(m.plan);
      plans.delete(m.plan);
      if (p) (m.error ? p.reject(new Error(m.error)) : p.resolve({ json: m.json, csv: m.csv }));
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
      handlers.done?.({ ...m.report, layers: report.layers, skipped: report.skipped }, m.csv, m.elapsed);
    } else if (m.type === 'error') {
      // A failed run may leave the module in any state: the next run gets a fresh one.
      active = null;
      stop();
      start();
      handlers.error?.(m.message);
    }
  }

  return {
    get status() { return status; },
    get running() { return active !== null; },
    start,

    // Starts a run over {models, index} (files.js sortFiles); a run still going is cancelled first.
    // handlers: model(report), progress(p, report), layer(layer, report), skipped(entry, report),
    // done(report, csv, elapsed), error(message); `report` is the run's report so far (its layers
    // and skipped arrays are the ones the final report holds). Returns {id, report}.
    run({ models, index = null }, handlers = {}, options = {}) {
      if (active) this.cancel();
      start();
      const id = ++lastId;
      performance.mark('ws:run-start');
      cost = { run: id, messages: 0, deserialize: 0, handle: 0 };
      const report = { format: 'weightscope-report', version: 1, model: { files: models.map(f => f.name) },
                       summary: {}, layers: [], skipped: [] };
      active = { id, handlers, report };
      worker.postMessage({ type: 'request', run: id, models, index, threads, options });
      return { id, report };
    },

    // A layer allocation plan (AlphaPruning / TempBalance) for a finished report, computed by the
    // core in the worker; options: {method, sparsity?, epsilon?, metric?}. Resolves {json, csv}.
    plan(report, options) {
      start();
      const id = ++lastPlan;
      // The plan reads the layers' scalars only: the plot data stays here.
      const text = JSON.stringify({ ...report, layers: report.layers.map(({ spectra, ...l }) => l) });
      return new Promise((resolve, reject) => {
        plans.set(id, { resolve, reject });
        worker.postMessage({ type: 'plan', plan: id, report: text, options });
      });
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

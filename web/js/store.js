// The analyzer page's state, in one place: everything that shows state subscribes here, and nobody
// reads it back from the DOM.
//   state   idle     nothing shown yet, or a run was cancelled (its layers stay shown)
//           loading  a report (share link, report file) or the demo model is being fetched/decoded
//           running  the engine is analyzing `report`'s model
//           done     `report` is the core's complete report
//           error    `error` says what went wrong (a report shown before stays shown)
//           shared   `report` was opened from a share link or a report file (`source`: link, file)
//   report  the report on screen (during a run: the one being filled), reportId changes with each new one
//   runFiles {reportId, models, index, options}: the files and options of the run that made report
//           reportId (the layer actions compute on them; a shared report has none)
//   engine  {status: off|loading|ready|failed, variant, threads, loaded: ready at least once}
//   base    {models, index}: the base model the next runs compare with (base-model.js), or null
// For tests and CSS the store mirrors itself on <body> (mirrorToBody): data-state (a shared report
// counts as "done": a complete report is on screen), data-source, data-engine (the variant, once
// ready), data-engine-status, data-runs, data-seconds. Only the store writes these.
export const STATES = ['idle', 'loading', 'running', 'done', 'error', 'shared'];

export function createStore(initial) {
  let current = Object.freeze({ ...initial });
  const listeners = new Set();
  return {
    get: () => current,
    // Merges patch into the state and tells every subscriber (next, previous).
    set(patch) {
      if ('state' in patch && !STATES.includes(patch.state)) throw new Error(`unknown state ${patch.state}`);
      const previous = current;
      current = Object.freeze({ ...current, ...patch });
      for (const f of listeners) f(current, previous);
    },
    // f(state, previous) now (previous: null) and on every change; returns the unsubscribe function.
    subscribe(f) {
      listeners.add(f);
      f(current, null);
      return () => listeners.delete(f);
    },
  };
}

export function createPageStore() {
  return createStore({
    state: 'idle', source: null, error: null, loading: null,
    report: null, reportId: 0, runFiles: null,
    progress: null, startedAt: 0, seconds: null, runs: 0, runStatus: '',
    engine: { status: 'off', variant: null, threads: 0, loaded: false },
    base: null,
  });
}

// Enters "loading" for one caller; the returned current() is false once anything else has changed
// the state since (a model dropped meanwhile, another report), so a late result is dropped.
export function beginLoading(store) {
  const ticket = {};
  store.set({ state: 'loading', loading: ticket, error: null });
  return () => store.get().state === 'loading' && store.get().loading === ticket;
}

export function mirrorToBody(store, body = document.body) {
  const set = (key, value) => {
    if (value === null || value === undefined) delete body.dataset[key];
    else if (body.dataset[key] !== String(value)) body.dataset[key] = String(value);
  };
  store.subscribe(s => {
    set('engine', s.engine.loaded ? s.engine.variant : null);
    set('engineStatus', s.engine.status);
    set('runs', s.runs || null);
    set('seconds', s.seconds);
    set('source', s.state === 'shared' ? s.source : null);
    set('state', s.state === 'shared' ? 'done' : s.state);
  });
}

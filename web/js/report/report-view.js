// The report view, built once for the analyzer page and <weightscope-report>: summary cards (and
// the model's metadata), the alpha chart, the layer table, one layer's plots and the skipped
// tensors, each drawn into a slot the host page provides (any may be missing). While a run is
// filling the report (live), redraws are throttled: the table takes the new rows, the chart and the
// cards follow a few times a second, never once per layer.
import { renderAlphaChart } from './alpha-chart.js';
import { el } from './format.js';
import { renderLayerPlots } from './layer-plots.js';
import { createLayerTable } from './layer-table.js';
import { renderSkipped } from './skipped.js';
import { renderSummary } from './summary.js';

const TABLE_EVERY_MS = 300;
const CHART_EVERY_MS = 1000;

export function layerTitle(layer) {
  return `Layer ${layer.name} (${layer.type ?? ''}, ${layer.N}\u00d7${layer.M}${layer.rf > 1 ? `, rf ${layer.rf}` : ''})`;
}

// The layer whose plots open first: the first whose fit succeeded, else the first.
export function firstLayer(report) {
  const layers = report?.layers ?? [];
  return layers.find(l => l.status === 'success') ?? layers[0] ?? null;
}

// Model metadata (from the model file: untrusted) as text, folded.
function renderMetadata(report, container) {
  const entries = Object.entries(report.model?.metadata ?? {});
  container.replaceChildren(...(entries.length ? [el('details', { className: 'ws-meta' }, el('summary', {}, `Model metadata (${entries.length})`),
    el('dl', {}, ...entries.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])))] : []));
}

// Throttles fn to once per `ms`; flush() runs a pending call now, cancel() drops it.
function throttle(fn, ms) {
  let timer = null, last = -Infinity;
  const run = () => { timer = null; last = performance.now(); fn(); };
  return {
    schedule() {
      if (timer) return;
      timer = setTimeout(run, Math.max(0, last + ms - performance.now()));
    },
    flush() { clearTimeout(timer); run(); },
    cancel() { clearTimeout(timer); timer = null; },
  };
}

// slots: {summary, metadata, alpha, table, skipped}: containers; plots: {title, container, show(),
// hide()} (show/hide reveal the plots where the host keeps them).
// options.openFirst: open the first layer's plots when the first layer arrives and when the report
// is complete (the analyzer page); the embed opens the layer its attribute names itself.
// options.onShowLayer(layer): called whenever a layer's plots are drawn (the page's layer actions).
export function createReportView(slots, { openFirst = false, onShowLayer } = {}) {
  let report = null, key = null, shownCount = 0, wasLive = false, openedFirst = false, completed = false;
  const table = slots.table ? createLayerTable(slots.table, { onSelect: showLayer }) : null;

  function showLayer(layer) {
    if (!slots.plots || !layer) return;
    slots.plots.show?.();
    slots.plots.title.textContent = layerTitle(layer);
    renderLayerPlots(layer, slots.plots.container);
    onShowLayer?.(layer);
  }

  const drawTable = throttle(() => table?.update(report), TABLE_EVERY_MS);
  const drawRest = throttle(() => {
    if (slots.summary) renderSummary(report, slots.summary);
    if (slots.metadata) renderMetadata(report, slots.metadata);
    if (slots.alpha) renderAlphaChart(report, slots.alpha);
    if (slots.skipped) renderSkipped(report, slots.skipped);
  }, CHART_EVERY_MS);

  return {
    showLayer,
    // Selects the layer `name` of the report shown (its table row) and draws its plots.
    select(name) {
      if (table) table.select(name);
      else showLayer(report?.layers.find(l => l.name === name));
    },
    // Shows `report`. A new `id` starts afresh (drawn at once, plots closed); the same id with more
    // layers or a complete report draws what is new: throttled while `live`, at once otherwise.
    sync(next, { id, live = false, complete = !live } = {}) {
      if (!next) return;
      const fresh = id !== key;
      if (fresh) {
        key = id;
        openedFirst = completed = false;
        slots.plots?.hide?.();
      }
      const count = next.layers.length + next.skipped.length;
      const changed = fresh || next !== report || count !== shownCount || live !== wasLive;
      report = next;
      shownCount = count;
      wasLive = live;
      if (!changed) return;
      if (live && !fresh) {
        drawTable.schedule();
        drawRest.schedule();
      } else {
        drawTable.flush();
        drawRest.flush();
      }
      if (openFirst && live && !openedFirst && report.layers.length) {
        openedFirst = true;
        showLayer(report.layers[0]);
      }
      if (complete && !completed) {
        completed = true;
        if (openFirst) showLayer(firstLayer(report));
      }
    },
  };
}

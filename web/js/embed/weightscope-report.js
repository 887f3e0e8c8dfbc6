// <weightscope-report>: a weightscope report (or part of it) inside any page, e.g. a documentation
// site. No WebAssembly and no special headers: it only draws precomputed results with the
// analyzer page's own render modules, inside a shadow root (styles from css/embed.css).
//
//   <script type="module" src=".../js/embed/weightscope-report.js"></script>
//   <weightscope-report src="model.weightscope.json"></weightscope-report>     report file (CLI --json,
//                                                                               Download JSON, compact)
//   <weightscope-report fragment="#r=..."></weightscope-report>                a share link's fragment
//   <weightscope-report data='{"format": "weightscope-report", ...}'>          JSON in the attribute
//   <weightscope-report><script type="application/json">{...}</script></weightscope-report>
//   part="summary alpha table layer skipped" (any of them; default "summary alpha table"),
//   layer="name" picks the layer whose plots "layer" (and a table click) shows.
// Property: element.report = reportObject (validated like the rest). Events: "weightscope-load"
// (detail: the report) and "weightscope-error" (detail: the message).
import { renderAlphaChart } from '../report/alpha-chart.js';
import { el } from '../report/format.js';
import { renderLayerPlots } from '../report/layer-plots.js';
import { renderLayerTable } from '../report/layer-table.js';
import { renderSkipped } from '../report/skipped.js';
import { renderSummary } from '../report/summary.js';
import { ReportError, decodeShare, fetchReport, reportFromJson, shareParam } from '../share/codec.js';
import { renderShareNote } from '../share/share-page.js';

const STYLESHEET = new URL('../../css/embed.css', import.meta.url).href;
const PARTS = ['summary', 'alpha', 'table', 'layer', 'skipped'];
const DEFAULT_PARTS = ['summary', 'alpha', 'table'];

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new ReportError(`${what} is not valid JSON.`);
  }
}

export class WeightscopeReport extends HTMLElement {
  static observedAttributes = ['src', 'data', 'fragment', 'part', 'layer'];

  #report = null;
  #loads = 0;

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
  }

  connectedCallback() {
    if (!this.#report) this.#load();
  }

  attributeChangedCallback(name, before, after) {
    if (!this.isConnected || before === after) return;
    if (name === 'part' || name === 'layer') { if (this.#report) this.#render(); } else this.#load();
  }

  get report() { return this.#report; }

  set report(value) {
    ++this.#loads;
    try {
      this.#report = reportFromJson(value);
      this.#render();
    } catch (e) {
      this.#fail(e);
    }
  }

  // The report from the first source present: fragment, data, src, inline JSON script.
  async #source() {
    if (this.hasAttribute('fragment')) {
      const payload = shareParam(this.getAttribute('fragment'));
      if (!payload) throw new ReportError('The fragment attribute holds no share link ("#r=...").');
      return decodeShare(payload);
    }
    if (this.hasAttribute('data')) return reportFromJson(parseJson(this.getAttribute('data'), 'The data attribute'));
    if (this.hasAttribute('src')) return fetchReport(new URL(this.getAttribute('src'), document.baseURI).href);
    const script = this.querySelector('script[type="application/json"]');
    if (script) return reportFromJson(parseJson(script.textContent, 'The inline report'));
    throw new ReportError('No report: set src, data or fragment, or put the report in a <script type="application/json"> child.');
  }

  async #load() {
    const load = ++this.#loads;
    this.#status('Loading the report\u2026');
    try {
      const report = await this.#source();
      if (load !== this.#loads) return;  // a newer source replaced this one meanwhile
      this.#report = report;
      this.#render();
    } catch (e) {
      if (load === this.#loads) this.#fail(e);
    }
  }

  #frame(...children) {
    this.shadowRoot.replaceChildren(el('link', { rel: 'stylesheet', href: STYLESHEET }), el('div', { className: 'ws' }, ...children));
  }

  #status(text) {
    this.#frame(el('p', { className: 'ws-status' }, text));
  }

  #fail(e) {
    const message = e instanceof ReportError ? e.message : `The report could not be shown: ${e.message}`;
    this.#report = null;
    this.#frame(el('p', { className: 'ws-error', role: 'alert' }, message));
    this.dispatchEvent(new CustomEvent('weightscope-error', { detail: message }));
  }

  #parts() {
    const asked = (this.getAttribute('part') ?? '').split(/[\s,]+/).filter(p => PARTS.includes(p));
    return asked.length ? asked : DEFAULT_PARTS;
  }

  #render() {
    const report = this.#report, parts = this.#parts();
    const ok = report.layers.filter(l => l.status === 'success');
    const wanted = this.getAttribute('layer');
    const initial = wanted !== null ? report.layers.find(l => l.name === wanted) : ok[0] ?? report.layers[0];
    // What a compact report approximates, folded: a docs page may show several parts of one report.
    const notes = el('div');
    renderShareNote(report, notes);
    const note = notes.hidden ? null : el('details', { className: 'ws-note' },
      el('summary', {}, 'Rebuilt from a compact report: some plots are approximated'), ...notes.childNodes);
    const title = el('div', { className: 'ws-title' }, el('strong', {}, (report.model.files ?? []).join(', ') || 'weightscope report'),
      report.generator ? el('span', { className: 'ws-muted' }, ` \u00b7 ${report.generator}`) : null);
    const sections = [];
    const plotsTitle = el('h4', { className: 'ws-plots-title' });
    const plots = el('div', { className: 'ws-plots' });
    const showLayer = layer => {
      plotsTitle.textContent = `Layer ${layer.name} (${layer.type ?? ''}, ${layer.N}\u00d7${layer.M})`;
      renderLayerPlots(layer, plots);
    };
    for (const part of parts) {
      const box = el('section', { className: `ws-part ws-${part}`, dataset: { part } });
      sections.push(box);
      if (part === 'summary') {
        const cards = el('div', { className: 'cards' });
        renderSummary(report, cards);
        box.append(cards, ...this.#metadata(report));
      } else if (part === 'skipped') renderSkipped(report, box);
      else if (part === 'table') {
        const holder = el('div');
        box.append(holder);
        renderLayerTable(report, holder, { onSelect: layer => { showLayer(layer); if (!parts.includes('layer')) box.append(plotsTitle, plots); } });
      } else if (part === 'layer') {
        if (initial) box.append(plotsTitle, plots);
        else box.append(el('p', { className: 'ws-error' }, `No layer named \u201c${wanted}\u201d in this report.`));
      }
    }
    this.#frame(title, note, ...sections);
    // Plots size themselves to their container: draw them once the sections are in the page.
    const alpha = sections.find(s => s.dataset.part === 'alpha');
    if (alpha) {
      // The chart takes its container's width; the holder leaves room for the figure's frame.
      const holder = el('div', { className: 'ws-alpha-holder' });
      alpha.append(holder);
      renderAlphaChart(report, holder);
    }
    if (initial && parts.includes('layer')) showLayer(initial);
    this.dispatchEvent(new CustomEvent('weightscope-load', { detail: report }));
  }

  // Model metadata (from the model file: untrusted) as text.
  #metadata(report) {
    const entries = Object.entries(report.model.metadata ?? {});
    if (!entries.length) return [];
    return [el('details', { className: 'ws-meta' }, el('summary', {}, `Model metadata (${entries.length})`),
      el('dl', {}, ...entries.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])))];
  }
}

if (!customElements.get('weightscope-report')) customElements.define('weightscope-report', WeightscopeReport);

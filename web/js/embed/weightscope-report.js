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
import { el } from '../report/format.js';
import { createReportView, firstLayer } from '../report/report-view.js';
import { ReportError, decodeShare, fetchReport, parseJson, reportFromJson, shareParam } from '../share/codec.js';
import { renderShareNote } from '../share/share-page.js';

const STYLESHEET = new URL('../../css/embed.css', import.meta.url).href;
const PARTS = ['summary', 'alpha', 'table', 'layer', 'skipped'];
const DEFAULT_PARTS = ['summary', 'alpha', 'table'];

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
    const wanted = this.getAttribute('layer');
    const initial = wanted !== null ? report.layers.find(l => l.name === wanted) : firstLayer(report);
    // What a compact report approximates, folded: a docs page may show several parts of one report.
    const notes = el('div');
    renderShareNote(report, notes);
    const note = notes.hidden ? null : el('details', { className: 'ws-note' },
      el('summary', {}, 'Rebuilt from a compact report: some plots are approximated'), ...notes.childNodes);
    const title = el('div', { className: 'ws-title' }, el('strong', {}, (report.model.files ?? []).join(', ') || 'weightscope report'),
      report.generator ? el('span', { className: 'ws-muted' }, ` \u00b7 ${report.generator}`) : null);
    // The parts are slots of the report view the analyzer page uses too.
    const slots = {};
    const boxes = {};
    const plots = { title: el('h4', { className: 'ws-plots-title' }), container: el('div', { className: 'ws-plots' }) };
    // A table click shows the layer's plots in the layer part, or under the table without one.
    plots.show = () => { if (!plots.container.isConnected) (boxes.layer ?? boxes.table).append(plots.title, plots.container); };
    const sections = parts.map(part => {
      const box = boxes[part] = el('section', { className: `ws-part ws-${part}`, dataset: { part } });
      if (part === 'summary') box.append(slots.summary = el('div', { className: 'cards' }), slots.metadata = el('div'));
      else if (part === 'alpha') box.append(slots.alpha = el('div', { className: 'ws-alpha-holder' }));
      else if (part === 'table') box.append(slots.table = el('div'));
      else if (part === 'skipped') slots.skipped = box;
      else if (part === 'layer' && !initial) box.append(el('p', { className: 'ws-error' }, `No layer named \u201c${wanted}\u201d in this report.`));
      return box;
    });
    if (parts.includes('table') || parts.includes('layer')) slots.plots = plots;
    this.#frame(title, note, ...sections);
    // Plots size themselves to their container: drawn once the sections are in the page.
    const view = createReportView(slots);
    view.sync(report, { id: this.#loads });
    if (initial && parts.includes('layer')) view.showLayer(initial);
    this.dispatchEvent(new CustomEvent('weightscope-load', { detail: report }));
  }
}

if (!customElements.get('weightscope-report')) customElements.define('weightscope-report', WeightscopeReport);

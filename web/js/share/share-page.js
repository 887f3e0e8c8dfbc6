// Share links on the analyzer page: the "Copy share link" button and its read-only field, opening a
// "#r=..." link (no model file, no WebAssembly), opening a dropped .weightscope.json report, and
// the note saying what a link approximates. It goes through the page's store (store.js): an opened
// report becomes state "shared", and the button and note follow the store.
import { LINK_LIMIT, ReportError, decodeShare, readReportFile, shareLink, shareParam } from './codec.js';
import { bytes } from '../report/format.js';
import { beginLoading } from '../store.js';

const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

// The "what is approximated" note of a report opened from a link (hidden for full reports).
export function renderShareNote(report, container) {
  const notes = report?.shared?.notes ?? [];
  container.replaceChildren(...notes.map(text => {
    const p = document.createElement('p');
    p.textContent = text;
    return p;
  }));
  container.hidden = !notes.length;
}

// store: the page's store; stopRun(): ends a run in progress (an opened report replaces it).
export function installShare({ store, stopRun }) {
  const button = byTestId('share'), field = byTestId('share-url');
  const status = document.getElementById('share-status'), note = document.getElementById('share-note');

  const open = async (load, source) => {
    stopRun();
    const current = beginLoading(store);
    try {
      const report = await load();
      if (!current()) return;  // something else (a model, another report) came meanwhile
      store.set({ state: 'shared', source, report, reportId: store.get().reportId + 1, progress: null,
                  runStatus: source === 'link' ? 'Opened from a share link.' : 'Opened from a report file.' });
    } catch (e) {
      if (current()) store.set({ state: 'error', error: e instanceof ReportError ? e.message : `The report could not be opened: ${e.message}` });
    }
  };

  store.subscribe((s, before) => {
    button.disabled = !(s.state === 'done' || s.state === 'shared') || !s.report?.layers?.length;
    // A new analysis replaces the shown report: its link and note no longer apply.
    if (s.state === 'running' && before?.state !== 'running') {
      field.value = '';
      status.textContent = '';
      renderShareNote(null, note);
      // The address must not reopen the old shared report on reload.
      if (shareParam(location.hash) !== null) history.replaceState(null, '', location.pathname + location.search);
    }
    if (s.state === 'shared' && s.reportId !== before?.reportId) renderShareNote(s.report, note);
  });

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const link = await shareLink(store.get().report, location.href);
      field.dataset.length = String(link.length);
      if (link.length > LINK_LIMIT) {
        field.value = '';
        status.textContent = `This report needs a ${bytes(link.length)} link, more than browsers accept: ` +
          'use \u201cDownload JSON report\u201d and share the .weightscope.json file instead (drop it on this page to open it).';
        return;
      }
      field.value = link;
      let copied = false;
      try {
        await navigator.clipboard.writeText(link);
        copied = true;
      } catch {
        field.select();
      }
      status.textContent = `${copied ? 'Copied' : 'Select and copy'}: a ${bytes(link.length)} link holding the results ` +
        '(not the weights). The part after # is never sent to a server.';
    } catch (e) {
      status.textContent = `No link: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });

  const fromHash = () => {
    let payload;
    try {
      payload = shareParam(location.hash);
    } catch (e) {
      store.set({ state: 'error', error: e.message });
      return true;
    }
    if (payload === null) return false;
    open(() => decodeShare(payload), 'link');
    return true;
  };
  window.addEventListener('hashchange', fromHash);

  return {
    // Opens the report in the page's URL fragment, if any; true when there was one.
    openFromLocation: fromHash,
    // Opens a report file (files.js sortFiles) instead of analyzing.
    openReportFile(file) {
      open(() => readReportFile(file), 'file');
    },
  };
}

// Share links on the analyzer page: the "Copy share link" button and its read-only field, opening a
// "#r=..." link (no model file, no WebAssembly), opening a dropped .weightscope.json report, and
// the note saying what a link approximates. app.js owns the report view; this module calls
// showReport(report, source) to put a report into it.
import { LINK_LIMIT, ReportError, decodeShare, readReportFile, shareLink, shareParam } from './codec.js';
import { bytes } from '../report/format.js';

const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

function showError(message) {
  const box = byTestId('error');
  box.textContent = message;
  box.hidden = false;
  document.body.dataset.state = 'error';
}

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

// A report file among files: any .json but a shard index (model files win if both are dropped).
export function reportFileIn(files) {
  if (files.some(f => /\.(safetensors|npy)$/i.test(f.name))) return null;
  return files.find(f => /\.json$/i.test(f.name) && !/\.index\.json$/i.test(f.name)) ?? null;
}

export function installShare({ getReport, showReport }) {
  const button = byTestId('share'), field = byTestId('share-url');
  const status = document.getElementById('share-status'), note = document.getElementById('share-note');

  const open = async (load, source) => {
    try {
      const report = await load();
      byTestId('error').hidden = true;
      showReport(report, source);
      renderShareNote(report, note);
      document.body.dataset.source = source;
    } catch (e) {
      showError(e instanceof ReportError ? e.message : `The report could not be opened: ${e.message}`);
    }
  };

  // A new analysis replaces the shown report: its link and note no longer apply.
  new MutationObserver(() => {
    const state = document.body.dataset.state;
    button.disabled = state !== 'done' || !getReport()?.layers?.length;
    if (state === 'running') {
      field.value = '';
      status.textContent = '';
      renderShareNote(null, note);
      delete document.body.dataset.source;
      // The address must not reopen the old shared report on reload.
      if (shareParam(location.hash) !== null) history.replaceState(null, '', location.pathname + location.search);
    }
  }).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const link = await shareLink(getReport(), location.href);
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
      showError(e.message);
      return true;
    }
    if (payload === null) return false;
    open(() => decodeShare(payload), 'link');
    return true;
  };
  window.addEventListener('hashchange', fromHash);

  return {
    // Opens the report in the page's URL fragment, if any; true when there was one.
    openFromLocation() {
      if (!fromHash()) return false;
      document.getElementById('engine').textContent = 'not loaded (a shared report needs no WebAssembly; it loads when you open a model)';
      return true;
    },
    // Opens a dropped/chosen report file instead of analyzing; true when files held one.
    openReportFiles(files) {
      const file = reportFileIn(files);
      if (!file) return false;
      open(() => readReportFile(file), 'file');
      return true;
    },
  };
}

// Share links and report files: a report <-> "#r=<base64url(deflate-raw(compact JSON))>", and
// reading report files/URLs. The fragment never reaches a server (browsers do not send it), and the
// weights are never in it: only results. All input is treated as hostile: sizes are capped before
// and while decompressing (no zip bombs), then the content is schema-checked.
import { SHARE_FORMAT, compactReport, expandReport } from './compact.js';
import { ReportError, validateReport } from './validate.js';

export { ReportError };
export const MAX_FRAGMENT = 4 * 1024 * 1024;       // characters of base64url we accept at all
export const MAX_INFLATED = 50 * 1024 * 1024;      // bytes we inflate before giving up
export const MAX_REPORT_FILE = 200 * 1024 * 1024;  // a full report file (its size is known upfront)
export const LINK_LIMIT = 2 * 1024 * 1024;         // Chromium's URL length cap: past it, share a file

const B64URL = /^[A-Za-z0-9_-]*$/;

function toBase64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  if (!B64URL.test(text) || text.length % 4 === 1) throw new ReportError('This share link is damaged: it is not base64url text.');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; ++i) out[i] = s.charCodeAt(i);
  return out;
}

async function deflate(text) {
  const stream = new Blob([new TextEncoder().encode(text)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Inflates with a running byte count and stops past max: a small link cannot expand into gigabytes.
export async function inflate(bytes, max = MAX_INFLATED) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        reader.cancel().catch(() => {});
        throw new ReportError(`This share link expands to more than ${max / 1048576} MB; it was not opened.`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof ReportError) throw e;
    throw new ReportError('This share link is damaged: its compressed data is corrupt or cut short.');
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

// The base64url payload of a share link for report.
export async function encodeShare(report) {
  return toBase64url(await deflate(JSON.stringify(compactReport(report))));
}

export async function shareLink(report, base) {
  return `${base.split('#')[0]}#r=${await encodeShare(report)}`;
}

// The payload of "#r=..." in a URL, a fragment or a bare "r=..." (null when there is none).
export function shareParam(text) {
  const s = String(text ?? '').trim();
  const hash = s.includes('#') ? s.slice(s.indexOf('#') + 1) : s;
  if (!hash.startsWith('r=') && !hash.includes('&r=')) return null;
  if (hash.length > MAX_FRAGMENT + 16) throw new ReportError(`This share link is longer than ${MAX_FRAGMENT / 1048576} MB; it was not opened.`);
  return new URLSearchParams(hash).get('r');
}

// JSON.parse with a readable error: "<what> is not valid JSON."
export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new ReportError(`${what} is not valid JSON.`);
  }
}

// A report from parsed JSON: a full report (CLI --json, Download JSON) or the compact form.
export function reportFromJson(value) {
  if (value?.format === SHARE_FORMAT) return expandReport(value);
  return validateReport(value);
}

export async function decodeShare(payload) {
  if (typeof payload !== 'string' || !payload) throw new ReportError('This share link holds no report.');
  if (payload.length > MAX_FRAGMENT) throw new ReportError(`This share link is longer than ${MAX_FRAGMENT / 1048576} MB; it was not opened.`);
  const text = new TextDecoder().decode(await inflate(fromBase64url(payload)));
  const value = parseJson(text, 'The share link\u2019s content');
  if (value?.format !== SHARE_FORMAT) throw new ReportError('This share link is not a weightscope report.');
  return expandReport(value);
}

export async function readReportFile(file) {
  if (file.size > MAX_REPORT_FILE) throw new ReportError(`${file.name} is larger than ${MAX_REPORT_FILE / 1048576} MB; it was not opened as a report.`);
  return reportFromJson(parseJson(await file.text(), file.name));
}

// A report from a URL (the embed's src), read with the same cap as files.
export async function fetchReport(url) {
  const res = await fetch(url);
  if (!res.ok) throw new ReportError(`The report ${url} could not be loaded (HTTP ${res.status}).`);
  const reader = res.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if ((total += value.length) > MAX_REPORT_FILE) {
      reader.cancel().catch(() => {});
      throw new ReportError(`The report ${url} is larger than ${MAX_REPORT_FILE / 1048576} MB.`);
    }
    chunks.push(value);
  }
  return reportFromJson(parseJson(await new Blob(chunks).text(), `The report ${url}`));
}

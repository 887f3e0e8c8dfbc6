// web/embed.html: shows the report of its own fragment (#r=...&part=...&layer=...) and tells the
// embedding page its height, so the iframe can fit its content (see iframe-resize.js).
import './weightscope-report.js';

const element = document.getElementById('report');

function fromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const name of ['part', 'layer']) {
    if (params.has(name)) element.setAttribute(name, params.get(name));
    else element.removeAttribute(name);
  }
  element.setAttribute('fragment', `#r=${params.get('r') ?? ''}`);
  // The full page opens the same link (the analyzer page reads #r= too).
  document.getElementById('open-full').href = `index.html#r=${params.get('r') ?? ''}`;
}

let last = 0;
function postHeight() {
  const height = Math.ceil(document.body.getBoundingClientRect().height + 16);
  if (height === last || window.parent === window) return;
  last = height;
  // Only a number leaves the frame, so any embedding origin may receive it.
  window.parent.postMessage({ type: 'weightscope-embed-height', height }, '*');
}

fromHash();
window.addEventListener('hashchange', fromHash);
new ResizeObserver(postHeight).observe(document.body);
element.addEventListener('weightscope-load', () => requestAnimationFrame(postHeight));
element.addEventListener('weightscope-error', () => requestAnimationFrame(postHeight));

// Offline support: network first (so a rebuilt page is picked up at once), the cache when offline.
// The shell lists every page, script and style (modules load lazily, so a first visit may not have
// fetched them all); the wasm build in use is cached when the worker fetches it.
// Only this origin's GET requests are handled; responses keep their COOP/COEP headers.
const CACHE = 'weightscope-v4';
const SHELL = ['./', 'compare.html', 'css/app.css', 'css/embed.css', 'css/layer-table.css', 'embed.html', 'guide.html', 'index.html',
  'js/app.js', 'js/compare/compare.js', 'js/download.js', 'js/embed/embed-page.js', 'js/embed/iframe-resize.js',
  'js/embed/weightscope-report.js', 'js/engine.js', 'js/fields.js', 'js/files.js', 'js/layer-actions.js',
  'js/base-model.js', 'js/plot/plot.js', 'js/plot/ticks.js',
  'js/report/alpha-chart.js', 'js/report/format.js', 'js/report/layer-plots.js',
  'js/report/layer-table.js', 'js/report/report-view.js', 'js/report/skipped.js', 'js/report/spectra.js',
  'js/report/summary.js', 'js/share/codec.js', 'js/share/compact.js', 'js/share/share-page.js',
  'js/share/validate.js', 'js/store.js', 'js/worker.js'];

self.addEventListener('install', e => {
  e.waitUntil(caches.open(CACHE).then(c => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', e => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', e => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  e.respondWith(fetch(e.request).then(res => {
    if (res.ok && res.type === 'basic') {
      const copy = res.clone();
      caches.open(CACHE).then(c => c.put(e.request, copy));
    }
    return res;
  }).catch(() => caches.match(e.request).then(r => r ?? Response.error())));
});

// Static server for the page: web/ at /, the wasm builds at /wasm/, with the headers the page needs.
// Usage: node scripts/serve.mjs [--port P] [--host H] [--no-isolation]
// Also imported by the browser tests: startServer({port: 0, isolation}).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const MOUNTS = [
  ['/wasm/', ['mt', 'fma', 'st'].map(v => join(ROOT, `build-wasm-${v}/web`))],
  ['/', [join(ROOT, 'web')]],
];
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.md': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream', '.npy': 'application/octet-stream',
};
// The same policy as the page's meta tag, also on workers (a worker takes its CSP from its own response).
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
  "img-src 'self' blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

function locate(urlPath) {
  for (const [prefix, dirs] of MOUNTS) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = normalize(urlPath.slice(prefix.length) || 'index.html');
    if (rel.startsWith('..')) return null;
    for (const dir of dirs) {
      let file = join(dir, rel);
      if (!file.startsWith(dir + sep) && file !== dir) return null;
      try {
        if (statSync(file).isDirectory()) file = join(file, 'index.html');
        if (statSync(file).isFile()) return file;
      } catch {}
    }
  }
  return null;
}

export function startServer({ port = 8000, host = '127.0.0.1', isolation = true, log = false } = {}) {
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? locate(path) : null;
    const headers = { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (isolation) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (log) console.log(`${req.method} ${path} ${file ? 200 : 404}`);
    if (!file) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const size = statSync(file).size;
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveStart(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = { isolation: !args.includes('--no-isolation'), log: args.includes('--log') };
  const at = name => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  if (at('--port')) opt.port = Number(at('--port'));
  if (at('--host')) opt.host = at('--host');
  const server = await startServer(opt);
  const { address, port } = server.address();
  console.log(`weightscope: http://${address}:${port}/ ` +
    (opt.isolation ? '(cross-origin isolated: threaded build)' : '(no isolation headers: single-threaded build)'));
}

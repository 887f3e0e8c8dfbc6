// scripts/bench helper: times a whole analysis of one model through a wasm build in node, the way
// the page's worker runs it (tests/node/helpers.mjs loads the module), without the page.
// usage: node scripts/bench_wasm.mjs mt|st THREADS FILE... [--index INDEX.json] [--vectors]
//   --vectors  with the eigenvector metrics (the vectors option), for the vectors/eigenvalues ratio
//   -> {"seconds", "layers", "timings"}: timings sums the layers' phases (the `timings` option),
//      null when the build predates that option.
import { readFileSync } from 'node:fs';
import { closeFiles, loadModule, nodeFile } from '../tests/node/helpers.mjs';

const [variant, threads, ...args] = process.argv.slice(2);
const vectors = args.includes('--vectors');
const rest = args.filter(a => a !== '--vectors');
const at = rest.indexOf('--index');
const index = at >= 0 ? readFileSync(rest[at + 1], 'utf8') : '';
const files = rest.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
const module = await loadModule(variant, Number(threads));

function open(options) {
  return module.Analysis.open(files.map(nodeFile), index, JSON.stringify({ threads: Number(threads), ...(vectors ? { vectors } : {}), ...options }));
}
const t = performance.now();
let analysis, timed = true;
try {
  analysis = open({ timings: true });
} catch (e) {
  if (!/unknown option 'timings'/.test(e.message)) throw e;
  analysis = open({});
  timed = false;
}
while (!analysis.done()) analysis.step();
const report = JSON.parse(analysis.report());
const seconds = (performance.now() - t) / 1000;
analysis.delete();
closeFiles();
let timings = null;
if (timed) {
  timings = {};
  for (const l of report.layers)
    for (const [k, v] of Object.entries(l.timings)) timings[k] = (timings[k] ?? 0) + v;
}
console.log(JSON.stringify({ seconds, layers: report.layers.length, timings }));
process.exit(0);

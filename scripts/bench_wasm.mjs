// scripts/bench helper: times a whole analysis of one file through a wasm build in node, the way
// the page's worker runs it (tests/node/helpers.mjs loads the module).
// usage: node scripts/bench_wasm.mjs mt|st FILE THREADS   -> {"seconds": ...}
import { analyzeWithModule, closeFiles, loadModule } from '../tests/node/helpers.mjs';

const [variant, file, threads = '1'] = process.argv.slice(2);
const module = await loadModule(variant, Number(threads));
const t = performance.now();
const report = analyzeWithModule(module, file, { threads: Number(threads) });
const seconds = (performance.now() - t) / 1000;
closeFiles();
console.log(JSON.stringify({ seconds, layers: report.layers.length }));
process.exit(0);

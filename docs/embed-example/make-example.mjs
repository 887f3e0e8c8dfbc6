// Regenerates this example's data from a report (CLI --json or the page's Download JSON):
//   node docs/embed-example/make-example.mjs report.json
// writes ppocrv4_rec.weightscope.json (the compact form a share link carries, 35 KB instead of
// 1.1 MB; <weightscope-report> reads either form) and puts the share fragment into the iframe of
// index.html.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compactReport } from '../../web/js/share/compact.js';
import { encodeShare } from '../../web/js/share/codec.js';
import { validateReport } from '../../web/js/share/validate.js';

const here = dirname(fileURLToPath(import.meta.url));
const report = validateReport(JSON.parse(readFileSync(process.argv[2], 'utf8')));
writeFileSync(join(here, 'ppocrv4_rec.weightscope.json'), JSON.stringify(compactReport(report)) + '\n');
const page = join(here, 'index.html');
const payload = await encodeShare(report);
writeFileSync(page, readFileSync(page, 'utf8').replace(/\.\.\/web\/embed\.html#r=[A-Za-z0-9_-]*/, `../web/embed.html#r=${payload}`));
console.log(`wrote ppocrv4_rec.weightscope.json and a ${payload.length}-character fragment into index.html`);

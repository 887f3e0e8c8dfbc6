// The service worker's shell lists every page, script and style of web/, so the page works offline
// once loaded even where a module has not been fetched yet (a new module must be added to sw.js).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.mjs';

function files(dir) {
  return readdirSync(dir).flatMap(f => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

test('sw.js caches every .html, .js and .css of the page', () => {
  const web = join(ROOT, 'web');
  const shell = JSON.parse(readFileSync(join(web, 'sw.js'), 'utf8').match(/const SHELL = (\[[^\]]*\])/)[1].replace(/'/g, '"'));
  const want = files(web).map(f => relative(web, f)).filter(f => /\.(html|js|css)$/.test(f) && f !== 'sw.js').sort();
  assert.deepEqual(shell.filter(f => f !== './').sort(), want);
});

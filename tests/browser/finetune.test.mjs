// The page with a base model: a fine-tune's dW = W_ft - W_base and a LoRA adapter (dW = s B A,
// and W_base + dW), chosen with the base-model inputs, give the native CLI's --base reports; the
// page draws the base / fine-tuned / dW alpha plot; clearing the base makes the next run plain.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareReports, fixture, nativeReport, testData } from '../node/helpers.mjs';
import { SCREENSHOTS, analyzeFiles, openPage, shareLink } from './harness.mjs';

const BASE = fixture('ppocrv4_rec.safetensors');
const FT = testData('fixtures/finetune/ppocrv4_rec_ft.safetensors');
const LORA_DIR = testData('fixtures/finetune/ppocrv4_rec_lora');
const LORA = readdirSync(LORA_DIR).filter(f => f.startsWith('adapter_')).map(f => join(LORA_DIR, f));

async function downloadReport(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-json"]')]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

describe('page with a base model (isolated, mt)', () => {
  let s;
  before(async () => { s = await openPage({ isolation: true }); });
  after(async () => { await s?.close(); });

  test('a fine-tune against its base: the native CLI --base report, and the base/ft/dW plot', async () => {
    await s.page.locator('[data-testid="base-input"]').setInputFiles(BASE);
    assert.match(await s.page.textContent('[data-testid="base-name"]'), /ppocrv4_rec\.safetensors/);
    assert.equal(await analyzeFiles(s.page, FT), 'done');
    const got = await downloadReport(s.page);
    const want = nativeReport(FT, ['--base', BASE]);
    assert.ok(want.layers.length > 0 && want.layers.every(l => 'delta_W' in l), 'the native report is a delta report');
    compareReports(assert, got, want, 'finetune');
    const figure = s.page.locator('#alpha-chart figure[data-plot-kind="finetune-alpha"]');
    assert.equal(await figure.count(), 1);
    assert.ok(Number(await figure.getAttribute('data-points')) > 0);
    await figure.screenshot({ path: join(SCREENSHOTS, 'plot-finetune-alpha.png') });
  });

  test('the fine-tune report in a share link and in the compare page: base / ft / dW alphas overlaid', async () => {
    const report = await downloadReport(s.page);
    const tuned = report.layers.filter(l => Number.isFinite(l.alpha_base) || Number.isFinite(l.alpha_ft));
    assert.ok(tuned.length > 0);
    const link = await shareLink(s.page);
    const view = await s.context.newPage();
    await view.goto(link);
    await view.waitForFunction(() => document.body.dataset.state === 'done');
    // The link keeps the base and fine-tuned alphas (approximate): the same plot, the same points.
    assert.equal(await view.getAttribute('#alpha-chart figure[data-plot-kind="finetune-alpha"]', 'data-points'),
                 await s.page.getAttribute('#alpha-chart figure[data-plot-kind="finetune-alpha"]', 'data-points'));
    await view.goto(new URL('compare.html', s.base).href);
    await view.locator('[data-testid="compare-files"]').setInputFiles({ name: 'ft.weightscope.json', mimeType: 'application/json',
                                                                      buffer: Buffer.from(JSON.stringify(report)) });
    await view.fill('[data-testid="compare-link"]', link);
    await view.click('[data-testid="compare-add"]');
    await view.waitForFunction(() => document.querySelectorAll('[data-testid="compare-table"] tbody tr').length === 2);
    // Per model three series (alpha of W_base, W_ft, dW), each a line and its points.
    assert.equal(Number(await view.getAttribute('figure[data-plot-kind="compare-finetune"]', 'data-points')), 2 * 6 * tuned.length);
    await view.locator('figure[data-plot-kind="compare-finetune"]').screenshot({ path: join(SCREENSHOTS, 'compare-finetune.png') });
    await view.close();
  });

  test('a LoRA adapter folder with the base: dW = s B A and W_base + dW rows as the CLI gives them', async () => {
    assert.equal(await analyzeFiles(s.page, LORA), 'done');
    const got = await downloadReport(s.page);
    const want = nativeReport(LORA_DIR, ['--base', BASE]);
    assert.ok(want.layers.some(l => l.lora_update === 'BA') && want.layers.some(l => l.lora_update === 'W_plus_BA'));
    compareReports(assert, got, want, 'lora with base');
  });

  test('clearing the base: the next run analyzes the model on its own', async () => {
    await s.page.click('[data-testid="base-clear"]');
    assert.match(await s.page.textContent('[data-testid="base-name"]'), /none/);
    assert.equal(await analyzeFiles(s.page, LORA), 'done');
    compareReports(assert, await downloadReport(s.page), nativeReport(LORA_DIR), 'lora alone');
  });
});

import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellText } from '../../audits/format.js';
import { buildEvidencePack, type PackResult } from '../../audits/report.js';
import { auditStore, catalog, june, seedMonth } from './support.js';

/*
 * Opens the evidence report in headless Chromium the way an auditor would: from disk, no network.
 * Never skipped: without Chromium the suite fails and says how to install it.
 */
const CHROMIUM = '/usr/bin/chromium';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const screenshot = join(repoRoot, 'test-results', 'evidence-report.png');

describe('evidence report in a browser', () => {
  let browser: Browser;
  let page: Page;
  let pack: PackResult;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}. Run: bash scripts/ci/install-chromium.sh (CI runs it before the tests). This browser test is never skipped.`);
    }
    const { client, run } = await auditStore();
    const { integration } = await seedMonth(client, 'browser');
    pack = await buildEvidencePack({ run, catalog, store: 'test chdb' }, { ...june, integration, outDir: join(mkdtempSync(join(tmpdir(), 'ine-audit-browser-')), 'pack') });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(pack.dir, 'report.html')).href, { waitUntil: 'load' });
    // Kept before any assertion, so a failing run still leaves the picture behind.
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  const rows = (name: Parameters<PackResult['results']['get']>[0]) => pack.results.get(name)!.rows;
  const chartLabels = (chart: string) => page.locator(`figure[data-chart="${chart}"] svg [aria-roledescription="text mark"]`).allTextContents();

  it('loads from disk without a single network request', () => {
    expect(requests).toEqual([pathToFileURL(join(pack.dir, 'report.html')).href]);
  });

  it('shows four rendered SVG charts', async () => {
    expect(await page.locator('figure[data-chart] svg').count()).toBe(4);
    for (const chart of ['approval-rate', 'match-rate', 'consent-coverage', 'match-distribution']) {
      const box = await page.locator(`figure[data-chart="${chart}"] svg`).boundingBox();
      expect(box?.width, chart).toBeGreaterThan(300);
      expect(box?.height, chart).toBeGreaterThan(100);
    }
  });

  it('labels the approval-rate and match-rate charts with the daily query values', async () => {
    const rates = (name: 'approval-rate-daily' | 'face-match-daily', field: string) => rows(name).filter((r) => r[field] !== null).map((r) => Number(r[field]).toFixed(2));
    expect(await chartLabels('approval-rate')).toEqual(rates('approval-rate-daily', 'approval_rate_pct'));
    expect(await chartLabels('approval-rate')).toEqual(['50.00', '100.00', '50.00', '33.33', '0.00']);
    expect(await chartLabels('match-rate')).toEqual(rates('face-match-daily', 'match_rate_pct'));
    expect(await chartLabels('consent-coverage')).toEqual(rows('consent-coverage').map((r) => `${Number(r.coverage_pct).toFixed(2)} %`));
    expect(await chartLabels('match-distribution')).toEqual(rows('face-match-distribution').map((r) => String(r.checks)));
  });

  it('shows the headline figures of period-summary', async () => {
    const summary = rows('period-summary')[0]!;
    for (const key of ['decisions', 'approval_rate_pct', 'ine_checks', 'match_rate_pct', 'coverage_pct', 'violations']) {
      expect(await page.locator(`[data-metric="${key}"] .value`).textContent(), key).toBe(String(summary[key]));
    }
    expect(await page.locator('[data-metric="approval_rate_pct"] dd').textContent()).toBe('44.44 %');
    expect(await page.locator('[data-metric="violations"] dd').textContent()).toBe('4');
  });

  it('lists every consent violation with the query values', async () => {
    const result = pack.results.get('consent-violations')!;
    const table = page.locator('#table-consent-violations');
    expect(await table.locator('thead th').allTextContents()).toEqual(result.columns.map((c) => c.name));
    const shown = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(shown).toEqual(result.rows.map((r) => result.columns.map((c) => cellText(r[c.name], 'NULL'))));
    expect(shown.map((cells) => cells[3])).toEqual(['missing', 'refused', 'after_check', 'missing']);
  });

  it('keeps a screenshot as a test artifact', () => {
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  });
});

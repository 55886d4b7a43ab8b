import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../../audits/format.js';
import { MANIFEST, sha256, SUMS, verifyPack } from '../../audits/manifest.js';
import { buildEvidencePack, reportQueryNames, type PackResult } from '../../audits/report.js';
import type { RunQuery } from '../../audits/runner.js';
import { audit, auditStore, catalog, june, seedMonth } from './support.js';

const allFiles = (dir: string, prefix = ''): string[] =>
  readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(dir, `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();

/** A copy of the pack to damage, so the original stays intact for the next test. */
function copyOf(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'ine-audit-tamper-'));
  cpSync(dir, copy, { recursive: true });
  return copy;
}

function flipByte(file: string, offset: number, mask = 0x01): void {
  const bytes = readFileSync(file);
  bytes[offset] = bytes[offset]! ^ mask;
  writeFileSync(file, bytes);
}

describe('evidence pack', () => {
  let run: RunQuery;
  let integration: string;
  let pack: PackResult;
  const generatedAt = new Date('2025-07-02T08:00:00.000Z');

  beforeAll(async () => {
    const store = await auditStore();
    run = store.run;
    ({ integration } = await seedMonth(store.client, 'pack'));
    const outDir = join(mkdtempSync(join(tmpdir(), 'ine-audit-pack-')), 'june');
    pack = await buildEvidencePack({ run, catalog, store: 'test chdb', now: () => generatedAt }, { ...june, integration, outDir });
  });

  it('holds the report, the SQL and CSV of every query, the manifest and SHA256SUMS', () => {
    expect(allFiles(pack.dir)).toEqual(
      ['SHA256SUMS', 'manifest.json', 'report.html', ...reportQueryNames.flatMap((n) => [`data/${n}.csv`, `queries/${n}.sql`])].sort(),
    );
  });

  it('each CSV equals its audit query run on its own, and each SQL file is the query that ran', async () => {
    for (const name of reportQueryNames) {
      const takesIntegration = catalog.get(name)!.params.some((p) => p.name === 'integration');
      const result = await audit(run, name, { ...june, ...(takesIntegration ? { integration } : {}) });
      expect(readFileSync(join(pack.dir, 'data', `${name}.csv`), 'utf8'), name).toBe(toCsv(result.columns, result.rows));
      expect(readFileSync(join(pack.dir, 'queries', `${name}.sql`), 'utf8'), name).toBe(catalog.get(name)!.sql);
    }
  });

  it('has the seeded month in it', async () => {
    const summary = pack.results.get('period-summary')!.rows[0];
    expect(summary).toEqual({
      decisions: 10, sessions: 10, approved: 4, conclusive_decisions: 9, pending: 1, approval_rate_pct: 44.44,
      ine_checks: 9, ine_completed: 7, face_match_true: 4, match_rate_pct: 57.14,
      consent_checked_sessions: 9, consented: 5, coverage_pct: 55.56, violations: 4,
    });
    expect(pack.results.get('approval-rate-daily')!.rows.map((r) => [r.day, r.approval_rate_pct])).toEqual([
      ['2025-06-02', 50], ['2025-06-03', 100], ['2025-06-04', null], ['2025-06-05', 50], ['2025-06-06', 33.33], ['2025-06-07', 0],
    ]);
    expect(pack.results.get('consent-violations')!.rows.map((r) => r.violation)).toEqual(['missing', 'refused', 'after_check', 'missing']);
    expect(pack.results.get('duplicate-deliveries')!.rows).toHaveLength(1);
    expect(pack.results.get('late-deliveries')!.rows.map((r) => r.delay_seconds)).toEqual([3 * 3600]);
  });

  it('manifest: period, generation time, software version, row counts and the SHA-256 of every file', () => {
    const manifest = JSON.parse(readFileSync(join(pack.dir, MANIFEST), 'utf8'));
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(manifest).toMatchObject({
      period: { from: '2025-06-01T00:00:00.000Z', to: '2025-07-01T00:00:00.000Z', toExclusive: true },
      integration,
      generatedAt: '2025-07-02T08:00:00.000Z',
      software: { name: 'ine-audit', version: pkg.version },
      source: { store: 'test chdb' },
    });
    expect(manifest.queries.map((q: { name: string; rows: number }) => [q.name, q.rows])).toEqual(reportQueryNames.map((n) => [n, pack.results.get(n)!.rows.length]));
    const listed = manifest.files.map((f: { path: string }) => f.path);
    expect(listed).toEqual(allFiles(pack.dir).filter((f) => f !== MANIFEST && f !== SUMS));
    for (const f of manifest.files) expect(f.sha256, f.path).toBe(sha256(readFileSync(join(pack.dir, f.path))));
    expect(readFileSync(join(pack.dir, SUMS), 'utf8')).toContain(`${sha256(readFileSync(join(pack.dir, MANIFEST)))}  manifest.json\n`);
    expect(pack.fingerprint).toBe(sha256(readFileSync(join(pack.dir, SUMS))));
  });

  it('report.html carries the audit numbers and nothing that needs the network', () => {
    const html = readFileSync(join(pack.dir, 'report.html'), 'utf8');
    const summary = pack.results.get('period-summary')!.rows[0]!;
    for (const key of ['approval_rate_pct', 'match_rate_pct', 'coverage_pct', 'violations', 'decisions', 'ine_checks']) {
      expect(html, key).toContain(`data-metric="${key}"`);
      expect(html, key).toMatch(new RegExp(`data-metric="${key}"><dt>[^<]*</dt><dd><span class="value">${String(summary[key]).replace('.', '\\.')}</span>`));
    }
    expect(html.match(/<svg /g)).toHaveLength(4);
    for (const r of pack.results.get('consent-violations')!.rows) expect(html).toContain(`<td>${r.session_id}</td>`);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.match(/(?:src|href)="[^"]*"/g)!.every((a) => !/^(?:src|href)="(?:https?:)?\/\//.test(a))).toBe(true);
  });

  it('verifies as written', async () => {
    const result = await verifyPack(pack.dir, pack.fingerprint);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it.each([
    ['report.html'],
    ['data/consent-violations.csv'],
    ['queries/period-summary.sql'],
    [MANIFEST],
    [SUMS],
  ])('fails after one byte of %s changes, naming the file', async (file) => {
    const copy = copyOf(pack.dir);
    const size = readFileSync(join(copy, file)).length;
    flipByte(join(copy, file), Math.floor(size / 2));
    const result = await verifyPack(copy);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.file)).toContain(file);
    rmSync(copy, { recursive: true });
  });

  it('fails when a file is added, removed or renamed', async () => {
    const added = copyOf(pack.dir);
    writeFileSync(join(added, 'data', 'extra.csv'), 'a\n1\n');
    expect((await verifyPack(added)).problems).toEqual([{ file: 'data/extra.csv', problem: 'added: not listed in SHA256SUMS' }]);
    const removed = copyOf(pack.dir);
    rmSync(join(removed, 'data', 'late-deliveries.csv'));
    expect((await verifyPack(removed)).problems).toContainEqual({ file: 'data/late-deliveries.csv', problem: 'missing' });
    const renamed = copyOf(pack.dir);
    renameSync(join(renamed, 'report.html'), join(renamed, 'report2.html'));
    expect((await verifyPack(renamed)).problems.map((p) => p.file).sort()).toEqual(['report.html', 'report2.html']);
    for (const d of [added, removed, renamed]) rmSync(d, { recursive: true });
  });

  it('fails after any single-byte change anywhere in the pack', async () => {
    const copy = copyOf(pack.dir);
    const files = allFiles(copy);
    await fc.assert(
      fc.asyncProperty(fc.nat(files.length - 1), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 255 }), async (fi, where, mask) => {
        const path = join(copy, files[fi]!);
        const original = readFileSync(path);
        flipByte(path, Math.floor(where * original.length), mask);
        try {
          expect((await verifyPack(copy)).ok).toBe(false);
        } finally {
          writeFileSync(path, original);
        }
      }),
      { numRuns: 300 },
    );
    expect((await verifyPack(copy)).ok).toBe(true);
    rmSync(copy, { recursive: true });
  });

  it('a pack re-sealed after an edit passes the self-check but not the recorded fingerprint', async () => {
    const copy = copyOf(pack.dir);
    const csv = 'data/period-summary.csv';
    writeFileSync(join(copy, csv), readFileSync(join(copy, csv), 'utf8').replace(',44.44,', ',99.99,'));
    const manifest = JSON.parse(readFileSync(join(copy, MANIFEST), 'utf8'));
    manifest.files.find((f: { path: string }) => f.path === csv).sha256 = sha256(readFileSync(join(copy, csv)));
    writeFileSync(join(copy, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    const sums = readFileSync(join(copy, SUMS), 'utf8').split('\n').filter(Boolean).map((line) => {
      const path = line.slice(66);
      return `${sha256(readFileSync(join(copy, path)))}  ${path}`;
    });
    writeFileSync(join(copy, SUMS), sums.join('\n') + '\n');
    expect((await verifyPack(copy)).ok).toBe(true);
    const checked = await verifyPack(copy, pack.fingerprint);
    expect(checked.ok).toBe(false);
    expect(checked.problems[0]!.problem).toMatch(/is not the recorded/);
    rmSync(copy, { recursive: true });
  });

  it('refuses to write into a folder that is not empty', async () => {
    await expect(buildEvidencePack({ run, catalog, store: 'test chdb' }, { ...june, integration, outDir: pack.dir })).rejects.toThrow(/not empty/);
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startDoor, type Door } from '../../sqldoor/door.js';
import { testDataDir } from '../helpers/clickhouse.js';
import { toCsv } from '../../audits/format.js';
import { createLogger } from '../../lib/logger.js';
import { withLocalSecrets } from '../../lib/local-secrets.js';
import { audit, auditStore, catalog, june, seedMonth } from './support.js';

/*
 * `npm run audit` as a user runs it, in a child process. Embedded mode: the child finds admin.json in
 * DATA_DIR and queries through the admin endpoint of "the running service" (this process's store),
 * as it would against `npm start`. Server mode: the child talks to CLICKHOUSE_URL directly.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsx, 'cli/audit.ts', ...args], { cwd: repoRoot, env, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('npm run audit', () => {
  const clickhouseUrl = inject('services')?.clickhouseUrl ?? null;
  let env: Record<string, string>;
  let door: Door | null = null;
  let integration: string;
  let session: (n: number) => string;
  let run: Awaited<ReturnType<typeof auditStore>>['run'];

  beforeAll(async () => {
    const store = await auditStore();
    run = store.run;
    ({ integration, session } = await seedMonth(store.client, 'cli'));
    const dataDir = mkdtempSync(join(tmpdir(), 'ine-audit-cli-'));
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    if (clickhouseUrl) env.CLICKHOUSE_URL = clickhouseUrl;
    else {
      // The running service's SQL door over this process's store, as `npm start` would serve it.
      env.DATA_DIR = testDataDir();
      const config = withLocalSecrets(loadConfig({ DATA_DIR: env.DATA_DIR }), { integrations: false });
      door = await startDoor({ config, client: store.client, log: createLogger('silent'), port: 0 });
    }
  });

  afterAll(async () => {
    await door?.stop();
  });

  it('list shows every query with its parameters', async () => {
    const { code, stdout } = await cli(['list'], env);
    expect(code).toBe(0);
    for (const q of catalog.values()) expect(stdout).toContain(`${q.name} — ${q.title}`);
    expect(stdout).toContain("--from <DateTime64(3, 'UTC')>");
    expect(stdout).toMatch(/--late-minutes <UInt32>\s+optional, default 60/);
    expect(stdout).toMatch(/--session <String>\s+required/);
    const json = JSON.parse((await cli(['list', '--format', 'json'], env)).stdout);
    expect(json.map((q: { name: string }) => q.name)).toEqual([...catalog.keys()]);
  });

  it('runs a query in csv, json and table format with the same numbers as the library', async () => {
    const args = ['consent-violations', '--from', june.from, '--to', june.to, '--integration', integration];
    const expected = await audit(run, 'consent-violations', { ...june, integration });
    const csv = await cli([...args, '--format', 'csv'], env);
    expect(csv).toMatchObject({ code: 0, stdout: toCsv(expected.columns, expected.rows) });
    expect(JSON.parse((await cli([...args, '--format', 'json'], env)).stdout)).toEqual(expected.rows);
    const table = await cli(args, env);
    expect(table.stdout.split('\n')[0]).toBe(`# consent-violations · [2025-06-01T00:00:00.000Z, 2025-07-01T00:00:00.000Z) · integration ${integration}`);
    expect(table.stdout).toContain('(4 rows)');
    const timeline = await cli(['session-timeline', '--session', session(8), '--format', 'json'], env);
    expect(JSON.parse(timeline.stdout)).toEqual((await audit(run, 'session-timeline', { session: session(8) })).rows);
  });

  it("treats --integration \"x' OR 1=1 --\" as a value", async () => {
    const { code, stdout } = await cli(['consent-coverage', '--from', june.from, '--to', june.to, '--integration', "x' OR 1=1 --", '--format', 'csv'], env);
    expect(code).toBe(0);
    expect(stdout).toBe('integration,ine_checks,consented,missing,refused,after_check,coverage_pct\n');
  });

  it.each([
    [[], /usage:/],
    [['nope'], /unknown command or query "nope"/],
    [['consent-coverage', '--to', '2025-07-01'], /--from: is required/],
    [['consent-coverage', '--from', '2025-06-01T00:00', '--to', '2025-07-01'], /add Z or an offset/],
    [['consent-coverage', '--from', '2025-07-01', '--to', '2025-06-01'], /--from must be before --to/],
    [['consent-coverage', '--from', '2025-06-01', '--to', '2025-07-01', '--format', 'xml'], /--format must be one of table, csv, json/],
    [['consent-coverage', '--from', '2025-06-01', '--to', '2025-07-01', '--session', 'x'], /--session: consent-coverage takes no such option/],
    [['session-timeline'], /--session: is required/],
    [['report', '--from', '2025-06-01', '--to', '2025-07-01'], /report needs --out/],
    [['verify'], /verify needs exactly one pack folder/],
    [['verify', '/nonexistent/pack'], /is not a folder/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const { code, stderr } = await cli(args, env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('exits 1 when the store cannot answer', async () => {
    const broken = clickhouseUrl ? { ...env, CLICKHOUSE_URL: 'http://127.0.0.1:1' } : { ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 'ine-audit-empty-')) };
    const { code, stderr } = await cli(['period-summary', '--from', june.from, '--to', june.to], broken);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^audit failed: /);
  });

  it('report writes a pack that verify accepts, and verify exits 1 naming a tampered file', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ine-audit-cli-pack-')), 'june');
    const report = await cli(['report', '--from', june.from, '--to', june.to, '--integration', integration, '--out', out], env);
    expect(report.code, report.stderr).toBe(0);
    const fingerprint = /fingerprint \(sha256 of SHA256SUMS\): ([0-9a-f]{64})/.exec(report.stdout)![1]!;
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.source.store).toBe(clickhouseUrl ? `ClickHouse server ${new URL(clickhouseUrl).origin}` : 'embedded chdb through the running service (read-only)');
    expect(manifest.source.store).not.toMatch(/:[^/@]*@/);

    expect(await cli(['verify', out, '--fingerprint', fingerprint], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK /) });
    const wrong = await cli(['verify', out, '--fingerprint', '0'.repeat(64)], env);
    expect(wrong.code).toBe(1);

    const csv = join(out, 'data', 'consent-violations.csv');
    writeFileSync(csv, readFileSync(csv, 'utf8').replace('missing', 'mIssing'));
    const tampered = await cli(['verify', out], env);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('TAMPERED data/consent-violations.csv: SHA-256 differs: file was altered');

    mkdirSync(join(out, 'more'));
    const again = await cli(['report', '--from', june.from, '--to', june.to, '--out', out], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists and is not an empty folder/);
  });
});

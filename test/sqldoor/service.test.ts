import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeDecision } from '../helpers/fixtures.js';
import { signedPost, type TestIntegration } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { repoRoot, spawnService, type ChildService } from '../helpers/processes.js';
import { runCli } from '../helpers/cli.js';
import { hostileCorpus } from './hostile.js';

/*
 * `npm start` as a child process, and clients nobody here wrote reading it through its SQL door:
 * clickhouse-connect (Python), clickhouse-go/v2 in HTTP mode (what Grafana's plugin is built on), the
 * ClickHouse JDBC driver (what DBeaver uses), and `npm run sql`. test/clients/setup.sh installs them.
 */
const run = promisify(execFile);
const embedded = !inject('services')?.clickhouseUrl;
const clients = {
  python: [join(repoRoot, 'test/clients/python/.venv/bin/python'), join(repoRoot, 'test/clients/python/probe.py')],
  go: [join(repoRoot, 'test/clients/go/probe')],
  jdbc: ['bash', join(repoRoot, 'test/clients/java/probe.sh')],
} as const;

interface Probe {
  columns: Array<{ name: string; type: string; client_type: string }>;
  rows: unknown[][];
  error?: string;
  code?: number | null;
}

describe.runIf(embedded)('npm start: the SQL door for real clients', () => {
  let service: ChildService;
  let dataDir: string;
  const integration: TestIntegration = { name: 'door', apiKey: `door-${randomUUID()}`, sharedSecret: 'door-shared-secret-0123456789' };
  const session = randomUUID();
  const adminToken = `door-admin-${randomUUID()}`;
  const env = () => ({ DATA_DIR: dataDir, CLICKHOUSE_HTTP_PORT: new URL(service.sqlUrl).port, ADMIN_TOKEN: adminToken });
  const password = async () => readFileSync(join(dataDir, 'analyst-password'), 'utf8').trim();

  async function probe(client: keyof typeof clients, sql: string, user = 'analyst'): Promise<Probe> {
    const [command, ...args] = clients[client];
    const url = new URL(service.sqlUrl);
    const childEnv = { ...process.env, CH_HOST: url.hostname, CH_PORT: url.port, CH_USER: user, CH_PASSWORD: await password() };
    const answer = await run(command, [...args, 'query', sql], { env: childEnv, timeout: 120_000 }).then(
      (r) => r.stdout,
      (e: { stdout?: string }) => e.stdout ?? '{}',
    );
    return JSON.parse(answer.trim().split('\n').pop()!);
  }

  beforeAll(async () => {
    await run('bash', [join(repoRoot, 'test/clients/setup.sh')], { timeout: 900_000 });
    dataDir = mkdtempSync(join(tmpdir(), 'ine-audit-door-'));
    service = await spawnService({ ...process.env, DATA_DIR: dataDir, VERIFF_INTEGRATIONS: JSON.stringify([integration]), ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn' } as Record<string, string>, { entry: 'cli/start.ts' });
    const decision = makeDecision('decision-approved-ine-match', { sessionId: session, decisionTime: '2025-06-02T10:00:00.123Z' });
    expect((await signedPost(service.httpUrl, '/webhooks/veriff/decision', decision, integration)).status).toBe(200);
  }, 900_000);

  afterAll(async () => {
    await service?.kill();
  });

  const query = `SELECT session_id, ine_face_match, ine_face_match_percentage, ine_threshold_match, decision_time, reason FROM ine_audit.decisions_latest WHERE session_id = '${session}'`;

  for (const client of Object.keys(clients) as Array<keyof typeof clients>) {
    it(`${client} reads decisions_latest as analyst with ClickHouse's types, and is refused raw_payloads`, async () => {
      const answer = await probe(client, query);
      expect(answer.error, JSON.stringify(answer)).toBeUndefined();
      expect(answer.columns.map((c) => [c.name, c.type])).toEqual([
        ['session_id', 'String'],
        ['ine_face_match', 'Nullable(Bool)'],
        ['ine_face_match_percentage', 'Nullable(UInt8)'],
        ['ine_threshold_match', 'Nullable(Bool)'],
        ['decision_time', "DateTime64(3, 'UTC')"],
        ['reason', 'Nullable(String)'],
      ]);
      expect(answer.rows).toHaveLength(1);
      const [id, match, percentage, threshold, time, reason] = answer.rows[0]!;
      expect([id, match, percentage, threshold, reason]).toEqual([session, true, 89, true, null]);
      // clickhouse-connect gives naive datetimes in UTC by default; the others carry the zone.
      expect(String(time)).toMatch(/^2025-06-02T10:00:00\.123(000)?(\+00:00|Z)?$/);
      const refused = await probe(client, 'SELECT * FROM ine_audit.raw_payloads');
      expect(refused.error).toContain('ACCESS_DENIED');
      expect(refused.code).toBe(497);
      expect(JSON.stringify(refused)).not.toContain('JUAN PRUEBA');
    });
  }

  it('npm run sql answers as analyst, refuses the whole hostile corpus, and lets the operator in explicitly', { timeout: 600_000 }, async () => {
    const { stdout } = await runCli('sql', [query], env());
    expect(JSON.parse(stdout.trim()).session_id).toBe(session);
    const corpus = hostileCorpus({ dataDir, port: 9, outfile: join(dataDir, 'outfile') });
    for (const sql of corpus) {
      const failed = await runCli('sql', [sql], env()).then(() => null, (e: { stderr: string; stdout: string }) => e);
      expect(failed, sql).not.toBeNull();
      expect(failed!.stdout, sql).toBe('');
      expect(failed!.stderr, sql).toMatch(/^query failed: Code: (497|164|62|73|115) /);
      expect(failed!.stderr, sql).not.toContain('JUAN PRUEBA');
    }
    const { stdout: raw } = await runCli('sql', ['--user', 'operator', 'SELECT count() AS n FROM ine_audit.raw_payloads'], env());
    expect(JSON.parse(raw.trim()).n).toBeGreaterThan(0);
    const log = await pollUntil(() => service.sql<{ user: string; outcome: string }>("SELECT user, outcome FROM ine_audit.sql_access_log WHERE user IN ('analyst', 'operator')"), (r) => r.some((e) => e.user === 'operator') && r.some((e) => e.outcome === 'denied'), { what: 'access log' });
    expect(log.filter((e) => e.user === 'analyst' && e.outcome !== 'ok').length).toBeGreaterThanOrEqual(corpus.length);
  });

  it('answers webhooks quickly while a runaway analyst query runs, and cuts the query off with TIMEOUT_EXCEEDED', async () => {
    const auth = { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': await password() };
    const started = Date.now();
    const runaway = fetch(`${service.sqlUrl}/?max_execution_time=4`, { method: 'POST', body: 'SELECT count() FROM numbers(1e14) WHERE rand() % 7 = 0', headers: auth });
    await new Promise((r) => setTimeout(r, 300));
    const latencies: number[] = [];
    while (Date.now() - started < 3500) {
      const t = performance.now();
      const answer = await signedPost(service.httpUrl, '/webhooks/veriff/decision', makeDecision('decision-approved-ine-match', { sessionId: randomUUID() }), integration);
      latencies.push(performance.now() - t);
      expect(answer.status).toBe(200);
    }
    const res = await runaway;
    expect(res.status).toBe(408);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('159');
    latencies.sort((a, b) => a - b);
    const p95 = latencies[Math.floor(latencies.length * 0.95)]!;
    console.log(`webhooks during a runaway query: ${latencies.length}, p50 ${latencies[latencies.length >> 1]!.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`);
    expect(latencies.length).toBeGreaterThan(5);
    expect(p95).toBeLessThan(1000);
  });

  it('stops within its shutdown deadline while a query runs (the query is cancelled)', async () => {
    const auth = { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': await password() };
    const runaway = fetch(`${service.sqlUrl}/`, { method: 'POST', body: 'SELECT count() FROM numbers(1e14) WHERE rand() % 7 = 0', headers: auth }).then((r) => r.text(), (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 500));
    const t = Date.now();
    const exit = await service.kill('SIGTERM');
    const took = Date.now() - t;
    console.log(`stopped ${took} ms after SIGTERM with a query running: ${JSON.stringify(exit)}`);
    expect(exit.code).toBe(0);
    expect(took).toBeLessThan(10_000);
    expect(await runaway).not.toMatch(/^\d+$/);
  });
});

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../lib/config.js';
import { queryRows } from '../../lib/clickhouse.js';
import { createLogger } from '../../lib/logger.js';
import { withLocalSecrets } from '../../lib/local-secrets.js';
import { loadLedgerKey } from '../../ledger/keys.js';
import { startDoor, type Door } from '../../sqldoor/door.js';
import { namedFunctions, tableFunctions } from '../../sqldoor/policy.js';
import { catalog, seedMonth, auditStore, june } from '../audits/support.js';
import { testDataDir } from '../helpers/clickhouse.js';
import { loadAlertRules, loadDashboards, panelContext, panelsOf, runAlertQuery, runPanel } from '../dashboards/panels.js';
import { hostileCorpus, hostileSettings } from './hostile.js';
import { pollUntil } from '../helpers/poll.js';
import { parseParams } from '../../audits/params.js';
import { runAudit } from '../../audits/runner.js';

/*
 * The SQL door over a seeded embedded store, as analysts, Grafana and the operator reach it:
 * ClickHouse's HTTP interface, with @clickhouse/client and plain fetch.
 */
const embedded = !inject('services')?.clickhouseUrl;
const personal = ['JUAN PRUEBA', 'FAKE900101HDFXXX01'];

describe.runIf(embedded)('SQL door', () => {
  let door: Door;
  let config: Config;
  let direct: Awaited<ReturnType<typeof auditStore>>;
  let listener: Server;
  let connections = 0;
  let port = 0;
  let integration = '';
  const outfile = join(tmpdir(), `ine-door-outfile-${process.pid}`);
  const clients: ClickHouseClient[] = [];
  const as = (user: string, password?: string) => {
    const client = createClient({ url: door.url, username: user, password: password ?? secretOf(user), database: 'ine_audit' });
    clients.push(client);
    return client;
  };
  const secretOf = (user: string) => (user === 'operator' ? config.adminToken! : config.sqlDoor.passwords[user as 'analyst' | 'grafana']!);
  const post = (sql: string, user = 'analyst', params: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    fetch(`${door.url}/?${new URLSearchParams(params)}`, { method: 'POST', body: sql, headers: { authorization: `Basic ${Buffer.from(`${user}:${secretOf(user)}`).toString('base64')}`, ...headers } });
  const counts = async () => queryRows<{ t: string; n: number }>(direct.client, "SELECT table AS t, sum(rows) AS n FROM system.parts WHERE database = 'ine_audit' AND active AND table != 'sql_access_log' AND table NOT LIKE 'sql_access%' GROUP BY t ORDER BY t");

  beforeAll(async () => {
    direct = await auditStore();
    ({ integration } = await seedMonth(direct.client, 'door'));
    config = withLocalSecrets(loadConfig({ DATA_DIR: testDataDir() }), { integrations: true });
    // The store owner's ledger key, as the sealer generates it: one more secret the door must not reach.
    loadLedgerKey(config, { create: true });
    door = await startDoor({ config, client: direct.client, log: createLogger(process.env.DOOR_TEST_LOG ?? 'silent'), port: 0, announce: false });
    listener = createServer((s) => { connections++; s.destroy(); });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    port = (listener.address() as { port: number }).port;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await door?.stop();
    listener?.close();
  });

  it('answers /ping and a query like ClickHouse, with its headers, formats and gzip', async () => {
    expect(await (await fetch(`${door.url}/ping`)).text()).toBe('Ok.\n');
    const res = await post('SELECT 1 AS one, {s:String} AS s', 'analyst', { param_s: "it's", default_format: 'JSONCompact', query_id: 'q-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-clickhouse-query-id')).toBe('q-1');
    expect(res.headers.get('x-clickhouse-format')).toBe('JSONCompact');
    expect(res.headers.get('x-clickhouse-timezone')).toBe('UTC');
    expect(JSON.parse(res.headers.get('x-clickhouse-summary')!)).toHaveProperty('read_rows');
    expect((await res.json()).data).toEqual([[1, "it's"]]);
    const csv = await post('SELECT number FROM numbers(3) FORMAT CSV');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toBe('0\n1\n2\n');
    const gz = await fetch(`${door.url}/?enable_http_compression=1&query=${encodeURIComponent('SELECT count() FROM numbers(10)')}`, { headers: { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': secretOf('analyst'), 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const native = await post('SELECT toUInt8(7) AS x', 'analyst', { default_format: 'Native' });
    expect(Buffer.from(await native.arrayBuffer())).toEqual(Buffer.from([1, 1, 1, 0x78, 5, ...Buffer.from('UInt8'), 7]));
  });

  it('writes the header of a WithNames format once, however many blocks the result takes', async () => {
    for (const format of ['CSVWithNames', 'TSVWithNamesAndTypes', 'JSONCompactEachRowWithNames']) {
      const lines = (await (await post('SELECT number AS n FROM numbers(300000)', 'analyst', { default_format: format })).text()).trimEnd().split('\n');
      const header = format === 'TSVWithNamesAndTypes' ? 2 : 1;
      expect(lines.length, format).toBe(300_000 + header);
      expect(lines.filter((l) => l.includes('n')).length, format).toBe(header);
    }
    const binary = Buffer.from(await (await post('SELECT number AS n FROM numbers(300000)', 'analyst', { default_format: 'RowBinaryWithNamesAndTypes' })).arrayBuffer());
    // One header: the column count, the name 'n' and the type 'UInt64', each length-prefixed; then 8 bytes a row.
    expect(binary.length).toBe(1 + 2 + 7 + 300_000 * 8);
  });

  it('keeps every secret in DATA_DIR at mode 0600', () => {
    for (const file of ['pseudonym-pepper', 'admin-token', 'local-integration.json', 'analyst-password', 'grafana-password', 'ledger-signing-key.pem']) {
      expect(statSync(join(config.dataDir, file)).mode & 0o077, file).toBe(0);
    }
  });

  it('refuses a wrong password with 401 and code 516, and an unknown user the same way', async () => {
    for (const [user, password] of [['analyst', 'wrong'], ['grafana', ''], ['default', ''], ['operator', 'guess']]) {
      const res = await fetch(`${door.url}/?query=SELECT%201`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
      expect(res.status, user).toBe(401);
      expect(res.headers.get('x-clickhouse-exception-code')).toBe('516');
      expect(await res.text()).toMatch(/^Code: 516\. DB::Exception: .*AUTHENTICATION_FAILED/);
    }
  });

  it('runs every audit query as analyst with the same rows as the store itself', async () => {
    const analyst = as('analyst');
    const run = (q: string, p: Record<string, unknown> = {}) => queryRows(analyst, q, p);
    for (const query of catalog.values()) {
      const raw = Object.fromEntries(query.params.map((p) => [p.name, p.type.startsWith('DateTime') ? (p.name === 'to' ? june.to : june.from) : p.name === 'session' ? 'none' : undefined]));
      const params = parseParams(query, raw as Record<string, string | undefined>);
      // Not direct.run: its readonly=1 would become the embedded connection's session setting (chdb), and the access log could no longer be written.
      const store = (q: string, p: Record<string, unknown> = {}) => queryRows(direct.client, q, p);
      expect((await runAudit(run, query, params)).rows, query.name).toEqual((await runAudit(store, query, params)).rows);
    }
  });

  it('runs every dashboard panel as grafana', async () => {
    const grafana = as('grafana');
    for (const dashboard of loadDashboards()) {
      for (const panel of panelsOf(dashboard).filter((p) => p.targets?.[0]?.rawSql)) {
        await expect(runPanel(grafana, panel, panelContext(panel, { fromMs: Date.parse(june.from), toMs: Date.parse(june.to) }, { integration: { current: [integration], options: [integration] } })), `${dashboard.uid}: ${panel.title}`).resolves.toBeDefined();
      }
    }
  });

  it('runs every provisioned alert rule as grafana', async () => {
    const grafana = as('grafana');
    for (const rule of loadAlertRules()) await expect(runAlertQuery(grafana, rule, Date.now()), rule.uid).resolves.toBeDefined();
  });

  it('gives grafana the dead-letter metadata and never its bytes', async () => {
    expect(await queryRows(as('grafana'), 'SELECT count() AS n, max(at) AS last FROM dead_letters')).toHaveLength(1);
    const res = await post('SELECT value FROM dead_letters', 'grafana');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SELECT(value) ON ine_audit.dead_letters');
  });

  it('lets the operator read everything, logged', async () => {
    const rows = await queryRows<{ body: string }>(as('operator'), 'SELECT body FROM raw_payloads LIMIT 1');
    expect(rows[0]!.body).toContain('"sessionId"');
  });

  it('answers what analysts write: CTEs, windows, lambdas, CASE, EXISTS, IN, JOIN, UNION, catalogue and SHOW/DESCRIBE/EXPLAIN', async () => {
    const legit = [
      "WITH d AS (SELECT session_id, status FROM decisions) SELECT status, count() FROM d GROUP BY status",
      'SELECT session_id, row_number() OVER (PARTITION BY status ORDER BY decision_time) AS n, lagInFrame(status) OVER (ORDER BY decision_time) FROM decisions',
      "SELECT arrayMap(x -> x * 2, [1, 2]), CASE status WHEN 'approved' THEN 1 ELSE 0 END, toUInt8(1)::UInt16, if(ine_face_match, 'y', 'n') FROM decisions LIMIT 1",
      'SELECT count() FROM decisions AS d WHERE EXISTS (SELECT 1 FROM consents AS c WHERE c.session_id = d.session_id)',
      'SELECT count() FROM decisions WHERE session_id IN (SELECT session_id FROM consents) AND status IN (SELECT status FROM decision_statuses)',
      'SELECT d.status, s.conclusive FROM decisions AS d LEFT JOIN decision_statuses AS s ON s.status = d.status LIMIT 3',
      'SELECT 1 AS x UNION ALL SELECT 2 INTERSECT SELECT 2',
      'SELECT quantileIf(0.5)(ine_face_match_percentage, ine_check_performed), uniqExact(session_id), countIf(status = \'approved\') FROM decisions',
      "SELECT name, engine FROM system.tables WHERE database = 'ine_audit' FORMAT JSONEachRow",
      'SELECT name, type FROM system.columns WHERE table = \'decisions_latest\'',
      'SHOW TABLES FROM ine_audit',
      'DESCRIBE TABLE decisions_latest',
      'EXISTS TABLE ine_audit.decisions',
      'EXPLAIN SELECT count() FROM decisions',
      'SELECT version(), timezone(), currentUser(), currentDatabase()',
      'SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.parts WHERE database = \'ine_audit\'',
    ];
    for (const sql of legit) {
      const res = await post(sql);
      expect(res.status, `${sql}\n${await res.clone().text()}`).toBe(200);
    }
  });

  it('refuses the hostile corpus: no personal value, secret, host file or network address, no row changed', async () => {
    const before = await counts();
    const corpus = hostileCorpus({ dataDir: config.dataDir, port, outfile });
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    const secrets = [
      ...personal,
      config.pseudonymPepper!,
      config.adminToken!,
      config.sqlDoor.passwords.grafana!,
      ...config.integrations.map((i) => i.sharedSecret),
      readFileSync('/etc/hostname', 'utf8').trim(),
      readFileSync(join(config.dataDir, 'ledger-signing-key.pem'), 'utf8').split('\n')[1]!,
      'root:x:0:0',
    ];
    for (const user of ['analyst', 'grafana']) {
      for (const sql of corpus) {
        const res = await post(sql, user);
        const body = await res.text();
        if (user === 'grafana' && res.status === 200) {
          // grafana may count dead letters and see their definition (metadata); everything else in the corpus is refused.
          expect(sql, body).toMatch(/^SHOW CREATE TABLE ine_audit\.dead_letters$|count\(\) FROM (dead_letters|ine_audit\.dead_letters)|\(SELECT count\(\) FROM ine_audit\.dead_letters\)|UNION ALL SELECT count\(\) FROM ine_audit\.dead_letters/);
        } else {
          expect([400, 401, 403, 404, 408], `${user}: ${sql}\n${body}`).toContain(res.status);
          expect(body, sql).toMatch(/^Code: \d+\. DB::Exception: /);
          expect(res.headers.get('x-clickhouse-exception-code'), sql).toMatch(/^\d+$/);
        }
        for (const secret of secrets) expect(body, `${user}: ${sql}`).not.toContain(secret);
      }
      for (const settings of hostileSettings) {
        const res = await post('SELECT 1', user, settings);
        expect(res.status, JSON.stringify(settings)).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    }
    expect(connections).toBe(0);
    expect(existsSync(outfile)).toBe(false);
    expect(await counts()).toEqual(before);
  });

  it('refuses the corpus files, network, writes and settings to the operator too, who reads every table', async () => {
    const before = await counts();
    const secrets = [config.pseudonymPepper!, config.sqlDoor.passwords.analyst!, config.sqlDoor.passwords.grafana!, ...config.integrations.map((i) => i.sharedSecret), 'root:x:0:0'];
    for (const sql of hostileCorpus({ dataDir: config.dataDir, port, outfile })) {
      const res = await post(sql, 'operator');
      const body = await res.text();
      // The operator may read the restricted tables (and a scalar folded from them) and the system tables; nothing else of the corpus runs.
      if (res.status === 200) expect(sql, body).toMatch(/raw_payloads|quarantine|sql_access_log|dead_letters|system\./);
      else expect([400, 403, 404], `${sql}\n${body}`).toContain(res.status);
      if (res.status === 200) expect(sql).not.toMatch(/\b(file|url|remote|remoteSecure|s3|mysql|postgresql|executable|merge|view|sqlite|cluster|INTO OUTFILE)\b/i);
      for (const secret of secrets) expect(body, sql).not.toContain(secret);
    }
    expect(connections).toBe(0);
    expect(existsSync(outfile)).toBe(false);
    expect(await counts()).toEqual(before);
  });

  it('refuses every table function and every function outside the allow-list, for every role, before anything runs', async () => {
    const operator = as('operator');
    const allTableFunctions = (await queryRows<{ name: string }>(operator, 'SELECT name FROM system.table_functions')).map((f) => f.name);
    const outside = (await queryRows<{ name: string }>(operator, "SELECT name FROM system.functions WHERE alias_to = '' AND categories IN ('Other', 'Dictionary', 'Embedded Dictionary', 'Introspection', 'Machine Learning', 'AI') ORDER BY name")).map((f) => f.name);
    const refusedFunctions = outside.filter((f) => !namedFunctions.has(f));
    expect(allTableFunctions.filter((f) => !tableFunctions.has(f)).length).toBeGreaterThan(50);
    expect(refusedFunctions).toEqual(expect.arrayContaining(['file', 'joinGet', 'dictGet', 'catboostEvaluate', 'getServerSetting', 'getClientHTTPHeader', 'hostName', 'sleep', 'aiGenerate', 'addressToSymbol']));
    for (const user of ['analyst', 'grafana', 'operator']) {
      for (const fn of allTableFunctions.filter((f) => !tableFunctions.has(f))) {
        const res = await post(`SELECT * FROM ${fn}('x')`, user);
        // A table function with a syntax of its own (viewIfPermitted) fails to parse: refused before the policy, nothing ran.
        const text = await res.text();
        if (res.status === 400) expect(text, fn).toContain('SYNTAX_ERROR');
        else expect([res.status, text], `${user}: ${fn}`).toEqual([403, expect.stringContaining(`table function ${fn} is not allowed`)]);
      }
      for (const fn of refusedFunctions) {
        const res = await post(`SELECT ${fn}('x')`, user);
        expect(res.status, `${user}: ${fn}`).toBe(403);
        expect(await res.text(), fn).toContain(`function ${fn} is not allowed`);
      }
    }
  });

  it('cuts a runaway query off with TIMEOUT_EXCEEDED, and a client may lower but never raise the limit', async () => {
    const res = await post('SELECT count() FROM numbers(1e14) WHERE rand() % 7 = 0', 'analyst', { max_execution_time: '1' });
    expect(res.status).toBe(408);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('159');
    expect(await res.text()).toContain('TIMEOUT_EXCEEDED');
    expect((await post('SELECT 1', 'analyst', { max_execution_time: '61' })).status).toBe(403);
  });

  it('runs every role and the store itself without hash-table statistics, so no query preallocates for an earlier one', async () => {
    const sql = "SELECT value FROM system.settings WHERE name = 'collect_hash_table_stats_during_aggregation'";
    for (const role of ['analyst', 'grafana', 'operator']) {
      const res = await post(sql, role);
      expect(res.status, role).toBe(200);
      expect((await res.text()).trim(), role).toBe('0');
    }
    expect(await queryRows(direct.client, sql)).toEqual([{ value: '0' }]);
  });

  it('runs at most SQL_MAX_CONCURRENT_QUERIES at once, and failed queries never hold a slot', async () => {
    for (let i = 0; i < 5; i++) expect((await post("SELECT throwIf(1, 'boom')")).status).toBe(500);
    const slow = () => post('SELECT count() FROM numbers(1e14) WHERE rand() % 7 = 0', 'analyst', { max_execution_time: '2' });
    const running = [slow(), slow()];
    await new Promise((r) => setTimeout(r, 300));
    const third = await post('SELECT 1');
    expect(third.status).toBe(503);
    expect(third.headers.get('x-clickhouse-exception-code')).toBe('202');
    expect((await Promise.all(running)).map((r) => r.status)).toEqual([408, 408]);
    expect((await post('SELECT 1')).status).toBe(200);
  });

  it('writes who read what to sql_access_log, which only the operator reads', async () => {
    await post('SELECT count() FROM decisions_latest', 'analyst', { query_id: 'logged-1' });
    await post('SELECT * FROM raw_payloads', 'analyst', { query_id: 'logged-2' });
    const logged = () => queryRows<{ query_id: string; user: string; outcome: string; tables: string[]; error_code: number }>(
      as('operator'),
      "SELECT query_id, user, outcome, tables, error_code FROM sql_access_log WHERE query_id IN ('logged-1', 'logged-2') ORDER BY query_id",
    );
    const rows = await pollUntil(logged, (r) => r.length === 2, { timeoutMs: 10_000, what: 'access log rows' });
    expect(rows).toEqual([
      { query_id: 'logged-1', user: 'analyst', outcome: 'ok', tables: expect.arrayContaining(['ine_audit.decisions_latest', 'ine_audit.decision_rows']), error_code: 0 },
      { query_id: 'logged-2', user: 'analyst', outcome: 'denied', tables: [], error_code: 497 },
    ]);
    expect((await post('SELECT count() FROM sql_access_log')).status).toBe(403);
    expect(await queryRows(as('grafana'), "SELECT user, outcome, sum(queries) AS n FROM sql_access_counts WHERE user = 'analyst' GROUP BY user, outcome")).not.toHaveLength(0);
  });

  it('reads views only when what they read is granted too (views expanded)', async () => {
    for (const name of ['decisions_latest', 'consent_audit', 'consent_verdicts']) {
      expect((await post(`SELECT count() FROM ${name}`, 'grafana')).status, name).toBe(200);
    }
    expect((await post('SELECT count() FROM session_events', 'grafana')).status).toBe(403);
    const schema = await post('SELECT count() FROM information_schema.tables', 'analyst');
    expect(schema.status, await schema.text()).toBe(200);
  });

  it('compresses with gzip only when asked', async () => {
    const res = await fetch(`${door.url}/?enable_http_compression=1`, { method: 'POST', body: 'SELECT number FROM numbers(1000) FORMAT CSV', headers: { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': secretOf('analyst'), 'accept-encoding': 'gzip' } });
    const raw = Buffer.from(await res.arrayBuffer());
    // fetch decodes gzip itself; a body that still starts with the gzip magic would be double-encoded.
    expect(raw.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])) ? gunzipSync(raw).toString() : raw.toString()).toMatch(/^0\n1\n/);
  });
});

import { randomUUID } from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { withLocalSecrets } from '../lib/local-secrets.js';
import { startDoor, type Door } from '../sqldoor/door.js';
import { auditStore, event, june, seedMonth, seedWithSources } from '../test/audits/support.js';
import { testDataDir } from '../test/helpers/clickhouse.js';
import { loadAlertRules, loadDashboards, panelContext, panelsOf, readYaml, runAlertQuery, runPanel } from '../test/dashboards/panels.js';
import type { VariableState } from './macros.js';

/*
 * Grafana beside `npm start`: the provisioning-embedded datasource points the plugin at the embedded
 * store's SQL door as user grafana. Every panel of every dashboard, the session investigation
 * included, and every alert rule must pass the door's allow-list for that role and return what the
 * same SQL returns from the store directly.
 */
const embedded = !inject('services')?.clickhouseUrl;

describe.runIf(embedded)('the dashboards through the SQL door, as user grafana', () => {
  let door: Door;
  let config: Config;
  let grafana: ClickHouseClient;
  let direct: Awaited<ReturnType<typeof auditStore>>;
  let variables: Record<string, VariableState>;
  let session = '';
  const range = { fromMs: Date.parse(june.from), toMs: Date.parse(june.to) };

  beforeAll(async () => {
    direct = await auditStore();
    const month = await seedMonth(direct.client, 'gdoor');
    session = month.session(8);
    await seedWithSources(direct.client, month.integration, [{ kind: 'event', body: event('submitted', session, randomUUID()), receivedAt: '2025-06-06T11:30:00Z', source: 'webhook' }]);
    variables = { integration: { current: [month.integration], options: [month.integration] }, session: { current: session, options: [] } };
    config = withLocalSecrets(loadConfig({ DATA_DIR: testDataDir() }), { integrations: true });
    door = await startDoor({ config, client: direct.client, log: createLogger('silent'), port: 0, announce: false });
    grafana = createClient({ url: door.url, username: 'grafana', password: config.sqlDoor.passwords.grafana!, database: 'ine_audit' });
  });

  afterAll(async () => {
    await grafana?.close();
    await door?.stop();
  });

  it('is what the embedded datasource file provisions: the door on 127.0.0.1:8123 over HTTP as grafana, by the uid the dashboards use', () => {
    const [source] = readYaml('provisioning-embedded/datasources/clickhouse.yaml').datasources;
    expect(source).toMatchObject({ uid: 'clickhouse', type: 'grafana-clickhouse-datasource', jsonData: { host: config.sqlDoor.host, port: config.sqlDoor.port, protocol: 'http', username: 'grafana', defaultDatabase: 'ine_audit' } });
    // The variable lib/config.ts reads the door's grafana password from (else DATA_DIR/grafana-password).
    expect(source.secureJsonData.password).toBe('$__env{GRAFANA_PASSWORD}');
    expect(loadConfig({ DATA_DIR: testDataDir(), GRAFANA_PASSWORD: 'from-env' }).sqlDoor.passwords.grafana).toBe('from-env');
    for (const d of loadDashboards()) for (const p of panelsOf(d)) expect(p.targets[0]!.datasource.uid, `${d.uid} › ${p.title}`).toBe(source.uid);
  });

  const everyPanel = loadDashboards().flatMap((d) => panelsOf(d).map((p) => [d.uid, p.title, p] as const));

  it.each(everyPanel)('%s › %s: accepted, and the rows the store gives', async (_uid, _title, panel) => {
    const ctx = panelContext(panel, range, variables);
    const through = await runPanel(grafana, panel, ctx);
    expect(through.sql).not.toMatch(/\$__|\$\{|\$integration/);
    expect(through.result.rows).toEqual((await runPanel(direct.client, panel, ctx)).result.rows);
  });

  it('shows the seeded session, events included, on the investigation dashboard', async () => {
    const timeline = loadDashboards().find((d) => d.uid === 'ine-audit-session')!;
    const rows = (await runPanel(grafana, panelsOf(timeline).find((p) => p.title === 'Session timeline')!, panelContext(panelsOf(timeline)[0]!, range, variables))).result.rows;
    // seedMonth records the consent's delivery at seeding time, hence last.
    expect(rows.map((r) => [r.kind, r.what])).toEqual([
      ['consent', 'ine approved'],
      ['event', 'submitted'],
      ['delivery', 'event delivery'],
      ['ine_check', 'consent none'],
      ['decision', 'approved'],
      ['delivery', 'decision delivery'],
      ['delivery', 'decision delivery'],
      ['delivery', 'consent delivery'],
    ]);
  });

  it.each(loadAlertRules().map((r) => [r.uid, r] as const))('alert rule %s: accepted', async (_uid, rule) => {
    await expect(runAlertQuery(grafana, rule, Date.now())).resolves.toBeDefined();
  });
});

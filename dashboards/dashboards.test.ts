import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import { loadMigrations } from '../lib/migrate.js';
import { fromEpochMs } from '../lib/time.js';
import { ALL, expandMacros, interpolatePanelQuery, type VariableState } from './macros.js';
import { testClickHouse } from '../test/helpers/clickhouse.js';
import { makeConsent, makeDecision } from '../test/helpers/fixtures.js';
import { seedPayloads, seedRows, type SeedItem } from '../test/helpers/seed.js';
import { ACME, BETA, JUNE, LAST_DAY, PROBE, expected, ids, seedScenario } from '../test/dashboards/scenario.js';
import { takeConsentSnapshot, verdictsDiff } from '../test/dashboards/consent-verdicts.js';
import {
  alertFires,
  baselineSql,
  loadAlertRules,
  loadDashboards,
  panelContext,
  panelsOf,
  readYaml,
  runAlertQuery,
  runPanel,
  runSql,
  shapeProblems,
  variableSql,
  type Panel,
} from '../test/dashboards/panels.js';

const allDashboards = loadDashboards();
const byUid = Object.fromEntries(allDashboards.map((d) => [d.uid, d]));
// The session investigation dashboard has its own variable and test (session.test.ts).
const dashboards = allDashboards.filter((d) => d.uid !== 'ine-audit-session');
const everyPanel = dashboards.flatMap((d) => panelsOf(d).map((p) => [d.title, p.title, d.uid, p] as const));
const rangeFor = (panel: Panel) => (/dead letters|SQL door/i.test(panel.title) ? LAST_DAY : JUNE);
const find = (uid: string, title: string): Panel => panelsOf(byUid[uid]!).find((p) => p.title === title) ?? expect.fail(`no panel ${title} in ${uid}`);

describe('provisioning files', () => {
  it('holds the five dashboards with fixed uids; the four overviews have the ClickHouse datasource by uid and an integration variable', () => {
    expect(allDashboards.map((d) => d.uid).sort()).toEqual(['ine-audit-consent', 'ine-audit-face-match', 'ine-audit-outcomes', 'ine-audit-pipeline', 'ine-audit-session']);
    for (const d of dashboards) {
      expect(d.time.to, d.uid).toBe('now');
      const v = d.templating.list.find((x) => x.name === 'integration');
      expect(v, d.uid).toMatchObject({ type: 'query', multi: true, includeAll: true, datasource: { uid: 'clickhouse' } });
      expect(variableSql(v!)).toMatch(/FROM ine_audit\.\w+/);
    }
  });

  it.each(allDashboards.flatMap((d) => panelsOf(d).map((p) => [d.title, p.title, d.uid, p] as const)))('%s › %s: description, unit, thresholds and one SQL target of the right format', (_d, _t, _uid, panel) => {
    expect(panel.description?.length).toBeGreaterThan(40);
    expect(panel.fieldConfig.defaults.unit).toBeTruthy();
    expect(panel.fieldConfig.defaults.thresholds?.steps[0]).toMatchObject({ value: null });
    expect(panel.targets).toHaveLength(1);
    const ts = panel.type === 'timeseries';
    expect(panel.targets[0]).toMatchObject({ datasource: { uid: 'clickhouse' }, editorType: 'sql', format: ts ? 0 : 1, queryType: ts ? 'timeseries' : 'table' });
  });

  it('provisions the datasource, the dashboard folder and the alert rules the way docker-compose mounts them', () => {
    const [source] = readYaml('provisioning/datasources/clickhouse.yaml').datasources;
    expect(source).toMatchObject({ uid: 'clickhouse', type: 'grafana-clickhouse-datasource', jsonData: { host: 'clickhouse', port: 9000, protocol: 'native', username: 'grafana', defaultDatabase: 'ine_audit' } });
    expect(source.secureJsonData.password).toBe('$__env{GRAFANA_CLICKHOUSE_PASSWORD}');
    const [provider] = readYaml('provisioning/dashboards/provider.yaml').providers;
    expect(provider).toMatchObject({ type: 'file', allowUiUpdates: false, folder: 'INE audit', options: { path: '/var/lib/grafana/dashboards' } });
    const rules = loadAlertRules();
    expect(rules.map((r) => r.uid).sort()).toEqual(['ine-audit-consent-violation', 'ine-audit-face-match-rate-low', 'ine-audit-provider-failures', 'ine-audit-rejections-spiking']);
    for (const r of rules) {
      expect(r.folder).toBe('INE audit');
      expect(panelsOf(byUid[r.dashboardUid!]!).some((p) => p.id === r.panelId), r.uid).toBe(true);
      expect(r.data[0]).toMatchObject({ datasourceUid: 'clickhouse', model: { format: 1 } });
      expect(r.data[0]!.model.rawSql, 'alerts run without dashboard variables').not.toMatch(/\$integration|\$__conditionalAll/);
    }
  });

  it('reads no message content from dead_letters, only the columns the grafana user may be granted', () => {
    const sql = everyPanel.map(([, , , p]) => p.targets[0]!.rawSql).filter((q) => q.includes('dead_letters'));
    expect(sql).toHaveLength(2);
    for (const q of sql) expect(q.replace(/`(partition|offset)`/g, '').match(/\b(value|key)\b/g)).toBeNull();
  });

  it('draws the face-match alert level as the threshold of the face-match panels', () => {
    const level = loadAlertRules().find((r) => r.uid === 'ine-audit-face-match-rate-low')!.data[1]!.model.conditions[0].evaluator.params[0];
    for (const title of ['Face-match rate', 'Face-match rate over time']) {
      expect(find('ine-audit-face-match', title).fieldConfig.defaults.thresholds!.steps.at(-1)).toEqual({ color: 'green', value: level });
    }
  });
});

describe('every panel on known data', () => {
  let client: ClickHouseClient;
  let options: string[];
  const select = (current: string[]): Record<string, VariableState> => ({ integration: { current, options } });
  const run = async (uid: string, title: string, integrations = [ACME]) => {
    const panel = find(uid, title);
    return (await runPanel(client, panel, panelContext(panel, rangeFor(panel), select(integrations)))).result;
  };
  const value = async (uid: string, title: string, integrations?: string[]) => Number(Object.values((await run(uid, title, integrations)).rows[0]!)[0]);
  const pairs = (rows: Array<Record<string, unknown>>) => Object.fromEntries(rows.map((r) => Object.values(r)).map(([k, ...v]) => [k, v.length === 1 ? Number(v[0]) : v.map(Number)]));

  beforeAll(async () => {
    client = await testClickHouse();
    await seedScenario(client);
    const variable = dashboards[0]!.templating.list.find((v) => v.name === 'integration')!;
    const sql = expandMacros(variableSql(variable), { range: JUNE, intervalMs: 1000, variables: {} });
    options = (await runSql(client, sql)).rows.map((r) => String(Object.values(r)[0]));
  });

  it('lists the integrations that sent data in the range as variable options', () => {
    expect(options).toEqual([ACME, BETA, PROBE]);
  });

  it.each(everyPanel.flatMap(([d, t, uid, p]) => [[d, t, 'acme-web', uid, p, [ACME]] as const, [d, t, 'All', uid, p, [ALL]] as const]))(
    '%s › %s (%s) returns SQL the panel can draw',
    async (_d, _t, _label, _uid, panel, integrations) => {
      const { sql, result } = await runPanel(client, panel, panelContext(panel, rangeFor(panel), select([...integrations])));
      expect(sql).not.toMatch(/\$__|\$\{|\$integration/);
      expect(shapeProblems(panel.type, result)).toEqual([]);
    },
  );

  // The delay panels are left out on purpose: they take a decision's first arrival, which the
  // decisions view (one surviving row per decision) no longer has.
  it.each(everyPanel.filter(([, t, , p]) => baselineSql(p.targets[0]!.rawSql) !== null && !/delay/i.test(t)))(
    '%s › %s gives the same rows as the same question put to the views',
    async (_d, _t, _uid, panel) => {
      for (const integrations of [[ACME], [ALL]]) {
        const ctx = panelContext(panel, JUNE, select(integrations));
        const views = await runSql(client, interpolatePanelQuery(baselineSql(panel.targets[0]!.rawSql)!, ctx));
        expect(views.rows.length).toBeGreaterThan(0);
        expect((await runPanel(client, panel, ctx)).result.rows).toEqual(views.rows);
      }
    },
  );

  it('verification outcomes: sessions, rates, code mix and reasons as seeded', async () => {
    const uid = 'ine-audit-outcomes';
    expect(await value(uid, 'Sessions decided')).toBe(expected.acme.sessionsDecided);
    expect(await value(uid, 'Approval rate')).toBeCloseTo(expected.acme.approvalRate, 12);
    expect(await value(uid, 'Decline rate')).toBeCloseTo(expected.acme.declineRate, 12);
    expect(await value(uid, 'Sessions pending')).toBe(expected.acme.pending);
    expect(pairs((await run(uid, 'Decision code mix')).rows)).toEqual(expected.acme.codeMix);
    expect(pairs((await run(uid, 'Top decline reasons')).rows)).toEqual(expected.acme.declineReasons);
    expect(pairs((await run(uid, 'Top resubmission reasons')).rows)).toEqual(expected.acme.resubmissionReasons);
    expect(await value(uid, 'Sessions decided', [ALL])).toBe(expected.all.sessionsDecided);
    expect(await value(uid, 'Approval rate', [ALL])).toBeCloseTo(expected.all.approvalRate, 12);
    expect(await value(uid, 'Approval rate', [ACME, BETA])).toBeCloseTo(7 / 13, 12);
  });

  it('verification outcomes agree with ine_audit.decisions_latest, duplicates and re-derivations included', async () => {
    const [canonical] = (
      await runSql(client, `SELECT count() AS n, countIf(status = 'approved') / countIf(status IN ('approved', 'declined', 'expired', 'abandoned')) AS rate
        FROM ine_audit.decisions_latest WHERE integration = '${ACME}' AND decision_time >= '2025-06-01' AND decision_time <= '2025-07-01'`)
    ).rows;
    expect(canonical).toMatchObject({ n: await value('ine-audit-outcomes', 'Sessions decided') });
    expect(Number(canonical!.rate)).toBeCloseTo(await value('ine-audit-outcomes', 'Approval rate'), 12);
    const daily = (await run('ine-audit-outcomes', 'Conclusive outcomes over time')).rows;
    expect(daily.find((r) => String(r.time).startsWith('2025-06-09'))).toMatchObject({ approved: 1, declined: 0 });
  });

  it('INE face match: checks, rate, incomplete share, inconsistencies and the 85 split as seeded', async () => {
    const uid = 'ine-audit-face-match';
    expect(await value(uid, 'INE checks performed')).toBe(expected.acme.ineChecks);
    expect(await value(uid, 'Face-match rate')).toBeCloseTo(expected.acme.faceMatchRate, 12);
    expect(await value(uid, 'Checks that could not complete')).toBeCloseTo(expected.acme.incompleteShare, 12);
    expect(await value(uid, 'Inconsistent answers')).toBe(expected.acme.inconsistent);
    const bands = pairs((await run(uid, 'faceMatchPercentage distribution (threshold 85)')).rows) as Record<string, number[]>;
    expect(Object.keys(bands)).toHaveLength(20);
    expect(Object.fromEntries(Object.entries(bands).filter(([, v]) => v[0]! + v[1]! > 0))).toEqual(expected.acme.bands);
    const failures = (await run(uid, 'Provider failures and incomplete checks')).rows.filter((r) => Number(r.provider_failure) + Number(r.not_completed) > 0);
    expect(failures.map((r) => [String(r.time).slice(0, 10), r.provider_failure, r.not_completed])).toEqual([
      ['2025-06-05', 0, 1],
      ['2025-06-06', 1, 0],
      ['2025-06-07', 0, 1],
    ]);
    const inconsistent = (await run(uid, 'Inconsistent answers to investigate')).rows;
    expect(inconsistent).toEqual([expect.objectContaining({ session_id: ids.S12, face_match: 'true', face_match_percentage: 70 })]);
  });

  const consentPanelsAsSeeded = async () => {
    const uid = 'ine-audit-consent';
    expect(await value(uid, 'INE checks')).toBe(expected.acme.consentChecks);
    expect(await value(uid, 'Checks with approved consent before the check')).toBeCloseTo(expected.acme.compliantShare, 12);
    expect(await value(uid, 'Consent violations')).toBe(expected.acme.violators.length);
    expect(await value(uid, 'Consent violations', [ALL])).toBe(expected.all.violations);
    expect(await value(uid, 'INE checks', [ALL])).toBe(expected.all.consentChecks);
    const table = (await run(uid, 'Sessions to investigate')).rows;
    expect(table.map((r) => [r.session_id, r.violation])).toEqual(expected.acme.violators.map(([s, v]) => [ids[s!], v]));
    const canonical = await runSql(client, `SELECT session_id, violation FROM ine_audit.consent_audit
      WHERE integration = '${ACME}' AND violation != 'none' AND ine_checked_at >= '2025-06-01' AND ine_checked_at <= '2025-07-01' ORDER BY ine_checked_at DESC`);
    expect(table.map((r) => [r.session_id, r.violation])).toEqual(canonical.rows.map((r) => [r.session_id, r.violation]));
    const byDay = (await run(uid, 'Violations by kind over time')).rows.filter((r) => Number(r.refused) + Number(r.consent_after_check) + Number(r.no_consent) > 0);
    expect(byDay.map((r) => String(r.time).slice(5, 10))).toEqual(['06-04', '06-05', '06-07', '06-08', '06-10', '06-11']);
  };

  it('consent compliance: share, violations and exactly the seeded violators, as ine_audit.consent_audit has them', async () => {
    await consentPanelsAsSeeded();
    expect(await verdictsDiff(client, 'consent_verdicts')).toEqual([]);
  });

  // Until now every session was younger than the snapshot, so consent_verdicts computed it live; from here on it reads the snapshot.
  it('consent compliance: the same numbers from the snapshot of ine_session_state, consent_verdicts row for row as consent_audit', async () => {
    await takeConsentSnapshot(client);
    const [snapshot] = (await runSql(client, `SELECT count() AS n FROM ine_audit.consent_verdicts_snapshot WHERE integration = '${ACME}'`)).rows;
    expect(Number(snapshot!.n)).toBeGreaterThanOrEqual(expected.acme.consentChecks);
    await consentPanelsAsSeeded();
    expect(await verdictsDiff(client, 'consent_verdicts')).toEqual([]);
    for (const [, , , panel] of everyPanel.filter(([, , uid]) => uid === 'ine-audit-consent')) {
      for (const integrations of [[ACME], [ALL]]) {
        const ctx = panelContext(panel, JUNE, select(integrations));
        const views = await runSql(client, interpolatePanelQuery(baselineSql(panel.targets[0]!.rawSql)!, ctx));
        expect((await runPanel(client, panel, ctx)).result.rows, panel.title).toEqual(views.rows);
      }
    }
  });

  it('pipeline health: accepted payloads per endpoint, rejections, dead letters and arrival delay', async () => {
    const uid = 'ine-audit-pipeline';
    const accepted = (await run(uid, 'Payloads accepted per endpoint')).rows;
    const total = (column: string) => accepted.reduce((n, r) => n + Number(r[column]), 0);
    expect(total('POST /webhooks/veriff/decision')).toBe(17);
    expect(total('POST /consents')).toBe(13);
    expect(pairs((await run(uid, 'Rejected requests by reason')).rows)).toEqual(expected.acme.rejections);
    expect((await run(uid, 'Rejected requests over time', [ALL])).rows.reduce((n, r) => n + Number(r.rejected_requests), 0)).toBe(expected.all.rejectedRequests);
    expect(await value(uid, 'Dead letters')).toBe(expected.deadLetters);
    expect((await run(uid, 'Latest dead letters')).rows.map((r) => r.offset).sort()).toEqual(['10', '11']);
    expect(await value(uid, 'Median delay, decision to ClickHouse', [PROBE])).toBe(expected.probe.medianDelayS);
    const delay = (await run(uid, 'Delay from Veriff decision to ClickHouse', [PROBE])).rows;
    expect(delay).toEqual([expect.objectContaining({ p50: expected.probe.medianDelayS, slowest: expected.probe.slowestS })]);
    expect((await run(uid, 'SQL door queries by user and outcome', [ALL])).rows.map((r) => [r.user, Number(r.ok), Number(r.denied), Number(r.error)])).toEqual([
      ['analyst', 2, 1, 0],
      ['grafana', 1, 0, 0],
    ]);
  });
});

describe('alert rules on recent data', () => {
  let client: ClickHouseClient;
  const rule = (uid: string) => loadAlertRules().find((r) => r.uid === uid)!;
  const evaluate = async (uid: string) => {
    const { sql, result } = await runAlertQuery(client, rule(uid), Date.now());
    expect(sql).not.toMatch(/\$__/);
    if (result.rows.length > 0) expect(shapeProblems('stat', result)).toEqual([]);
    return alertFires(rule(uid), result);
  };
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const decision = (fixture: string, minutes: number, mutate?: (d: any) => void): SeedItem => ({
    kind: 'decision',
    body: makeDecision(fixture, { decisionTime: ago(minutes), mutate }),
    integration: 'alert-probe',
  });
  const times = <T>(n: number, item: () => T): T[] => Array.from({ length: n }, item);

  beforeAll(async () => {
    client = await testClickHouse();
  });

  it('INE check without approved consent: quiet while every check has consent, fires on the first that has none', async () => {
    const consented = decision('decision-approved-ine-match', 20);
    const sessionId = (consented.body as { verification: { id: string } }).verification.id;
    await seedPayloads(client, [consented, { kind: 'consent', body: makeConsent(sessionId, { givenAt: ago(22) }), integration: 'alert-probe' }]);
    expect(await evaluate('ine-audit-consent-violation')).toBe(false);
    await seedPayloads(client, [decision('decision-approved-ine-match', 18)]);
    expect(await evaluate('ine-audit-consent-violation')).toBe(true);
  });

  it('INE face-match rate low: no data under 20 completed checks, quiet at 95%, fires below 80%', async () => {
    const noMatch = (d: any) => Object.assign(d.verification.additionalVerifiedData.ineBiometricRegistryValidation, { faceMatch: false, faceMatchPercentage: 40 });
    await seedPayloads(client, times(17, () => decision('decision-approved-ine-match', 30)));
    expect(await evaluate('ine-audit-face-match-rate-low')).toBe('no data');
    await seedPayloads(client, [decision('decision-declined-ine-no-match', 30, noMatch)]);
    expect(await evaluate('ine-audit-face-match-rate-low')).toBe(false);
    await seedPayloads(client, times(10, () => decision('decision-declined-ine-no-match', 30, noMatch)));
    expect(await evaluate('ine-audit-face-match-rate-low')).toBe(true);
  });

  it('INE provider failures spiking: no data under 10 checks in 15 minutes, fires when most fail', async () => {
    await seedPayloads(client, times(8, () => decision('decision-declined-ine-provider-failure', 5)));
    expect(await evaluate('ine-audit-provider-failures')).toBe('no data');
    await seedPayloads(client, times(2, () => decision('decision-approved-ine-match', 5)));
    expect(await evaluate('ine-audit-provider-failures')).toBe(true);
  });

  it('Rejected requests spiking: quiet at 50 in 15 minutes, fires at 51', async () => {
    const rejection = () => ({ rejection_id: randomUUID(), at: fromEpochMs(Date.now() - 300_000), integration: null, endpoint: '/consents', status: 401, reason: 'bad_signature', paths: [], body_sha256: 'f'.repeat(64), body_bytes: 10 });
    await seedRows(client, { rejection_log: times(50, rejection) });
    expect(await evaluate('ine-audit-rejections-spiking')).toBe(false);
    await seedRows(client, { rejection_log: [rejection()] });
    expect(await evaluate('ine-audit-rejections-spiking')).toBe(true);
  });
});

describe('pre-aggregates', () => {
  it('are rebuilt by their migrations from the base tables, and a repeated backfill changes no panel', async () => {
    const client = await testClickHouse();
    const backfills = loadMigrations()
      .filter((m) => [19, 21].includes(m.version))
      .flatMap((m) => m.statements.filter((s) => /^INSERT INTO/.test(s)));
    expect(backfills).toHaveLength(3);
    for (const table of ['decision_facts', 'ine_session_state']) await client.command({ query: `TRUNCATE TABLE ine_audit.${table}` });
    for (const round of [1, 2]) {
      for (const query of backfills) await client.command({ query });
      expect(await verdictsDiff(client, 'ine_session_verdicts'), `round ${round}`).toEqual([]);
      await takeConsentSnapshot(client);
      const select = { integration: { current: [ACME], options: [ACME] } };
      const value = async (uid: string, title: string) => {
        const panel = panelsOf(byUid[uid]!).find((p) => p.title === title)!;
        return Number(Object.values((await runPanel(client, panel, panelContext(panel, JUNE, select))).result.rows[0]!)[0]);
      };
      expect(await value('ine-audit-outcomes', 'Approval rate'), `round ${round}`).toBeCloseTo(expected.acme.approvalRate, 12);
      expect(await value('ine-audit-face-match', 'Face-match rate'), `round ${round}`).toBeCloseTo(expected.acme.faceMatchRate, 12);
      expect(await value('ine-audit-consent', 'Consent violations'), `round ${round}`).toBe(expected.acme.violators.length);
      expect(await value('ine-audit-pipeline', 'Median delay, decision to ClickHouse'), `round ${round}`).toBeGreaterThan(0);
    }
  });
});

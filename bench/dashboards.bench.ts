import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createClickHouse, queryRows, type ClickHouseClient } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrate.js';
import { figure, type Figure } from './lib.js';
import { ALL, expandMacros, interpolatePanelQuery, type QueryContext } from '../dashboards/macros.js';
import { baselineSql, loadDashboards, panelContext, panelsOf, relativeRange, variableSql } from '../test/dashboards/panels.js';
import { takeConsentSnapshot } from '../test/dashboards/consent-verdicts.js';

/**
 * Seeds 10M × scale decisions (a year of them, with consents, deliveries, rejections and dead letters)
 * into a chdb store of its own, generated inside ClickHouse, takes the consent snapshot, adds about 15
 * minutes of live traffic on top (what consent_verdicts computes live), then times every provisioned
 * panel query over its dashboard's default range with "All" integrations, scheduled snapshot refreshes
 * paused. baseline: the same question put to the un-aggregated views (decisions_latest, consent_audit,
 * decisions), run once for the first panel of each dashboard that has one (they share the expensive
 * part); null elsewhere and for panels that read base tables only. Not a vitest test: run it alone or
 * through bench/run.ts.
 */

export type { Figure } from './lib.js';

const RUNS = 5;
const BASELINE_LIMIT_S = 90;
const CHUNK = 2_000_000;
// Bulk loading only: two insert threads and the materialized views fed in parallel keep both cores busy (1.5x faster).
const SEED_SETTINGS = { max_insert_threads: '2', parallel_view_processing: 1, max_partitions_per_insert_block: '0' } as const;

// Session s has decision n = s; the first 12% of sessions also get a second decision n = sessions + s
// that supersedes a resubmission request. Everything derives from cityHash64 of n or s: reproducible.
const decisionsSql = `
INSERT INTO ine_audit.decision_rows
WITH {total:UInt64} AS total, intDiv(total * 12, 100) AS resubmitted, total - resubmitted AS sessions,
     fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS now_ms
SELECT
  toString(reinterpretAsUUID(concat(reinterpretAsString(cityHash64(s, 1)), reinterpretAsString(cityHash64(s, 2))))) AS session_id,
  hex(cityHash64(n, 3)) AS decision_id, hex(cityHash64(n, 4)) AS attempt_id,
  ['acme-web', 'acme-web', 'acme-app', 'partner-bank'][1 + hs % 4] AS integration,
  multiIf(s < resubmitted AND NOT second, 'resubmission_requested', r < 700, 'approved', r < 850, 'declined', r < 900, 'expired', r < 930, 'abandoned', r < 950, 'review', 'resubmission_requested') AS status,
  transform(status, ['approved', 'declined', 'resubmission_requested', 'expired', 'abandoned', 'review'], [9001, 9102, 9103, 9104, 9104, 9121], 0) AS code,
  NULL AS reason,
  CAST(multiIf(status = 'declined', [102, 103, 105, 120, 123, 999][1 + r2 % 6], status = 'resubmission_requested', [201, 202, 204, 207][1 + r2 % 4], NULL), 'Nullable(UInt16)') AS reason_code,
  least(now_ms - toIntervalMillisecond(hs % 31536000000) + toIntervalMillisecond(if(second, 3600000 + r2 % 172800000, 0)), now_ms) AS decision_time,
  false AS decision_time_missing,
  -- the session was created 5 to 30 minutes before its first decision
  toNullable(now_ms - toIntervalMillisecond(hs % 31536000000) - toIntervalMillisecond(300000 + cityHash64(s, 16) % 1500000)) AS acceptance_time,
  NULL AS submission_time, false AS status_code_mismatch,
  status NOT IN ('expired', 'abandoned') AND r3 < 850 AS ine_check_performed,
  multiIf(NOT ine_check_performed, 'absent', r4 < 40, 'provider_failure', r4 < 90, 'not_completed', 'completed') AS ine_result_state,
  CAST(if(ine_result_state = 'completed', if(r4 < 95, pct < 85, pct >= 85), NULL), 'Nullable(Bool)') AS ine_face_match,
  CAST(if(ine_result_state = 'completed', pct, NULL), 'Nullable(UInt8)') AS ine_face_match_percentage,
  CAST(multiIf(ine_result_state = 'completed', 'success', ine_result_state = 'provider_failure', 'failure', NULL), 'Nullable(String)') AS ine_response_status,
  CAST(if(ine_result_state = 'completed', pct >= 85, NULL), 'Nullable(Bool)') AS ine_threshold_match,
  CAST(if(ine_result_state = 'completed', ine_face_match != ine_threshold_match, NULL), 'Nullable(Bool)') AS ine_inconsistent,
  'ID_CARD' AS document_type, 'MX' AS document_country, NULL AS person_pseudonym, NULL AS end_user_pseudonym,
  NULL AS vendor_data_pseudonym, NULL AS risk_score, [] AS risk_labels,
  hex(cityHash64(n, 5)) AS delivery_id, 'webhook' AS source,
  decision_time + toIntervalMillisecond(500 + r2 % 90000) AS received_at,
  received_at + toIntervalMillisecond(20 + r3 % 3000) AS inserted_at,
  1 AS row_version
FROM
(
  SELECT number AS n, n % sessions AS s, n >= sessions AS second, cityHash64(s, 10) AS hs,
    cityHash64(n, 11) % 1000 AS r, cityHash64(n, 12) AS r2, cityHash64(n, 13) % 1000 AS r3, cityHash64(n, 14) % 1000 AS r4,
    toUInt8(if(r < 700, 85 + cityHash64(n, 15) % 16, cityHash64(n, 15) % 101)) AS pct
  FROM numbers({start:UInt64}, {count:UInt64})
)`;

// 97% of sessions approve the INE consent 5 minutes before their first decision, 1% refuse, 1% approve an hour late, 1% have none.
const consentsSql = `
INSERT INTO ine_audit.consent_rows (session_id, consent_id, integration, type, approved, given_at, source, text_version, delivery_id, received_at, inserted_at, row_version)
WITH {total:UInt64} AS total, total - intDiv(total * 12, 100) AS sessions, fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS now_ms
SELECT
  toString(reinterpretAsUUID(concat(reinterpretAsString(cityHash64(s, 1)), reinterpretAsString(cityHash64(s, 2))))),
  hex(cityHash64(s, 21)), ['acme-web', 'acme-web', 'acme-app', 'partner-bank'][1 + hs % 4], 'ine',
  NOT (c >= 970 AND c < 980), now_ms - toIntervalMillisecond(hs % 31536000000) + toIntervalMillisecond(if(c < 980, -300000, 3600000)) AS given_at,
  'web', 'v1', hex(cityHash64(s, 22)), given_at + toIntervalMillisecond(200 + c), given_at + toIntervalMillisecond(300 + c), 1
FROM (SELECT number AS s, cityHash64(s, 10) AS hs, cityHash64(s, 20) % 1000 AS c FROM numbers({start:UInt64}, {count:UInt64}))
WHERE c < 990`;

// One accepted delivery per decision and consent and one started-event per session, for the last 62 days only:
// every panel reads deliveries of its own range (at most 30 days) through the monthly partitions, so older ones
// would only slow seeding; 1% of them delivered again up to three days later (a retry or a re-import).
// 0.5% as many rejected requests as decisions, over the year; 1,000 dead letters.
const pipelineSql = [
  `INSERT INTO ine_audit.deliveries SELECT delivery_id, 'decision', decision_id, session_id, integration, 'webhook', received_at, decision_time
   FROM ine_audit.decision_rows WHERE received_at >= fromUnixTimestamp64Milli({now:Int64}, 'UTC') - INTERVAL 62 DAY`,
  `INSERT INTO ine_audit.deliveries SELECT delivery_id, 'consent', consent_id, session_id, integration, 'webhook', received_at, given_at
   FROM ine_audit.consent_rows WHERE received_at >= fromUnixTimestamp64Milli({now:Int64}, 'UTC') - INTERVAL 62 DAY`,
  `INSERT INTO ine_audit.deliveries SELECT hex(cityHash64(session_id, 31)), 'event', hex(cityHash64(session_id, 32)), session_id, any(integration), 'webhook', min(received_at) - INTERVAL 2 MINUTE, NULL
   FROM ine_audit.decision_rows WHERE received_at >= fromUnixTimestamp64Milli({now:Int64}, 'UTC') - INTERVAL 62 DAY GROUP BY session_id`,
  `INSERT INTO ine_audit.deliveries SELECT hex(cityHash64(delivery_id, 33)), kind, record_id, session_id, integration, if(cityHash64(delivery_id, 34) % 4 = 0, 'import', 'webhook'),
     received_at + toIntervalMillisecond(1000 + cityHash64(delivery_id, 35) % 259200000), event_time
   FROM ine_audit.deliveries WHERE cityHash64(delivery_id, 36) % 100 = 0 AND received_at < fromUnixTimestamp64Milli({now:Int64}, 'UTC') - INTERVAL 3 DAY`,
  `INSERT INTO ine_audit.rejection_log SELECT toString(number), fromUnixTimestamp64Milli({now:Int64}, 'UTC') - toIntervalMillisecond(cityHash64(number) % 31536000000),
   if(number % 5 = 0, NULL, 'acme-web'), ['/webhooks/veriff/decision', '/webhooks/veriff/event', '/consents'][1 + number % 3], [401, 400, 413, 429][1 + number % 4],
   ['bad_signature', 'invalid_body', 'too_large', 'rate_limited'][1 + number % 4], [], hex(cityHash64(number % 1000)), 512 FROM numbers(intDiv({total:UInt64}, 200))`,
  `INSERT INTO ine_audit.dead_letters SELECT 'ine.decisions', number % 3, toString(number), NULL, '{}', 'normalization failed',
   fromUnixTimestamp64Milli({now:Int64}, 'UTC') - toIntervalMillisecond(cityHash64(number) % 7776000000) FROM numbers(1000)`,
];

// After the snapshot, about 15 minutes of traffic at this scale (10 M decisions a year is 19 a minute): new sessions
// from the last month copied with a check in the last 15 minutes and a consent 5 minutes before it, and consents
// re-sent late for older sessions. consent_verdicts computes these sessions live; the rest come from the snapshot.
const liveTrafficSql = [
  `INSERT INTO ine_audit.decision_rows
   SELECT * EXCEPT (t) REPLACE (concat('live-', session_id) AS session_id, t AS decision_time, toNullable(t - INTERVAL 10 MINUTE) AS acceptance_time,
     t + INTERVAL 1 SECOND AS received_at, now64(3) AS inserted_at)
   FROM (SELECT *, fromUnixTimestamp64Milli({now:Int64}, 'UTC') - toIntervalMillisecond(cityHash64(decision_id) % 900000) AS t FROM ine_audit.decision_rows
         WHERE decision_time >= fromUnixTimestamp64Milli({now:Int64}, 'UTC') - INTERVAL 30 DAY AND ine_check_performed LIMIT {sessions:UInt64})`,
  `INSERT INTO ine_audit.consent_rows (session_id, consent_id, integration, type, approved, given_at, source, text_version, delivery_id, received_at, inserted_at, row_version)
   SELECT session_id, hex(cityHash64(session_id, decision_time, 43)), integration, 'ine', true, decision_time - INTERVAL 5 MINUTE, 'web', 'v1', hex(cityHash64(session_id, decision_time, 44)),
     decision_time - INTERVAL 4 MINUTE, now64(3), 1
   FROM ine_audit.decision_rows WHERE startsWith(session_id, 'live-')`,
  `INSERT INTO ine_audit.consent_rows SELECT * REPLACE (hex(cityHash64(consent_id, 45)) AS consent_id, given_at + INTERVAL 1 DAY AS given_at,
     fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS received_at, now64(3) AS inserted_at)
   FROM ine_audit.consent_rows WHERE given_at >= fromUnixTimestamp64Milli({now:Int64}, 'UTC') - INTERVAL 30 DAY LIMIT {late:UInt64}`,
];

export async function seedDashboardData(client: ClickHouseClient, total: number, now: number, log: (s: string) => void): Promise<void> {
  const sessions = total - Math.floor((total * 12) / 100);
  for (const [label, sql, count] of [['decisions', decisionsSql, total], ['consents', consentsSql, sessions]] as const) {
    for (let start = 0; start < count; start += CHUNK) {
      const started = performance.now();
      await client.command({ query: sql, query_params: { total, now, start, count: Math.min(CHUNK, count - start) }, clickhouse_settings: SEED_SETTINGS });
      log(`seeded ${label} ${Math.min(start + CHUNK, count).toLocaleString('en')} / ${count.toLocaleString('en')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  }
  for (const query of pipelineSql) await client.command({ query, query_params: { total, now }, clickhouse_settings: SEED_SETTINGS });
  log('seeded deliveries, rejections and dead letters');
}

/**
 * The consent snapshot as the owner's schedule leaves it (timed), then live traffic on top; no schedule
 * runs in the bench's process, so a snapshot of the whole year does not land in a panel's runs.
 */
async function settleConsentSnapshot(client: ClickHouseClient, total: number, now: number, log: (s: string) => void): Promise<Figure> {
  const refreshMs = await takeConsentSnapshot(client);
  const sessions = Math.max(1, Math.round((250 * total) / 10_000_000));
  const late = Math.max(1, Math.round((50 * total) / 10_000_000));
  for (const query of liveTrafficSql) await client.command({ query, query_params: { now, sessions, late } });
  log(`consent snapshot refreshed in ${(refreshMs / 1000).toFixed(1)} s; ${sessions} new and ${late} late sessions since`);
  return figure('consent_verdicts_snapshot_refresh_ms', Math.round(refreshMs), 'ms', null, { note: 'every 10 minutes in the background' });
}

/** Background merges after a bulk load compete for the same cores; a live store is not bulk-loading. */
async function waitForMerges(client: ClickHouseClient, log: (s: string) => void): Promise<void> {
  const started = Date.now();
  for (let quiet = 0; quiet < 3 && Date.now() - started < 300_000; await sleep(1000)) {
    const [row] = await queryRows<{ merges: number }>(client, 'SELECT count() AS merges FROM system.merges');
    quiet = row!.merges === 0 ? quiet + 1 : 0;
  }
  const [parts] = await queryRows<{ parts: number }>(client, "SELECT count() AS parts FROM system.parts WHERE active AND database = 'ine_audit'");
  log(`merges settled after ${((Date.now() - started) / 1000).toFixed(0)} s, ${parts!.parts} active parts`);
}

async function timeMs(client: ClickHouseClient, sql: string, runs: number, settings: Record<string, number> = {}): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await queryRows(client, sql, {}, settings);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

export async function benchDashboards(opts: { scale: number; log: (s: string) => void }): Promise<Array<Figure>> {
  const dir = mkdtempSync(join(tmpdir(), 'ine-audit-bench-dashboards-'));
  const client = createClickHouse({ clickhouse: { url: undefined, user: undefined, password: undefined }, dataDir: dir });
  try {
    await migrate(client);
    const now = Date.now();
    const total = Math.round(10_000_000 * opts.scale);
    await seedDashboardData(client, total, now, opts.log);
    await waitForMerges(client, opts.log);
    const figures: Figure[] = [await settleConsentSnapshot(client, total, now, opts.log)];
    const dashboards = loadDashboards();
    const variable = dashboards[0]!.templating.list.find((v) => v.name === 'integration')!;
    const variableQuery = expandMacros(variableSql(variable), { range: relativeRange(dashboards[0]!, now), intervalMs: 1000, variables: {} });
    figures.push({ name: 'panel_variables_integration_ms', value: Math.round(await timeMs(client, variableQuery, RUNS)), unit: 'ms', baseline: null, ratio: null });
    const options = (await queryRows<{ integration: string }>(client, variableQuery)).map((r) => r.integration);
    // The session investigation dashboard looks up one session: any stored one.
    const session = (await queryRows<{ session: string }>(client, 'SELECT any(session_id) AS session FROM ine_audit.decision_facts'))[0]!.session;
    for (const d of dashboards) {
      let baselineTaken = false;
      for (const panel of panelsOf(d)) {
        const ctx: QueryContext = panelContext(panel, relativeRange(d, now), { integration: { current: [ALL], options }, session: { current: session, options: [] } });
        const sql = interpolatePanelQuery(panel.targets[0]!.rawSql, ctx);
        await timeMs(client, sql, 1);
        const value = await timeMs(client, sql, RUNS);
        const base: string | null = baselineTaken ? null : baselineSql(panel.targets[0]!.rawSql);
        const baseline = base === null ? null : await timeMs(client, interpolatePanelQuery(base, ctx), 1, { max_execution_time: BASELINE_LIMIT_S }).catch(() => null);
        baselineTaken ||= base !== null;
        const name = `panel_${slug(d.uid.replace(/^ine-audit-/, ''))}_${slug(panel.title)}_ms`;
        figures.push(figure(name, Math.round(value), 'ms', baseline === null ? null : Math.round(baseline), { goal: '< 500 ms', met: value < 500 }));
        opts.log(`${name}: ${value.toFixed(0)} ms${baseline === null ? '' : ` (views: ${baseline.toFixed(0)} ms)`}`);
      }
    }
    return figures;
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const scale = Number(process.argv[2] ?? 1);
  const started = performance.now();
  const figures = await benchDashboards({ scale, log: (s) => console.error(s) });
  console.error(`dashboards bench: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`| figure | value | baseline (views) | ratio |\n|---|---:|---:|---:|`);
  for (const f of figures) console.log(`| ${f.name} | ${f.value} ${f.unit} | ${f.baseline ?? '–'} | ${f.ratio ?? '–'} |`);
}

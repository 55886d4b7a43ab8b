import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../../lib/clickhouse.js';
import { DATABASE, insertRows } from '../../lib/clickhouse.js';
import { fromEpochMs } from '../../lib/time.js';
import { accessLogColumns, accessLogRow, type AccessLogEntry } from '../../sqldoor/access-log.js';
import type { TableRows } from '../../schemas/rows.js';
import { makeConsent, makeDecision } from '../helpers/fixtures.js';
import { rowsFor, seedRows, type SeedItem } from '../helpers/seed.js';

/**
 * June 2025, three integrations, every case a panel must get right: a duplicated delivery, a session
 * whose latest decision supersedes a resubmission, a re-derivation that changes the INE result, a
 * session first checked in May, one decided again in July, consents before / after / refused / tied /
 * missing, rejected requests with re-sends, dead letters, and decisions with known arrival delays.
 * The expected numbers below are worked out by hand from this list, not by running SQL.
 */

export const JUNE = { fromMs: Date.parse('2025-06-01T00:00:00Z'), toMs: Date.parse('2025-07-01T00:00:00Z') };
/** dead_letters keeps 90 days (TTL), so they are seeded an hour ago and read over the last day. */
export const LAST_DAY = { fromMs: Date.now() - 86_400_000, toMs: Date.now() };
export const ACME = 'acme-web';
export const BETA = 'beta-app';
export const PROBE = 'latency-probe';

const at = (day: string, time = '09:00:00') => `2025-${day}T${time}.000Z`;
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

export const ids = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`S${i + 1}`, `scn-s${String(i + 1).padStart(2, '0')}-${randomUUID().slice(0, 8)}`])) as Record<string, string>;

type D = { s: string; fixture: string; time: string; integration?: string; mutate?: (d: any) => void; copies?: number };

const decisions: D[] = [
  { s: 'S1', fixture: 'decision-approved-ine-match', time: at('06-03'), copies: 2 },
  { s: 'S2', fixture: 'decision-approved-ine-boundary-85', time: at('06-10') },
  { s: 'S3', fixture: 'decision-approved-extra-unknown-fields', time: at('06-11') },
  { s: 'S4', fixture: 'decision-declined-ine-no-match', time: at('06-04') },
  { s: 'S5', fixture: 'decision-declined-ine-boundary-84', time: at('06-10', '16:00:00') },
  { s: 'S6', fixture: 'decision-declined-ine-provider-failure', time: at('06-06') },
  { s: 'S7', fixture: 'decision-expired-null-fields', time: at('06-15') },
  { s: 'S8', fixture: 'decision-abandoned-null-fields', time: at('06-16') },
  { s: 'S9', fixture: 'decision-resubmission-requested-poor-image', time: at('06-07') },
  { s: 'S10', fixture: 'decision-review-ine-not-completed', time: at('06-05') },
  { s: 'S11', fixture: 'decision-resubmission-requested-poor-image', time: at('06-08', '10:00:00') },
  { s: 'S11', fixture: 'decision-approved-ine-match', time: at('06-09', '10:00:00') },
  { s: 'S12', fixture: 'decision-approved-ine-match', time: at('06-12'), mutate: (d) => Object.assign(d.verification.additionalVerifiedData.ineBiometricRegistryValidation, { faceMatchPercentage: 90 }) },
  // Same decision (id, attempt, status, code, time) derived again with a different INE score: the newer derivation wins.
  { s: 'S12', fixture: 'decision-approved-ine-match', time: at('06-12'), mutate: (d) => Object.assign(d.verification.additionalVerifiedData.ineBiometricRegistryValidation, { faceMatchPercentage: 70 }) },
  { s: 'S13', fixture: 'decision-declined-ine-no-match', time: at('06-20'), integration: BETA },
  { s: 'S14', fixture: 'decision-approved-ine-match', time: at('06-21'), integration: BETA },
  { s: 'S15', fixture: 'decision-resubmission-requested-poor-image', time: at('05-28') },
  { s: 'S15', fixture: 'decision-approved-ine-match', time: at('06-02') },
  { s: 'S16', fixture: 'decision-review-ine-not-completed', time: at('06-25') },
  { s: 'S16', fixture: 'decision-approved-ine-match', time: at('07-03') },
];

type K = { s: string; time: string; approved?: boolean; integration?: string };
const consents: K[] = [
  { s: 'S1', time: plus(at('06-03'), -300_000) },
  { s: 'S2', time: plus(at('06-10'), -300_000) },
  { s: 'S3', time: plus(at('06-11'), -300_000), approved: false },
  { s: 'S4', time: plus(at('06-04'), 3_600_000) },
  { s: 'S6', time: plus(at('06-06'), -300_000) },
  { s: 'S6', time: plus(at('06-06'), 3_600_000), approved: false },
  { s: 'S9', time: plus(at('06-07'), -600_000) },
  { s: 'S9', time: plus(at('06-07'), -300_000), approved: false },
  { s: 'S10', time: plus(at('06-05'), -300_000) },
  { s: 'S10', time: plus(at('06-05'), -300_000), approved: false },
  { s: 'S11', time: at('06-08', '12:00:00') },
  { s: 'S12', time: plus(at('06-12'), -300_000) },
  { s: 'S13', time: plus(at('06-20'), -300_000), integration: BETA },
  { s: 'S14', time: plus(at('06-21'), -300_000), integration: BETA },
  { s: 'S16', time: plus(at('06-25'), -300_000) },
];

export const expected = {
  acme: {
    sessionsDecided: 13,
    approvalRate: 6 / 11,
    declineRate: 3 / 11,
    pending: 2,
    codeMix: { '9001 · Approved': 6, '9102 · Declined': 3, '9104 · Expired or abandoned': 2, '9103 · Resubmission requested': 1, '9121 · Review': 1 },
    declineReasons: { '123 · Registry checks not passed': 3 },
    resubmissionReasons: { '204 · Poor image quality': 1 },
    ineChecks: 11,
    faceMatchRate: 6 / 8,
    incompleteShare: 3 / 11,
    inconsistent: 1,
    bands: { '40–44': [1, 0], '70–74': [1, 0], '80–84': [1, 0], '85–89': [0, 4], '90–94': [0, 1] } as Record<string, [number, number]>,
    consentChecks: 11,
    compliantShare: 5 / 11,
    violators: [
      ['S3', 'refused'],
      ['S5', 'missing'],
      ['S11', 'after_check'],
      ['S9', 'refused'],
      ['S10', 'refused'],
      ['S4', 'after_check'],
    ],
    rejections: { 'bad_signature · HTTP 401': [1, 3], 'invalid_body · HTTP 400': [1, 1] } as Record<string, [number, number]>,
  },
  // All integrations add beta-app (one approved, one declined, both consented) and the three latency-probe sessions (approved, no consent).
  all: { sessionsDecided: 18, approvalRate: 10 / 16, consentChecks: 16, violations: 9, rejectedRequests: 5 },
  deadLetters: 2,
  probe: { medianDelayS: 4, slowestS: 6 },
};

function decisionItem(d: D, index: number): SeedItem[] {
  const body = makeDecision(d.fixture, { sessionId: ids[d.s], attemptId: `${ids[d.s]}-${d.time}`, decisionTime: d.time, mutate: d.mutate });
  const receivedAt = plus(d.time, 90_000 + index);
  return Array.from({ length: d.copies ?? 1 }, () => ({ kind: 'decision' as const, body, integration: d.integration ?? ACME, receivedAt }));
}

const consentItem = (k: K): SeedItem => ({
  kind: 'consent',
  body: makeConsent(ids[k.s]!, { givenAt: k.time, approved: k.approved ?? true }),
  integration: k.integration ?? ACME,
  receivedAt: plus(k.time, 1000),
});

/** Rows derived by the real normalize code, received over the webhook endpoints; one write per item keeps row_versions in order. */
async function seedAsWebhooks(client: ClickHouseClient, items: SeedItem[]): Promise<void> {
  for (const item of items) {
    const rows = rowsFor([item]);
    for (const d of rows.deliveries ?? []) d.source = 'webhook';
    await seedRows(client, rows);
  }
}

/** Decisions of the latency probe, stored with known arrival times (inserted_at is otherwise now()). */
async function seedProbe(client: ClickHouseClient): Promise<void> {
  const time = at('06-20', '12:00:00');
  const arrivals = [2, 4, 6].map((s, i) => ({ sessionId: `${ids.S17}-${i}`, delayS: s }));
  const rows: TableRows = { decision_rows: [], deliveries: [] };
  for (const a of [...arrivals, { ...arrivals[0]!, delayS: 100 }]) {
    const r = rowsFor([{ kind: 'decision', body: makeDecision('decision-approved-ine-match', { sessionId: a.sessionId, attemptId: a.sessionId, decisionTime: time }), integration: PROBE, receivedAt: plus(time, a.delayS * 1000) }]);
    rows.decision_rows!.push({ ...r.decision_rows![0]!, inserted_at: fromEpochMs(Date.parse(time) + a.delayS * 1000) } as never);
    rows.deliveries!.push(...r.deliveries!);
  }
  await client.insert({ table: `${DATABASE}.decision_rows`, values: rows.decision_rows!, format: 'JSONEachRow' });
  await seedRows(client, { deliveries: rows.deliveries });
}

function pipelineRows(): TableRows {
  const rejection = (reason: string, status: number, integration: string | null, body: string, minute: number) => ({
    rejection_id: randomUUID(),
    at: fromEpochMs(Date.parse(at('06-14')) + minute * 60_000),
    integration,
    endpoint: '/webhooks/veriff/decision',
    status,
    reason,
    paths: [],
    body_sha256: body.padEnd(64, '0'),
    body_bytes: 100,
  });
  const dead = (offset: string) => ({ topic: 'ine.decisions', partition: 0, offset, key: null, value: '{}', error: 'normalization failed', at: fromEpochMs(LAST_DAY.toMs - 3_600_000) });
  return {
    rejection_log: [
      rejection('bad_signature', 401, ACME, 'a', 1),
      rejection('bad_signature', 401, ACME, 'a', 2),
      rejection('bad_signature', 401, ACME, 'a', 3),
      rejection('invalid_body', 400, ACME, 'b', 4),
      rejection('unknown_client', 401, null, 'c', 5),
    ],
    dead_letters: [dead('10'), dead('10'), dead('11')],
  };
}

/** Queries through the SQL door an hour ago: analyst 2 ok and 1 denied, grafana 1 ok (sql_access_counts follows by its view). */
async function seedAccessLog(client: ClickHouseClient): Promise<void> {
  const entry = (user: string, outcome: AccessLogEntry['outcome'], errorCode: number): AccessLogEntry => ({
    at: LAST_DAY.toMs - 3_600_000, user, clientAddress: '127.0.0.1', queryId: randomUUID(), queryHash: '1', statement: 'SelectWithUnionQuery',
    tables: [], resultRows: 1, resultBytes: 10, durationMs: 5, outcome, errorCode, errorName: '',
  });
  const entries = [entry('analyst', 'ok', 0), entry('analyst', 'ok', 0), entry('analyst', 'denied', 497), entry('grafana', 'ok', 0)];
  await insertRows(client, `${DATABASE}.sql_access_log`, accessLogColumns, entries.map(accessLogRow));
}

export async function seedScenario(client: ClickHouseClient): Promise<void> {
  await seedAsWebhooks(client, [...decisions.flatMap(decisionItem), ...consents.map(consentItem)]);
  await seedProbe(client);
  await seedRows(client, pipelineRows());
  await seedAccessLog(client);
}

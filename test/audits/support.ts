import { randomUUID } from 'node:crypto';
import { queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { loadCatalog } from '../../audits/catalog.js';
import { parseParams } from '../../audits/params.js';
import { runAudit, type AuditResult, type Row, type RunQuery } from '../../audits/runner.js';
import { testClickHouse } from '../helpers/clickhouse.js';
import { makeConsent, makeDecision, makeEvent } from '../helpers/fixtures.js';
import { rowsFor, seedPayloads, seedRows, type SeedItem } from '../helpers/seed.js';

export const catalog = loadCatalog();

/**
 * The per-process test ClickHouse, queried the way the CLI queries it directly: with readonly=1, which
 * proves every audit query runs for a read-only analyst. chdb turns per-query settings into session
 * `SET`s, so after the first query this process's store stays read-only: seed everything first.
 */
export async function auditStore(): Promise<{ client: ClickHouseClient; run: RunQuery }> {
  const client = await testClickHouse();
  return { client, run: (q, p = {}) => queryRows(client, q, p, { readonly: 1 }) };
}

/** Runs a catalog query with CLI-style (string) parameters. */
export async function audit(run: RunQuery, name: string, raw: Record<string, string | undefined>): Promise<AuditResult> {
  const query = catalog.get(name);
  if (!query) throw new Error(`no query ${name}`);
  return runAudit(run, query, parseParams(query, raw));
}

export const auditRows = async (run: RunQuery, name: string, raw: Record<string, string | undefined>): Promise<Row[]> => (await audit(run, name, raw)).rows;

/** A namespace per test: integration names and session ids nobody else uses. */
export function namespace(label: string) {
  const id = randomUUID().slice(0, 8);
  return { id, integration: (suffix = '') => `${label}-${id}${suffix}`, session: (n: string | number) => `${label}-${id}-s${n}` };
}

export const june = { from: '2025-06-01', to: '2025-07-01' } as const;

/** A decision of a fixture's shape in one session at one time; `ine` overrides the INE block. */
export function decision(fixture: string, sessionId: string, decisionTime: string | null, options: { attemptId?: string; ine?: Record<string, unknown>; mutate?: (d: any) => void } = {}) {
  return makeDecision(fixture, {
    sessionId,
    attemptId: options.attemptId ?? `${sessionId}-attempt`,
    mutate: (d) => {
      d.verification.decisionTime = decisionTime;
      if (options.ine) d.verification.additionalVerifiedData = { ineBiometricRegistryValidation: options.ine };
      options.mutate?.(d);
    },
  });
}

export const consent = makeConsent;
export const event = makeEvent;

export async function seed(client: ClickHouseClient, integration: string, items: Array<Omit<SeedItem, 'integration'> & { integration?: string }>): Promise<void> {
  await seedPayloads(client, items.map((i) => ({ integration, ...i })));
}

/** Like seed(), but each delivery's source is set as given (the seed helper marks everything 'import'). */
export async function seedWithSources(client: ClickHouseClient, integration: string, items: Array<SeedItem & { source?: 'webhook' | 'import' | 'quarantine_replay' }>): Promise<void> {
  for (const item of items) {
    const rows = rowsFor([{ integration, ...item }]);
    const source = item.source ?? 'import';
    for (const table of ['decision_rows', 'event_rows', 'deliveries', 'raw_payloads'] as const) for (const r of rows[table] ?? []) (r as { source: string }).source = source;
    await seedRows(client, rows);
  }
}

/** 'YYYY-MM-DD hh:mm:ss.mmm', the way ClickHouse prints DateTime64(3, 'UTC'). */
export const ch = (iso: string): string => new Date(iso).toISOString().replace('T', ' ').replace('Z', '');

/**
 * A month of one integration for report tests (June 2025): approvals, declines, a pending review,
 * an expiry, INE outcomes of every kind, four consent violations, a duplicate late delivery and two
 * refused requests. Daily approval rates: 06-02 50, 06-03 100, 06-04 NULL, 06-05 50, 06-06 33.33, 06-07 0.
 */
export async function seedMonth(client: ClickHouseClient, label: string): Promise<{ integration: string; session: (n: string | number) => string }> {
  const ns = namespace(label);
  const integration = ns.integration();
  const s = ns.session;
  const ok = (n: number, givenAt: string) => ({ kind: 'consent' as const, body: consent(s(n), { givenAt }) });
  const m8 = decision('decision-approved-ine-match', s(8), '2025-06-06T12:00:00Z');
  await seedWithSources(client, integration, [
    ok(1, '2025-06-02T09:00:00Z'),
    { kind: 'decision', body: decision('decision-approved-ine-match', s(1), '2025-06-02T10:00:00Z'), receivedAt: '2025-06-02T10:00:01Z', source: 'webhook' },
    { kind: 'decision', body: decision('decision-declined-ine-no-match', s(2), '2025-06-02T11:00:00Z'), receivedAt: '2025-06-02T11:00:01Z', source: 'webhook' },
    ok(3, '2025-06-03T09:00:00Z'),
    { kind: 'decision', body: decision('decision-approved-ine-boundary-85', s(3), '2025-06-03T10:00:00Z'), receivedAt: '2025-06-03T10:00:01Z', source: 'webhook' },
    { kind: 'consent', body: consent(s(4), { givenAt: '2025-06-04T09:00:00Z', approved: false }) },
    { kind: 'decision', body: decision('decision-review-ine-not-completed', s(4), '2025-06-04T10:00:00Z'), receivedAt: '2025-06-04T10:00:01Z', source: 'webhook' },
    { kind: 'decision', body: decision('decision-declined-ine-provider-failure', s(5), '2025-06-05T10:00:00Z'), receivedAt: '2025-06-05T10:00:01Z', source: 'webhook' },
    ok(5, '2025-06-05T11:00:00Z'),
    ok(6, '2025-06-05T09:00:00Z'),
    {
      kind: 'decision',
      body: decision('decision-approved-ine-match', s(6), '2025-06-05T12:00:00Z', { ine: { faceMatch: true, faceMatchPercentage: 82, responseStatus: 'success' } }),
      receivedAt: '2025-06-05T12:00:01Z',
      source: 'webhook',
    },
    { kind: 'decision', body: decision('decision-expired-null-fields', s(7), '2025-06-06T00:00:04Z'), receivedAt: '2025-06-06T00:00:05Z', source: 'webhook' },
    ok(8, '2025-06-06T11:00:00Z'),
    { kind: 'decision', body: m8, receivedAt: '2025-06-06T12:00:01Z', source: 'webhook' },
    { kind: 'decision', body: m8, receivedAt: '2025-06-06T15:00:00Z', source: 'webhook' },
    ok(9, '2025-06-07T09:00:00Z'),
    { kind: 'decision', body: decision('decision-declined-ine-boundary-84', s(9), '2025-06-07T10:00:00Z'), receivedAt: '2025-06-07T10:00:01Z', source: 'webhook' },
    { kind: 'decision', body: decision('decision-declined-ine-no-match', s(10), '2025-06-06T13:00:00Z'), receivedAt: '2025-06-06T13:00:01Z', source: 'webhook' },
  ]);
  const reject = (n: number, at: string, sha: string) => ({
    rejection_id: `${ns.id}-r${n}`, at: ch(at), integration, endpoint: '/webhooks/veriff/decision', status: 401, reason: 'bad_signature', paths: [], body_sha256: `${ns.id}-${sha}`, body_bytes: 64,
  });
  await seedRows(client, { rejection_log: [reject(1, '2025-06-08T10:00:00Z', 'a'), reject(2, '2025-06-08T10:01:00Z', 'a')] });
  return { integration, session: s };
}

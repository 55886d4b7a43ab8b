import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunQuery } from '../../audits/runner.js';
import { consentIdOf, decisionIdOf, eventIdOf } from '../../pipeline/contract.js';
import { seedRows } from '../helpers/seed.js';
import { auditRows, auditStore, ch, consent, decision, event, june, namespace, seedWithSources } from './support.js';

let run: RunQuery;
let client: Awaited<ReturnType<typeof auditStore>>['client'];
// Every scenario is seeded before the first query: see auditStore() on chdb and readonly.
const seeders: Array<() => Promise<void>> = [];
beforeAll(async () => {
  ({ run, client } = await auditStore());
  for (const seedScenario of seeders) await seedScenario();
});

describe('duplicate-deliveries', () => {
  const ns = namespace('dup');
  const D = ns.integration();
  const s = ns.session;
  const d1 = decision('decision-approved-ine-match', s(1), '2025-06-03T10:00:00Z');
  const d2 = decision('decision-approved-ine-match', s(2), '2025-06-03T11:00:00Z');
  const e3 = event('started', s(3), randomUUID());
  const d4 = decision('decision-declined-ine-no-match', s(4), '2025-05-31T22:00:00Z');
  const d5 = decision('decision-declined-ine-no-match', s(5), '2025-06-30T22:00:00Z');
  const c6 = consent(s(6), { givenAt: '2025-06-06T08:00:00Z' });
  const d7 = decision('decision-approved-ine-match', s(7), '2025-06-07T10:00:00Z');
  const d8 = decision('decision-approved-ine-match', s(8), '2025-05-30T10:00:00Z');

  seeders.push(async () => {
    await seedWithSources(client, D, [
      { kind: 'decision', body: d1, receivedAt: '2025-06-03T10:00:01Z', source: 'webhook' },
      { kind: 'decision', body: d1, receivedAt: '2025-06-03T10:05:00Z', source: 'webhook' },
      { kind: 'decision', body: d1, receivedAt: '2025-06-04T00:00:00Z', source: 'import' },
      // The same delivery twice (a Kafka redelivery) is not a duplicate.
      { kind: 'decision', body: d2, receivedAt: '2025-06-03T11:00:01Z', deliveryId: `${ns.id}-kafka`, source: 'webhook' },
      { kind: 'decision', body: d2, receivedAt: '2025-06-03T11:00:01Z', deliveryId: `${ns.id}-kafka`, source: 'webhook' },
      { kind: 'event', body: e3, receivedAt: '2025-06-05T08:00:00Z', source: 'webhook' },
      { kind: 'event', body: e3, receivedAt: '2025-06-05T08:00:30Z', source: 'webhook' },
      { kind: 'decision', body: d4, receivedAt: '2025-05-31T23:00:00Z', source: 'webhook' },
      { kind: 'decision', body: d4, receivedAt: '2025-06-01T01:00:00Z', source: 'webhook' },
      { kind: 'decision', body: d5, receivedAt: '2025-06-30T23:00:00Z', source: 'webhook' },
      { kind: 'decision', body: d5, receivedAt: '2025-07-01T01:00:00Z', source: 'quarantine_replay' },
      { kind: 'consent', body: c6, receivedAt: '2025-06-06T09:00:00Z', source: 'import' },
      { kind: 'consent', body: c6, receivedAt: '2025-06-06T09:00:01Z', source: 'import' },
      { kind: 'decision', body: d7, receivedAt: '2025-06-07T10:00:01Z', source: 'webhook' },
    ]);
  });

  it('lists records delivered more than once, by the period of their first delivery', async () => {
    expect(await auditRows(run, 'duplicate-deliveries', { ...june, integration: D })).toEqual([
      {
        kind: 'decision', record_id: decisionIdOf(d1.verification), session_id: s(1), integration: D, deliveries: 3,
        first_received_at: '2025-06-03 10:00:01.000', last_received_at: '2025-06-04 00:00:00.000', event_time: '2025-06-03 10:00:00.000', sources: 'import,webhook',
      },
      {
        kind: 'event', record_id: eventIdOf(e3), session_id: s(3), integration: D, deliveries: 2,
        first_received_at: '2025-06-05 08:00:00.000', last_received_at: '2025-06-05 08:00:30.000', event_time: null, sources: 'webhook',
      },
      {
        kind: 'consent', record_id: consentIdOf(c6), session_id: s(6), integration: D, deliveries: 2,
        first_received_at: '2025-06-06 09:00:00.000', last_received_at: '2025-06-06 09:00:01.000', event_time: '2025-06-06 08:00:00.000', sources: 'import',
      },
      {
        kind: 'decision', record_id: decisionIdOf(d8.verification), session_id: s(8), integration: D, deliveries: 2,
        first_received_at: '2025-06-22 10:00:00.000', last_received_at: '2025-06-23 10:00:00.000', event_time: '2025-05-30 10:00:00.000', sources: 'import,webhook',
      },
      {
        kind: 'decision', record_id: decisionIdOf(d5.verification), session_id: s(5), integration: D, deliveries: 2,
        first_received_at: '2025-06-30 23:00:00.000', last_received_at: '2025-07-01 01:00:00.000', event_time: '2025-06-30 22:00:00.000', sources: 'quarantine_replay,webhook',
      },
    ]);
  });

  // The same decision from two integrations: once from another one in May, twice from D in June.
  seeders.push(async () => {
    await seedWithSources(client, D, [
      { kind: 'decision', body: d8, receivedAt: '2025-05-30T10:00:01Z', integration: `${D}-other`, source: 'webhook' },
      { kind: 'decision', body: d8, receivedAt: '2025-06-22T10:00:00Z', source: 'webhook' },
      { kind: 'decision', body: d8, receivedAt: '2025-06-23T10:00:00Z', source: 'import' },
    ]);
  });

  it('a record more than one integration delivered: per integration, and across them by its first delivery', async () => {
    const asked = await auditRows(run, 'duplicate-deliveries', { from: '2025-06-22', to: '2025-07-01', integration: D });
    expect(asked.filter((r) => r.session_id === s(8)).map((r) => [r.deliveries, r.first_received_at, r.sources])).toEqual([[2, '2025-06-22 10:00:00.000', 'import,webhook']]);
    const june = await auditRows(run, 'duplicate-deliveries', { from: '2025-06-01', to: '2025-07-01' });
    expect(june.filter((r) => r.session_id === s(8))).toEqual([]);
    const may = await auditRows(run, 'duplicate-deliveries', { from: '2025-05-01', to: '2025-06-01' });
    expect(may.filter((r) => r.session_id === s(8)).map((r) => [r.deliveries, r.first_received_at])).toEqual([[3, '2025-05-30 10:00:01.000']]);
  });

  it('a duplicate straddling two periods belongs to the period of its first delivery', async () => {
    const may = await auditRows(run, 'duplicate-deliveries', { from: '2025-05-01', to: '2025-06-01', integration: D });
    expect(may.map((r) => [r.session_id, r.deliveries])).toEqual([[s(4), 2]]);
  });
});

describe('late-deliveries', () => {
  const ns = namespace('late');
  const L = ns.integration();
  const s = ns.session;
  const at = (n: number, decisionTime: string | null, receivedAt: string, source: 'webhook' | 'import' = 'webhook') => ({
    kind: 'decision' as const, body: decision('decision-approved-ine-match', s(n), decisionTime), receivedAt, deliveryId: `${ns.id}-l${n}`, source,
  });
  const items = [
    at(1, '2025-06-03T10:00:00Z', '2025-06-03T10:59:59.999Z'),
    at(2, '2025-06-03T11:00:00Z', '2025-06-03T12:00:00.000Z'),
    at(3, '2025-06-03T12:00:00Z', '2025-06-03T13:00:00.001Z'),
    at(4, '2025-06-04T10:00:00Z', '2025-06-06T10:00:00Z'),
    at(5, '2025-06-30T10:00:00Z', '2025-07-01T10:00:00Z'),
    at(6, null, '2025-06-10T00:00:00Z'),
    at(7, '2025-05-20T00:00:00Z', '2025-06-02T00:00:00Z', 'import'),
  ];

  seeders.push(async () => {
    await seedWithSources(client, L, items);
    // Events carry no decisionTime and are never "late".
    await seedWithSources(client, L, [{ kind: 'event', body: event('started', s(8)), receivedAt: '2025-06-20T00:00:00Z' }]);
  });

  const row = (n: number, source: string, decisionTime: string, receivedAt: string, delay: number) => ({
    session_id: s(n), decision_id: decisionIdOf(items[n - 1]!.body.verification), integration: L, source,
    decision_time: ch(decisionTime), received_at: ch(receivedAt), delay_seconds: delay, delivery_id: `${ns.id}-l${n}`,
  });

  it('lists decision deliveries received more than 60 minutes after decisionTime (strictly)', async () => {
    expect(await auditRows(run, 'late-deliveries', { ...june, integration: L })).toEqual([
      row(7, 'import', '2025-05-20T00:00:00Z', '2025-06-02T00:00:00Z', 13 * 86_400),
      row(3, 'webhook', '2025-06-03T12:00:00Z', '2025-06-03T13:00:00.001Z', 3600),
      row(4, 'webhook', '2025-06-04T10:00:00Z', '2025-06-06T10:00:00Z', 2 * 86_400),
    ]);
  });

  it('takes the threshold from --late-minutes', async () => {
    const rows = await auditRows(run, 'late-deliveries', { ...june, integration: L, late_minutes: '1440' });
    expect(rows.map((r) => r.session_id)).toEqual([s(7), s(4)]);
    const none = await auditRows(run, 'late-deliveries', { ...june, integration: L, late_minutes: '20000' });
    expect(none).toEqual([]);
  });
});

describe('rejected-requests', () => {
  const ns = namespace('rej');
  const R = ns.integration();
  const reject = (n: number, at: string, integration: string | null, status: number, reason: string, paths: string[], sha: string) => ({
    rejection_id: `${ns.id}-r${n}`, at: ch(at), integration, endpoint: '/webhooks/veriff/decision', status, reason, paths, body_sha256: `${ns.id}-${sha}`, body_bytes: 100,
  });

  seeders.push(async () => {
    await seedRows(client, {
      rejection_log: [
        reject(1, '2025-06-02T10:00:00Z', R, 401, 'bad_signature', [], 'h1'),
        reject(2, '2025-06-02T11:00:00Z', R, 401, 'bad_signature', [], 'h1'),
        reject(3, '2025-06-03T10:00:00Z', R, 400, 'invalid_json', ['verification.code'], 'h2'),
        reject(4, '2025-06-04T10:00:00Z', R, 400, 'invalid_json', ['verification.status', 'verification.code'], 'h3'),
        reject(5, '2025-06-05T10:00:00Z', null, 401, 'unknown_client', [], 'h4'),
        reject(6, '2025-07-01T00:00:00Z', R, 401, 'bad_signature', [], 'h5'),
        reject(7, '2025-05-31T10:00:00Z', R, 401, 'bad_signature', [], 'h6'),
        reject(8, '2025-06-02T12:00:00Z', R, 401, 'bad_signature', [], 'h6'),
      ],
    });
  });

  it('groups distinct refused requests first seen in the period', async () => {
    expect(await auditRows(run, 'rejected-requests', { ...june, integration: R })).toEqual([
      {
        endpoint: '/webhooks/veriff/decision', status: 400, reason: 'invalid_json', integration: R, distinct_requests: 2, deliveries: 2,
        first_seen_at: '2025-06-03 10:00:00.000', last_seen_at: '2025-06-04 10:00:00.000', paths: 'verification.code,verification.status',
      },
      {
        endpoint: '/webhooks/veriff/decision', status: 401, reason: 'bad_signature', integration: R, distinct_requests: 1, deliveries: 2,
        first_seen_at: '2025-06-02 10:00:00.000', last_seen_at: '2025-06-02 11:00:00.000', paths: '',
      },
    ]);
  });
});

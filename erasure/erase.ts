import { randomUUID } from 'node:crypto';
import { DATABASE, queryRows, type ClickHouseClient } from '../lib/clickhouse.js';
import { fromEpochMs } from '../lib/time.js';
import type { Pseudonymize } from '../lib/pseudonym.js';
import type { ErasureRequest } from './request.js';

/**
 * Data-subject erasure: the subject's bodies go (raw copies, quarantined bodies, dead-letter
 * messages); the compliance record stays (session id, INE result, consent verdict, times), and with
 * `full` its pseudonyms go too. Mutations rewrite the parts (ALTER ... DELETE / UPDATE with
 * mutations_sync), so the bytes leave the disk, not only the query results. A receipt records it.
 */

export interface ErasureDeps {
  client: ClickHouseClient;
  pseudonymize: Pseudonymize;
  /** Kafka topics' retention when the deployment uses Kafka (copies there expire, they are not deleted). */
  kafka: { retentionMs: number; segmentMs: number } | null;
  now?: () => number;
}

export interface Subject {
  scope: 'session' | 'person';
  /** What the receipt names: the session id, or the person's pseudonym (never the CURP). */
  subject: string;
  sessionIds: string[];
  /** Strings whose presence in a stored message makes it the subject's: session ids, and the CURP. */
  needles: string[];
}

export interface Receipt {
  erasure_id: string;
  at: string;
  requested_by: string;
  run_by: string;
  request_reason: string;
  scope: Subject['scope'];
  subject: string;
  full: boolean;
  session_ids: string[];
  delivery_ids: string[];
  removed: string[];
  rows_removed: Record<string, number>;
  kafka_copies_expire_at: string | null;
}

export async function resolveSubject(client: ClickHouseClient, request: ErasureRequest, pseudonymize: Pseudonymize): Promise<Subject> {
  if (request.session) return { scope: 'session', subject: request.session, sessionIds: [request.session], needles: [request.session] };
  const pseudonym = pseudonymize(request.person)!;
  const rows = await queryRows<{ session_id: string }>(client, `SELECT DISTINCT session_id FROM ${DATABASE}.decision_rows WHERE person_pseudonym = {p:String} ORDER BY session_id`, { p: pseudonym });
  const sessionIds = rows.map((r) => r.session_id);
  return { scope: 'person', subject: `person:${pseudonym}`, sessionIds, needles: [...sessionIds, request.person!] };
}

/** Each step: the table, what goes, how many rows it touches (counted first), and the mutation. */
function steps(full: boolean) {
  const bySession = '{sessions:Array(String)}';
  const body = "if(body_encoding = 'base64', tryBase64Decode(body), body)";
  const list = [
    { table: 'raw_payloads', what: 'raw bodies', where: `session_id IN ${bySession}`, action: 'DELETE' },
    { table: 'quarantine', what: 'quarantined bodies', where: `multiSearchAny(${body}, {needles:Array(String)})`, action: 'DELETE' },
    { table: 'dead_letters', what: 'dead-letter messages', where: `key IN ${bySession} OR multiSearchAny(value, {needles:Array(String)})`, action: 'DELETE' },
  ];
  if (!full) return list;
  const pseudonyms = (cols: string[]) => `UPDATE ${cols.map((c) => `${c} = NULL`).join(', ')}`;
  const notNull = (cols: string[]) => `session_id IN ${bySession} AND (${cols.map((c) => `${c} IS NOT NULL`).join(' OR ')})`;
  const decision = ['person_pseudonym', 'end_user_pseudonym', 'vendor_data_pseudonym'];
  const other = ['end_user_pseudonym', 'vendor_data_pseudonym'];
  return [
    ...list,
    { table: 'decision_rows', what: 'person, end-user and vendorData pseudonyms of decisions', where: notNull(decision), action: pseudonyms(decision) },
    { table: 'event_rows', what: 'end-user and vendorData pseudonyms of events', where: notNull(other), action: pseudonyms(other) },
    { table: 'consent_rows', what: 'end-user and vendorData pseudonyms of consents', where: notNull(other), action: pseudonyms(other) },
  ];
}

/** What an erasure would remove, per table (the dry run prints this; the erasure counts it before removing). */
export async function planErasure(client: ClickHouseClient, subject: Subject, full: boolean) {
  const params = { sessions: subject.sessionIds, needles: subject.needles.length ? subject.needles : ['\u0000none'] };
  const plan: Array<{ table: string; what: string; rows: number; where: string; action: string }> = [];
  for (const s of steps(full)) {
    const [row] = await queryRows<{ n: string }>(client, `SELECT count() AS n FROM ${DATABASE}.${s.table} WHERE ${s.where}`, params);
    plan.push({ ...s, rows: Number(row!.n) });
  }
  const deliveries = await queryRows<{ delivery_id: string; last: string }>(client,
    `SELECT delivery_id, toUnixTimestamp64Milli(max(inserted_at)) AS last FROM ${DATABASE}.ledger_leaves WHERE session_id IN {sessions:Array(String)} GROUP BY delivery_id ORDER BY delivery_id`, params);
  return { plan, params, deliveryIds: deliveries.map((d) => d.delivery_id), lastCopyMs: Math.max(0, ...deliveries.map((d) => Number(d.last))) };
}

export async function erase(deps: ErasureDeps, request: ErasureRequest): Promise<{ receipt: Receipt; plan: Awaited<ReturnType<typeof planErasure>>['plan'] }> {
  const subject = await resolveSubject(deps.client, request, deps.pseudonymize);
  const { plan, params, deliveryIds, lastCopyMs } = await planErasure(deps.client, subject, request.full);
  const now = deps.now?.() ?? Date.now();
  const receipt: Receipt = {
    erasure_id: randomUUID(), at: new Date(now).toISOString(), requested_by: request.requestedBy, run_by: request.runBy, request_reason: request.reason,
    scope: subject.scope, subject: subject.subject, full: request.full, session_ids: subject.sessionIds,
    delivery_ids: plan.find((p) => p.table === 'raw_payloads')!.rows > 0 ? deliveryIds : [],
    removed: plan.filter((p) => p.rows > 0).map((p) => `${p.table}: ${p.what}`),
    rows_removed: Object.fromEntries(plan.map((p) => [p.table, p.rows])),
    // Kafka deletes whole segments: the last copy is gone by its write + retention + one segment's span.
    kafka_copies_expire_at: deps.kafka && lastCopyMs > 0 ? new Date(Math.max(lastCopyMs, now) + deps.kafka.retentionMs + deps.kafka.segmentMs).toISOString() : null,
  };
  if (request.dryRun) return { receipt, plan };
  for (const step of plan) {
    if (step.rows === 0) continue;
    const statement = step.action === 'DELETE' ? `ALTER TABLE ${DATABASE}.${step.table} DELETE WHERE ${step.where}` : `ALTER TABLE ${DATABASE}.${step.table} ${step.action} WHERE ${step.where}`;
    await deps.client.command({ query: statement, query_params: params, clickhouse_settings: { mutations_sync: '2' } });
  }
  const time = (iso: string | null) => (iso === null ? null : fromEpochMs(Date.parse(iso)));
  await deps.client.insert({ table: `${DATABASE}.erasures`, values: [{ ...receipt, at: time(receipt.at), kafka_copies_expire_at: time(receipt.kafka_copies_expire_at) }], format: 'JSONEachRow' });
  return { receipt, plan };
}

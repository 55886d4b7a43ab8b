import type { z } from 'zod';
import {
  acceptedMessageSchema,
  quarantineMessageSchema,
  rejectionMessageSchema,
  type AcceptedMessage,
  type PayloadKind,
} from '../schemas/messages.js';
import { decisionWebhookSchema } from '../schemas/veriff/decision.schema.js';
import { eventWebhookSchema } from '../schemas/veriff/event.schema.js';
import { consentRecordSchema } from '../schemas/consent.schema.js';
import type { DeliveryRow, TableRows } from '../schemas/rows.js';
import type { TopicKind } from '../schemas/topics.js';
import { parseJsonWith } from '../schemas/validation.js';
import { toClickHouseTime } from '../lib/time.js';
import { createPseudonymizer, type Pseudonymize } from '../lib/pseudonym.js';
import type { NormalizeContext } from './context.js';
import { normalizeDecision } from './decisions/decisions.normalize.js';
import { normalizeEvent } from './events/events.normalize.js';
import { normalizeConsent } from './consents/consents.normalize.js';

export type Outcome = { type: 'ok'; rows: TableRows } | { type: 'dlq'; error: string };

export interface HandleDeps {
  pseudonymize: Pseudonymize;
  rowVersion: () => number;
}

/** Row versions only need to grow across derivations; microsecond-ish resolution keeps replays ordered. */
export function rowVersionClock(): () => number {
  let last = 0;
  return () => (last = Math.max(last + 1, Date.now() * 1000));
}

/** What every writer of normalized rows needs: the keyed hash and a fresh version clock. */
export const handleDepsFor = (pepper: string): HandleDeps => ({ pseudonymize: createPseudonymizer(pepper), rowVersion: rowVersionClock() });

const ok = (rows: TableRows): Outcome => ({ type: 'ok', rows });
const dlq = (error: string): Outcome => ({ type: 'dlq', error });

function parseMessage<T>(schema: z.ZodType<T>, value: string): { ok: true; value: T } | { ok: false; error: string } {
  const parsed = parseJsonWith(schema, value);
  return parsed.ok ? parsed : { ok: false, error: `invalid message: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}` };
}

/** Payload rows plus the delivery record and the restricted raw copy every accepted payload gets. */
export function normalizeAccepted(message: AcceptedMessage, deps: HandleDeps): Outcome {
  const ctx: NormalizeContext = {
    deliveryId: message.deliveryId,
    integration: message.integration,
    source: message.source,
    receivedAt: toClickHouseTime(message.receivedAt),
    rowVersion: deps.rowVersion(),
    pseudonymize: deps.pseudonymize,
  };
  const base = { delivery_id: ctx.deliveryId, kind: message.kind, integration: ctx.integration, source: ctx.source, received_at: ctx.receivedAt };
  const delivery = (record_id: string, session_id: string, event_time: string | null): DeliveryRow => ({ ...base, record_id, session_id, event_time });
  const raw = (session_id: string) => [{ ...base, session_id, body_sha256: message.bodySha256, body: message.body }];

  switch (message.kind) {
    case 'decision': {
      const parsed = parseJsonWith(decisionWebhookSchema, message.body);
      if (!parsed.ok) return dlq(`decision body no longer valid: ${parsed.errors.map((e) => e.path).join(', ')}`);
      const row = normalizeDecision(parsed.value, ctx);
      return ok({ decision_rows: [row], deliveries: [delivery(row.decision_id, row.session_id, row.decision_time)], raw_payloads: raw(row.session_id) });
    }
    case 'event': {
      const parsed = parseJsonWith(eventWebhookSchema, message.body);
      if (!parsed.ok) return dlq(`event body no longer valid: ${parsed.errors.map((e) => e.path).join(', ')}`);
      const row = normalizeEvent(parsed.value, ctx);
      return ok({ event_rows: [row], deliveries: [delivery(row.event_id, row.session_id, null)], raw_payloads: raw(row.session_id) });
    }
    case 'consent': {
      const parsed = parseJsonWith(consentRecordSchema, message.body);
      if (!parsed.ok) return dlq(`consent body no longer valid: ${parsed.errors.map((e) => e.path).join(', ')}`);
      const row = normalizeConsent(parsed.value, ctx);
      return ok({ consent_rows: [row], deliveries: [delivery(row.consent_id, row.session_id, row.given_at)], raw_payloads: raw(row.session_id) });
    }
  }
}

const acceptedKinds: Partial<Record<TopicKind, PayloadKind>> = { decisions: 'decision', events: 'event', consents: 'consent' };

/** One Kafka message (or its embedded equivalent) → rows to insert, or a dead-letter verdict. Pure. */
export function handleMessage(topic: TopicKind, value: string, deps: HandleDeps): Outcome {
  try {
    const expectedKind = acceptedKinds[topic];
    if (expectedKind) {
      const m = parseMessage(acceptedMessageSchema, value);
      if (!m.ok) return dlq(m.error);
      if (m.value.kind !== expectedKind) return dlq(`a ${m.value.kind} message on the ${topic} topic`);
      return normalizeAccepted(m.value, deps);
    }
    if (topic === 'quarantine') {
      const m = parseMessage(quarantineMessageSchema, value);
      if (!m.ok) return dlq(m.error);
      const q = m.value;
      return ok({
        quarantine: [{
          delivery_id: q.deliveryId,
          kind: q.kind,
          integration: q.integration,
          received_at: toClickHouseTime(q.receivedAt),
          body_sha256: q.bodySha256,
          body: q.body,
          body_encoding: q.bodyEncoding,
          errors: q.errors,
          error_paths: [...new Set(q.errors.map((e) => e.path))],
        }],
      });
    }
    if (topic === 'rejections') {
      const m = parseMessage(rejectionMessageSchema, value);
      if (!m.ok) return dlq(m.error);
      const r = m.value;
      return ok({
        rejection_log: [{
          rejection_id: r.rejectionId,
          at: toClickHouseTime(r.at),
          integration: r.integration,
          endpoint: r.endpoint,
          status: r.status,
          reason: r.reason,
          paths: r.paths,
          body_sha256: r.bodySha256,
          body_bytes: r.bodyBytes,
        }],
      });
    }
    return dlq(`no handler for topic ${topic}`);
  } catch (err) {
    // A normalizer throwing is a bug or a payload we did not foresee: dead-letter it, keep the partition moving.
    return dlq(`normalization failed: ${(err as Error).message}`);
  }
}

export function mergeRows(target: TableRows, source: TableRows): TableRows {
  for (const [table, rows] of Object.entries(source) as Array<[keyof TableRows, unknown[]]>) {
    if (!rows?.length) continue;
    const existing = (target[table] ??= [] as never) as unknown[];
    for (const r of rows) existing.push(r);
  }
  return target;
}

export const countRows = (rows: TableRows): number => Object.values(rows).reduce((n, r) => n + (r?.length ?? 0), 0);

import type { z } from 'zod';
import { keyOf } from '../lib/hash.js';
import { toClickHouseTime } from '../lib/time.js';
import { consentRecordSchema, type ConsentRecord } from '../schemas/consent.schema.js';
import {
  acceptedMessageSchema,
  quarantineMessageSchema,
  rejectionMessageSchema,
  type AcceptedMessage,
  type PayloadKind,
  type QuarantineMessage,
  type RejectionMessage,
} from '../schemas/messages.js';
import type { TableRows } from '../schemas/rows.js';
import { decisionWebhookSchema, type DecisionWebhook } from '../schemas/veriff/decision.schema.js';
import { eventWebhookSchema, type EventWebhook } from '../schemas/veriff/event.schema.js';

/**
 * The pipeline contract: what travels between ingest, Kafka, the processors, import, replay and the
 * internal port. Each payload kind's topic, schemas and identities are spelled here and nowhere else.
 */

/** Every topic the pipeline uses; names get KAFKA_TOPIC_PREFIX. */
export const topicNames = {
  decisions: 'veriff.decisions.v1',
  events: 'veriff.events.v1',
  consents: 'consents.v1',
  quarantine: 'ingest.quarantine.v1',
  rejections: 'ingest.rejections.v1',
  deadLetters: 'processor.dead-letters.v1',
} as const;

export type TopicKind = keyof typeof topicNames;
export type Topics = Readonly<Record<TopicKind, string>>;

export function topicsFor(prefix: string): Topics {
  return Object.freeze(Object.fromEntries(Object.entries(topicNames).map(([kind, name]) => [kind, `${prefix}${name}`])) as Record<TopicKind, string>);
}

export const decisionIdOf = (v: DecisionWebhook['verification']): string => keyOf(v.id, v.attemptId, v.status, v.code, v.decisionTime ?? null);
export const eventIdOf = (e: EventWebhook): string => keyOf(e.id, e.attemptId, e.code, e.action);
export const consentIdOf = (c: ConsentRecord): string => keyOf(c.sessionId, c.type, c.approved, toClickHouseTime(c.givenAt));

interface PayloadContract<T, Topic extends TopicKind> {
  topic: Topic;
  schema: z.ZodType<T>;
  sessionIdOf: (payload: T) => string;
  /** The identity the payload collapses on in ClickHouse (decision_id, event_id, consent_id). */
  recordIdOf: (payload: T) => string;
}

export interface Payloads {
  decision: DecisionWebhook;
  event: EventWebhook;
  consent: ConsentRecord;
}

export const payloadContracts = {
  decision: { topic: 'decisions', schema: decisionWebhookSchema, sessionIdOf: (p) => p.verification.id, recordIdOf: (p) => decisionIdOf(p.verification) },
  event: { topic: 'events', schema: eventWebhookSchema, sessionIdOf: (p) => p.id, recordIdOf: eventIdOf },
  consent: { topic: 'consents', schema: consentRecordSchema, sessionIdOf: (p) => p.sessionId, recordIdOf: consentIdOf },
} as const satisfies { [K in PayloadKind]: PayloadContract<Payloads[K], TopicKind> };

export type AcceptedTopic = (typeof payloadContracts)[PayloadKind]['topic'];
export const acceptedTopics = Object.values(payloadContracts).map((c) => c.topic) as [AcceptedTopic, ...AcceptedTopic[]];
export const kindOfTopic = Object.fromEntries(Object.entries(payloadContracts).map(([kind, c]) => [c.topic, kind])) as Record<AcceptedTopic, PayloadKind>;

export const recordIdOf = <K extends PayloadKind>(kind: K, payload: Payloads[K]): string => (payloadContracts[kind].recordIdOf as (p: Payloads[K]) => string)(payload);

/** Topics a processor consumes (everything ingest publishes) and the message each carries. */
export const messageSchemas = {
  decisions: acceptedMessageSchema,
  events: acceptedMessageSchema,
  consents: acceptedMessageSchema,
  quarantine: quarantineMessageSchema,
  rejections: rejectionMessageSchema,
} as const satisfies Partial<Record<TopicKind, z.ZodType>>;
export type ConsumedTopic = keyof typeof messageSchemas;
export const consumedTopics = Object.keys(messageSchemas) as ConsumedTopic[];

/** An accepted message with its body already validated: what derivation works from. */
export type AcceptedDelivery = { [K in PayloadKind]: { kind: K; message: AcceptedMessage; payload: Payloads[K] } }[PayloadKind];

export interface AcceptedBatchItem {
  key: string;
  message: AcceptedMessage;
  /** The body as ingest validated it, when it was: the embedded path derives from it without parsing again. */
  payload?: Payloads[PayloadKind];
}

/**
 * Where ingest hands what it received: Kafka in Kafka mode; the processors' derive/insert path in
 * embedded mode. accept() and quarantine() resolve only once the data is durable.
 */
export interface Sink {
  accept(topic: AcceptedTopic, messages: AcceptedBatchItem[]): Promise<void>;
  quarantine(key: string, message: QuarantineMessage): Promise<void>;
  /** Best effort: a rejection record must never turn a 401 into a 5xx. */
  reject(message: RejectionMessage): Promise<void>;
  ready(): Promise<Record<string, boolean>>;
}

export function mergeRows(target: TableRows, source: TableRows): TableRows {
  // for...in, not Object.entries: this runs once per message and should allocate nothing of its own.
  for (const table in source) {
    const rows = source[table as keyof TableRows] as unknown[] | undefined;
    if (!rows?.length) continue;
    const existing = (target[table as keyof TableRows] ??= [] as never) as unknown[];
    for (let i = 0; i < rows.length; i++) existing.push(rows[i]);
  }
  return target;
}

export const countRows = (rows: TableRows): number => Object.values(rows).reduce((n, r) => n + (r?.length ?? 0), 0);

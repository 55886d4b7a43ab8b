import type { z } from 'zod';
import type { AcceptedMessage, QuarantineMessage, RejectionMessage } from '../schemas/messages.js';
import { parseJsonWith } from '../schemas/validation.js';
import { kindOfTopic, messageSchemas, payloadContracts, type AcceptedDelivery, type AcceptedTopic, type ConsumedTopic } from '../pipeline/contract.js';

/** A consumed message, parsed and checked against its contract (an accepted payload's body too). */
export type Decoded =
  | { topic: AcceptedTopic; delivery: AcceptedDelivery }
  | { topic: 'quarantine'; message: QuarantineMessage }
  | { topic: 'rejections'; message: RejectionMessage };

/** What decoding gives: the typed message, or why it goes to the dead letters. */
export type DecodeResult<T = Decoded> = { ok: true; value: T } | { ok: false; error: string };

const paths = (errors: Array<{ path: string; message: string }>) => errors.map((e) => `${e.path}: ${e.message}`).join('; ');

/** An accepted message's body against its kind's payload schema (ingest checked it with the same one). */
export function decodeBody(message: AcceptedMessage): DecodeResult<AcceptedDelivery> {
  const parsed = parseJsonWith(payloadContracts[message.kind].schema as z.ZodType<unknown>, message.body);
  if (!parsed.ok) return { ok: false, error: `${message.kind} body no longer valid: ${parsed.errors.map((e) => e.path).join(', ')}` };
  return { ok: true, value: { kind: message.kind, message, payload: parsed.value } as AcceptedDelivery };
}

/** The Kafka boundary: bytes of one message on a consumed topic → its typed contents, or a dead-letter reason. */
export function decode(topic: ConsumedTopic, value: string): DecodeResult {
  const parsed = parseJsonWith(messageSchemas[topic] as z.ZodType<unknown>, value);
  if (!parsed.ok) return { ok: false, error: `invalid message: ${paths(parsed.errors)}` };
  if (topic === 'quarantine') return { ok: true, value: { topic, message: parsed.value as QuarantineMessage } };
  if (topic === 'rejections') return { ok: true, value: { topic, message: parsed.value as RejectionMessage } };
  const message = parsed.value as AcceptedMessage;
  if (message.kind !== kindOfTopic[topic]) return { ok: false, error: `a ${message.kind} message on the ${topic} topic` };
  const body = decodeBody(message);
  return body.ok ? { ok: true, value: { topic, delivery: body.value } } : body;
}

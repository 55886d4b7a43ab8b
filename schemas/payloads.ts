import type { z } from 'zod';
import type { FieldError } from '../lib/errors.js';
import { consentRecordSchema } from './consent.schema.js';
import type { PayloadKind } from './messages.js';
import type { TopicKind } from './topics.js';
import { fieldErrors } from './validation.js';
import { decisionWebhookSchema } from './veriff/decision.schema.js';
import { eventWebhookSchema } from './veriff/event.schema.js';

interface PayloadContract<T> {
  topic: TopicKind & ('decisions' | 'events' | 'consents');
  schema: z.ZodType<T>;
  sessionIdOf: (payload: T) => string;
}

export const payloadContracts: { [K in PayloadKind]: PayloadContract<any> } = {
  decision: { topic: 'decisions', schema: decisionWebhookSchema, sessionIdOf: (p: z.infer<typeof decisionWebhookSchema>) => p.verification.id },
  event: { topic: 'events', schema: eventWebhookSchema, sessionIdOf: (p: z.infer<typeof eventWebhookSchema>) => p.id },
  consent: { topic: 'consents', schema: consentRecordSchema, sessionIdOf: (p: z.infer<typeof consentRecordSchema>) => p.sessionId },
};

export type ValidatedPayload = { ok: true; kind: PayloadKind; sessionId: string; payload: unknown } | { ok: false; kind: PayloadKind; errors: FieldError[] };

/**
 * Which payload a JSON value is, by shape (veriff-facts §3): a `verification` object is a decision,
 * `action` + `code` an event, `sessionId` + `givenAt` a consent record; `eventType` is another Veriff webhook.
 */
function kindOf(json: unknown, allowed: readonly PayloadKind[], fallback: PayloadKind): PayloadKind | { unsupported: string } {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return fallback;
  const o = json as Record<string, unknown>;
  if (typeof o.eventType === 'string') return { unsupported: o.eventType.slice(0, 80) };
  const detected: PayloadKind | null = 'verification' in o ? 'decision' : 'action' in o && 'code' in o ? 'event' : 'sessionId' in o && 'givenAt' in o ? 'consent' : null;
  return detected && allowed.includes(detected) ? detected : fallback;
}

/** Raw text → which payload it is and whether it satisfies its contract, with dotted field paths when not. */
export function validatePayload(text: string, allowed: readonly PayloadKind[], fallback: PayloadKind): ValidatedPayload {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, kind: fallback, errors: [{ path: '(root)', message: `invalid JSON: ${(err as Error).message}` }] };
  }
  const kind = kindOf(json, allowed, fallback);
  if (typeof kind !== 'string') {
    return { ok: false, kind: fallback, errors: [{ path: 'eventType', message: `unsupported Veriff webhook type '${kind.unsupported}' (kept for replay)` }] };
  }
  const contract = payloadContracts[kind];
  const parsed = contract.schema.safeParse(json);
  return parsed.success ? { ok: true, kind, sessionId: contract.sessionIdOf(parsed.data), payload: parsed.data } : { ok: false, kind, errors: fieldErrors(parsed.error) };
}

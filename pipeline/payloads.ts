import type { PayloadKind } from '../schemas/messages.js';
import { fieldErrors, type FieldError } from '../schemas/validation.js';
import { payloadContracts, type Payloads } from './contract.js';

export type ValidatedPayload =
  | { [K in PayloadKind]: { ok: true; kind: K; sessionId: string; payload: Payloads[K] } }[PayloadKind]
  | { ok: false; kind: PayloadKind; errors: FieldError[] };

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
  if (!parsed.success) return { ok: false, kind, errors: fieldErrors(parsed.error) };
  const sessionIdOf = contract.sessionIdOf as (p: unknown) => string;
  return { ok: true, kind, sessionId: sessionIdOf(parsed.data), payload: parsed.data } as ValidatedPayload;
}

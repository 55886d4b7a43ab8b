import type { DeliveryRow, RawPayloadRow, TableRows } from '../schemas/rows.js';
import type { AcceptedMessage } from '../schemas/messages.js';
import { toClickHouseTime } from '../lib/time.js';
import { createPseudonymizer, type Pseudonymize } from '../lib/pseudonym.js';
import type { AcceptedDelivery } from '../pipeline/contract.js';
import type { NormalizeContext } from './context.js';
import type { Decoded } from './decode.js';
import { normalizeDecision } from './decisions/decisions.normalize.js';
import { normalizeEvent } from './events/events.normalize.js';
import { normalizeConsent } from './consents/consents.normalize.js';
import { normalizeQuarantine } from './quarantine/quarantine.normalize.js';
import { normalizeRejection } from './rejections/rejections.normalize.js';

export interface DeriveDeps {
  pseudonymize: Pseudonymize;
  rowVersion: () => number;
}

/** Row versions only need to grow across derivations; microsecond-ish resolution keeps replays ordered. */
export function rowVersionClock(): () => number {
  let last = 0;
  return () => (last = Math.max(last + 1, Date.now() * 1000));
}

/** What every writer of normalized rows needs: the keyed hash and a fresh version clock. */
export const deriveDepsFor = (pepper: string): DeriveDeps => ({ pseudonymize: createPseudonymizer(pepper), rowVersion: rowVersionClock() });

/** Payload rows plus the delivery record and the restricted raw copy every accepted payload gets. */
export function deriveAccepted(accepted: AcceptedDelivery, deps: DeriveDeps): TableRows {
  const { message } = accepted;
  const ctx: NormalizeContext = {
    deliveryId: message.deliveryId,
    integration: message.integration,
    source: message.source,
    receivedAt: toClickHouseTime(message.receivedAt),
    rowVersion: deps.rowVersion(),
    pseudonymize: deps.pseudonymize,
  };
  switch (accepted.kind) {
    case 'decision': {
      const row = normalizeDecision(accepted.payload, ctx);
      return { decision_rows: [row], deliveries: [deliveryRow(message, ctx, row.decision_id, row.session_id, row.decision_time)], raw_payloads: [rawRow(message, ctx, row.session_id)] };
    }
    case 'event': {
      const row = normalizeEvent(accepted.payload, ctx);
      return { event_rows: [row], deliveries: [deliveryRow(message, ctx, row.event_id, row.session_id, null)], raw_payloads: [rawRow(message, ctx, row.session_id)] };
    }
    case 'consent': {
      const row = normalizeConsent(accepted.payload, ctx);
      return { consent_rows: [row], deliveries: [deliveryRow(message, ctx, row.consent_id, row.session_id, row.given_at)], raw_payloads: [rawRow(message, ctx, row.session_id)] };
    }
  }
}

// Object literals rather than spreads of a shared base: this runs once per message on the processor's hot path.
const deliveryRow = (message: AcceptedMessage, ctx: NormalizeContext, record_id: string, session_id: string, event_time: string | null): DeliveryRow => ({
  delivery_id: ctx.deliveryId, kind: message.kind, integration: ctx.integration, source: ctx.source, received_at: ctx.receivedAt, record_id, session_id, event_time,
});

const rawRow = (message: AcceptedMessage, ctx: NormalizeContext, session_id: string): RawPayloadRow => ({
  delivery_id: ctx.deliveryId, kind: message.kind, integration: ctx.integration, source: ctx.source, received_at: ctx.receivedAt, session_id, body_sha256: message.bodySha256, body: message.body,
});

/** A decoded message → the rows it becomes. Pure but for the version clock; a throw means a payload nobody foresaw. */
export function derive(decoded: Decoded, deps: DeriveDeps): TableRows {
  switch (decoded.topic) {
    case 'quarantine':
      return { quarantine: [normalizeQuarantine(decoded.message)] };
    case 'rejections':
      return { rejection_log: [normalizeRejection(decoded.message)] };
    default:
      return deriveAccepted(decoded.delivery, deps);
  }
}

import type { EventWebhook } from '../../schemas/veriff/event.schema.js';
import type { EventRow } from '../../schemas/rows.js';
import type { NormalizeContext } from '../context.js';
import { eventIdOf } from '../../pipeline/contract.js';

/** Events carry no timestamp: the same attempt reaching the same code is the same event. */
export function normalizeEvent(event: EventWebhook, ctx: NormalizeContext): EventRow {
  return {
    session_id: event.id,
    event_id: eventIdOf(event),
    attempt_id: event.attemptId,
    integration: ctx.integration,
    code: event.code,
    action: event.action,
    feature: event.feature ?? null,
    end_user_pseudonym: ctx.pseudonymize(event.endUserId),
    vendor_data_pseudonym: ctx.pseudonymize(event.vendorData),
    delivery_id: ctx.deliveryId,
    source: ctx.source,
    received_at: ctx.receivedAt,
    row_version: ctx.rowVersion,
  };
}

import type { ConsentRecord } from '../../schemas/consent.schema.js';
import type { ConsentRow } from '../../schemas/rows.js';
import { toClickHouseTime } from '../../lib/time.js';
import type { NormalizeContext } from '../context.js';
import { consentIdOf } from '../../pipeline/contract.js';

export function normalizeConsent(consent: ConsentRecord, ctx: NormalizeContext): ConsentRow {
  return {
    session_id: consent.sessionId,
    consent_id: consentIdOf(consent),
    integration: ctx.integration,
    type: consent.type,
    approved: consent.approved,
    given_at: toClickHouseTime(consent.givenAt),
    end_user_pseudonym: ctx.pseudonymize(consent.endUserId),
    vendor_data_pseudonym: ctx.pseudonymize(consent.vendorData),
    source: consent.source ?? null,
    text_version: consent.textVersion ?? null,
    delivery_id: ctx.deliveryId,
    received_at: ctx.receivedAt,
    row_version: ctx.rowVersion,
  };
}

import type { QuarantineMessage } from '../../schemas/messages.js';
import type { QuarantineRow } from '../../schemas/rows.js';
import { toClickHouseTime } from '../../lib/time.js';

/** A signed body that failed validation, kept whole for replay after a schema fix (restricted table). */
export function normalizeQuarantine(q: QuarantineMessage): QuarantineRow {
  return {
    delivery_id: q.deliveryId,
    kind: q.kind,
    integration: q.integration,
    received_at: toClickHouseTime(q.receivedAt),
    body_sha256: q.bodySha256,
    body: q.body,
    body_encoding: q.bodyEncoding,
    errors: q.errors,
    error_paths: [...new Set(q.errors.map((e) => e.path))],
  };
}

import type { RejectionMessage } from '../../schemas/messages.js';
import type { RejectionRow } from '../../schemas/rows.js';
import { toClickHouseTime } from '../../lib/time.js';

/** A refused request: why, where and how large; never its body. */
export function normalizeRejection(r: RejectionMessage): RejectionRow {
  return {
    rejection_id: r.rejectionId,
    at: toClickHouseTime(r.at),
    integration: r.integration,
    endpoint: r.endpoint,
    status: r.status,
    reason: r.reason,
    paths: r.paths,
    body_sha256: r.bodySha256,
    body_bytes: r.bodyBytes,
  };
}

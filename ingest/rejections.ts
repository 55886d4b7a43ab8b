import type { FastifyRequest } from 'fastify';
import { sha256Hex } from '../lib/hash.js';
import type { RejectionMessage } from '../schemas/messages.js';

/** The record of a refused request: who (if known), where, why, which fields; never the body. */
export function rejectionOf(
  req: FastifyRequest,
  fields: { status: number; reason: string; integration: string | null; paths?: string[]; body?: Buffer | string; idSuffix?: string },
): RejectionMessage {
  const body = fields.body ?? (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  return {
    v: 1,
    rejectionId: fields.idSuffix ? `${req.id}:${fields.idSuffix}` : String(req.id),
    at: new Date().toISOString(),
    integration: fields.integration,
    endpoint: req.routeOptions.url ?? req.url.split('?')[0] ?? '',
    status: fields.status,
    reason: fields.reason,
    paths: fields.paths ?? [],
    bodySha256: sha256Hex(body),
    bodyBytes: Buffer.byteLength(body),
  };
}

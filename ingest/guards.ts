import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IngestContext } from './context.js';
import { mediaType } from './body.js';
import { rejectionOf } from './rejections.js';

export const rawBody = (req: FastifyRequest) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/** Veriff-style HMAC on the raw bytes; on failure answers 401 and records the attempt (never its body). */
export async function authorize(req: FastifyRequest, reply: FastifyReply, ctx: IngestContext): Promise<string | null> {
  const auth = ctx.authenticate(req.headers, rawBody(req));
  if (auth.ok) {
    req.integration = auth.integration.name;
    return auth.integration.name;
  }
  await ctx.sink.reject(rejectionOf(req, { status: 401, reason: auth.reason, integration: auth.integration?.name ?? null }));
  req.outcome = auth.reason;
  await reply.code(401).send({ error: 'unauthorized', message: auth.reason.replaceAll('_', ' ') });
  return null;
}

/** The media type if it is one the route reads; otherwise answers 415 and records it. */
export async function acceptMediaType(req: FastifyRequest, reply: FastifyReply, ctx: IngestContext, allowed: readonly string[]): Promise<string | null> {
  const type = mediaType(req.headers['content-type']);
  if (allowed.includes(type)) return type;
  await ctx.sink.reject(rejectionOf(req, { status: 415, reason: 'unsupported_media_type', integration: req.integration ?? null, paths: ['content-type'] }));
  req.outcome = 'unsupported_media_type';
  await reply.code(415).send({ error: 'unsupported_media_type', message: `Content-Type must be ${allowed.join(' or ')}` });
  return null;
}

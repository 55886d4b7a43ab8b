import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../../lib/hash.js';
import type { PayloadKind } from '../../schemas/messages.js';
import { payloadContracts, validatePayload, type ValidatedPayload } from '../../schemas/payloads.js';
import { decodeUtf8, mediaType } from '../body.js';
import type { IngestContext } from '../context.js';
import { rejectionOf } from '../rejections.js';

/** Veriff may post either shape to either URL; the body's shape decides. */
const webhookKinds: PayloadKind[] = ['decision', 'event'];

export function webhookRoutes(app: FastifyInstance, ctx: IngestContext): void {
  const handler = (expected: PayloadKind) => async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const auth = ctx.authenticate(req.headers, raw);
    if (!auth.ok) {
      await ctx.sink.reject(rejectionOf(req, { status: 401, reason: auth.reason, integration: auth.integration?.name ?? null }));
      req.outcome = auth.reason;
      return reply.code(401).send({ error: 'unauthorized', message: auth.reason.replaceAll('_', ' ') });
    }
    const integration = auth.integration.name;
    req.integration = integration;
    if (mediaType(req.headers['content-type']) !== 'application/json') {
      await ctx.sink.reject(rejectionOf(req, { status: 415, reason: 'unsupported_media_type', integration, paths: ['content-type'] }));
      req.outcome = 'unsupported_media_type';
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'Content-Type must be application/json' });
    }
    const receivedAt = new Date().toISOString();
    const bodySha256 = sha256Hex(raw);
    const text = decodeUtf8(raw);
    const validated: ValidatedPayload = text === null
      ? { ok: false, kind: expected, errors: [{ path: '(root)', message: 'body is not valid UTF-8' }] }
      : validatePayload(text, webhookKinds, expected);
    if (!validated.ok) {
      await ctx.sink.quarantine(bodySha256, {
        v: 1, kind: validated.kind, deliveryId: String(req.id), integration, receivedAt, bodySha256,
        body: text ?? raw.toString('base64'), bodyEncoding: text === null ? 'base64' : 'utf8', errors: validated.errors,
      });
      req.outcome = 'quarantined';
      return reply.code(200).send({ status: 'quarantined', deliveryId: req.id, errors: validated.errors });
    }
    const { kind, sessionId } = validated;
    await ctx.sink.accept(payloadContracts[kind].topic, [{
      key: sessionId,
      message: { v: 1, kind, deliveryId: String(req.id), integration, receivedAt, source: 'webhook', bodySha256, body: text! },
    }]);
    req.outcome = 'accepted';
    return reply.code(200).send({ status: 'accepted', deliveryId: req.id });
  };

  app.post('/webhooks/veriff/decision', handler('decision'));
  app.post('/webhooks/veriff/event', handler('event'));
}

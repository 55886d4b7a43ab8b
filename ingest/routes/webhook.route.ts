import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../../lib/hash.js';
import type { PayloadKind } from '../../schemas/messages.js';
import { payloadContracts } from '../../pipeline/contract.js';
import { validatePayload, type ValidatedPayload } from '../../pipeline/payloads.js';
import { decodeUtf8 } from '../body.js';
import type { IngestContext } from '../context.js';
import { acceptMediaType, authorize, rawBody } from '../guards.js';

/** Veriff may post either shape to either URL; the body's shape decides. */
const webhookKinds: PayloadKind[] = ['decision', 'event'];

export function webhookRoutes(app: FastifyInstance, ctx: IngestContext): void {
  const handler = (expected: PayloadKind) => async (req: FastifyRequest, reply: FastifyReply) => {
    const integration = await authorize(req, reply, ctx);
    if (integration === null || (await acceptMediaType(req, reply, ctx, ['application/json'])) === null) return reply;
    const raw = rawBody(req);
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
    const { kind, sessionId, payload } = validated;
    await ctx.sink.accept(payloadContracts[kind].topic, [{
      key: sessionId,
      message: { v: 1, kind, deliveryId: String(req.id), integration, receivedAt, source: 'webhook', bodySha256, body: text! },
      payload,
    }]);
    req.outcome = 'accepted';
    return reply.code(200).send({ status: 'accepted', deliveryId: req.id });
  };

  app.post('/webhooks/veriff/decision', handler('decision'));
  app.post('/webhooks/veriff/event', handler('event'));
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { sha256Hex } from '../../lib/hash.js';
import { decisionWebhookSchema } from '../../schemas/veriff/decision.schema.js';
import { eventWebhookSchema } from '../../schemas/veriff/event.schema.js';
import type { PayloadKind } from '../../schemas/messages.js';
import { fieldErrors } from '../../schemas/validation.js';
import type { FieldError } from '../../lib/errors.js';
import { decodeUtf8, mediaType } from '../body.js';
import type { IngestContext } from '../context.js';
import { rejectionOf } from '../rejections.js';
import type { AcceptedTopic } from '../sink.js';

interface WebhookKind {
  kind: PayloadKind;
  topic: AcceptedTopic;
  schema: z.ZodType<unknown>;
  sessionIdOf: (payload: never) => string;
}

const decision: WebhookKind = {
  kind: 'decision',
  topic: 'decisions',
  schema: decisionWebhookSchema,
  sessionIdOf: (p: z.infer<typeof decisionWebhookSchema>) => p.verification.id,
};
const event: WebhookKind = {
  kind: 'event',
  topic: 'events',
  schema: eventWebhookSchema,
  sessionIdOf: (p: z.infer<typeof eventWebhookSchema>) => p.id,
};

type Classified = { ok: true; kind: WebhookKind; payload: unknown } | { ok: false; errors: FieldError[] };

/** Veriff may post either shape to either URL: a `verification` object means a decision, `action` + `code` an event. */
function classify(text: string, expected: WebhookKind): Classified {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [{ path: '(root)', message: `invalid JSON: ${(err as Error).message}` }] };
  }
  const obj = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  let kind = expected;
  if (obj && 'verification' in obj) kind = decision;
  else if (obj && 'action' in obj && 'code' in obj && !('eventType' in obj)) kind = event;
  else if (obj && typeof obj.eventType === 'string') {
    return { ok: false, errors: [{ path: 'eventType', message: `unsupported Veriff webhook type '${obj.eventType.slice(0, 80)}' (kept for replay)` }] };
  }
  const parsed = kind.schema.safeParse(json);
  return parsed.success ? { ok: true, kind, payload: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
}

export function webhookRoutes(app: FastifyInstance, ctx: IngestContext): void {
  const handler = (expected: WebhookKind) => async (req: FastifyRequest, reply: FastifyReply) => {
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
    const classified: Classified = text === null ? { ok: false, errors: [{ path: '(root)', message: 'body is not valid UTF-8' }] } : classify(text, expected);
    if (!classified.ok) {
      const kind = expected.kind;
      await ctx.sink.quarantine(bodySha256, {
        v: 1, kind, deliveryId: String(req.id), integration, receivedAt, bodySha256,
        body: text ?? raw.toString('base64'), bodyEncoding: text === null ? 'base64' : 'utf8', errors: classified.errors,
      });
      req.outcome = 'quarantined';
      return reply.code(200).send({ status: 'quarantined', deliveryId: req.id, errors: classified.errors });
    }
    const { kind, topic, sessionIdOf } = classified.kind;
    await ctx.sink.accept(topic, [{
      key: sessionIdOf(classified.payload as never),
      message: { v: 1, kind, deliveryId: String(req.id), integration, receivedAt, source: 'webhook', bodySha256, body: text! },
    }]);
    req.outcome = 'accepted';
    return reply.code(200).send({ status: 'accepted', deliveryId: req.id });
  };

  app.post('/webhooks/veriff/decision', handler(decision));
  app.post('/webhooks/veriff/event', handler(event));
}

import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { consentRecordSchema } from '../schemas/consent.schema.js';
import { decisionWebhookSchema } from '../schemas/veriff/decision.schema.js';
import { eventWebhookSchema } from '../schemas/veriff/event.schema.js';

/**
 * The ingest API as OpenAPI 3.1, generated from the same zod schemas the routes validate with.
 * Document-only: the schemas reach @fastify/swagger through its `transform`, never the routes'
 * own `schema`, so Fastify compiles no validator for them (a route must verify the HMAC over the
 * raw bytes before anything parses the body, and answers a signed invalid body 200 quarantined).
 */

const json = (schema: z.ZodType) => z.toJSONSchema(schema) as Record<string, unknown>;

const fieldError = z.object({ path: z.string(), message: z.string() });
const accepted = z.object({ status: z.literal('accepted'), deliveryId: z.string() });
const quarantined = z.object({ status: z.literal('quarantined'), deliveryId: z.string(), errors: z.array(fieldError) });
const problem = z.object({ error: z.string(), message: z.string(), details: z.array(fieldError).optional() });
const consentAnswer = z.object({
  status: z.string(),
  accepted: z.number().int(),
  deliveryId: z.string().optional(),
  acceptedLines: z.array(z.number().int()).optional(),
  rejected: z.array(z.object({ line: z.number().int(), errors: z.array(fieldError) })).optional(),
});

const media = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before re-sending', schema: { type: 'integer' } } };

const refusals = {
  401: { description: 'Missing or unknown x-auth-client, missing or wrong x-hmac-signature', ...media(json(problem)) },
  413: { description: 'Body larger than BODY_LIMIT_BYTES', ...media(json(problem)) },
  415: { description: 'Content-Type not accepted', ...media(json(problem)) },
  429: { description: 'Rate limit of this integration exceeded', headers: retryAfter, ...media(json(problem)) },
  503: { description: 'Event store unavailable (Kafka down): nothing was acknowledged, re-send later', headers: retryAfter, ...media(json(problem)) },
};

function webhook(summary: string, body: z.ZodType) {
  return {
    summary,
    tags: ['webhooks'],
    description: 'The body is verified (HMAC-SHA256 over the raw bytes) before it is parsed. A signed body that is not valid JSON or fails this schema is answered 200 quarantined and kept for replay, because Veriff re-sends anything else for 7 days.',
    body: media(json(body)),
    response: {
      200: { description: 'Durably stored (accepted) or kept in quarantine with the failing field paths', ...media({ oneOf: [json(accepted), json(quarantined)] }) },
      ...refusals,
    },
  };
}

const documented: Record<string, Record<string, unknown>> = {
  'POST /webhooks/veriff/decision': webhook('Veriff decision webhook', decisionWebhookSchema),
  'POST /webhooks/veriff/event': webhook('Veriff event webhook', eventWebhookSchema),
  'POST /consents': {
    summary: 'Consent records (one JSON object, or NDJSON with one record a line)',
    tags: ['consents'],
    body: { content: { 'application/json': { schema: json(consentRecordSchema) }, 'application/x-ndjson': { schema: { type: 'string', description: 'one consent record (application/json schema) per line' } } } },
    response: {
      200: { description: 'Every record (JSON) or at least one line (NDJSON) stored', ...media(json(consentAnswer)) },
      400: { description: 'Invalid record(s), with field paths', ...media(json(problem)) },
      ...refusals,
    },
  },
  'GET /healthz': { summary: 'Liveness', tags: ['operations'], security: [] },
  'GET /readyz': { summary: 'Readiness of Kafka / ClickHouse', tags: ['operations'], security: [] },
};

/** Registers @fastify/swagger (before the routes, so it sees them); the document is served on the internal port (admin/). */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'ine-audit ingest API', version: '1', description: 'Receives Veriff decision and event webhooks and consent records for the INE biometric check audit.' },
      components: {
        securitySchemes: {
          integrationKey: { type: 'apiKey', in: 'header', name: 'x-auth-client', description: 'The integration API key' },
          hmacSignature: { type: 'apiKey', in: 'header', name: 'x-hmac-signature', description: 'Hex HMAC-SHA256 of the raw body with the integration shared secret' },
        },
      },
      security: [{ integrationKey: [], hmacSignature: [] }],
    },
    // Undocumented routes (HEAD twins) stay out of the document.
    transform: ({ url, route }) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const schema = methods.map((m) => documented[`${m} ${url}`]).find(Boolean);
      return { url, schema: (schema ?? { hide: true }) as never };
    },
  });
}

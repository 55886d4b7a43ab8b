import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../ingest/app.js';
import type { Sink } from '../../pipeline/contract.js';
import { loadConfig } from '../../lib/config.js';
import { createMetrics } from '../../lib/metrics.js';
import { buildAdminApp } from '../../admin/admin.app.js';
import { consentRecordSchema } from '../../schemas/consent.schema.js';
import { decisionWebhookSchema } from '../../schemas/veriff/decision.schema.js';
import { eventWebhookSchema } from '../../schemas/veriff/event.schema.js';
import { openApiDocument, openApiPath, openApiText } from '../../scripts/openapi.js';

/** The published OpenAPI document describes exactly what the routes validate with. */

const unused = async () => {
  throw new Error('not called');
};
const sink: Sink = { accept: unused, quarantine: unused, reject: async () => {}, ready: async () => ({}) };
const jsonSchemaOf = (schema: z.ZodType) => {
  // OpenAPI 3.1 schema objects are JSON Schema 2020-12 without the `$schema` marker.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
};

describe('OpenAPI document', () => {
  it('is served at GET /openapi.json on the internal port, never the webhook port, with request bodies equal to the zod schemas', async () => {
    const metrics = createMetrics();
    const app = await buildApp({ config: loadConfig({ VERIFF_API_KEY: 'k', VERIFF_SHARED_SECRET: 'secret-0123456789' }), sink, log: pino({ level: 'silent' }), metrics });
    await app.ready();
    const internal = await buildAdminApp({ token: 'internal-token-0123456789', log: pino({ level: 'silent' }), metrics, openApi: () => app.swagger() });
    for (const url of ['/openapi.json', '/metrics']) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    expect((await internal.inject({ method: 'GET', url: '/metrics' })).body).toContain('ine_audit_http_requests_total');
    const res = await internal.inject({ method: 'GET', url: '/openapi.json' });
    await internal.close();
    await app.close();
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const body = (route: string, type = 'application/json') => doc.paths[route].post.requestBody.content[type].schema;
    expect(body('/webhooks/veriff/decision')).toEqual(jsonSchemaOf(decisionWebhookSchema));
    expect(body('/webhooks/veriff/event')).toEqual(jsonSchemaOf(eventWebhookSchema));
    expect(body('/consents')).toEqual(jsonSchemaOf(consentRecordSchema));
    expect(Object.keys(doc.paths).sort()).toEqual(['/consents', '/healthz', '/readyz', '/webhooks/veriff/decision', '/webhooks/veriff/event']);
    for (const route of ['/webhooks/veriff/decision', '/webhooks/veriff/event', '/consents']) {
      expect(Object.keys(doc.paths[route].post.responses)).toEqual(expect.arrayContaining(['200', '401', '413', '415', '429', '503']));
      expect(doc.paths[route].post.responses['503'].headers['Retry-After']).toBeDefined();
    }
    expect(doc.security).toEqual([{ integrationKey: [], hmacSignature: [] }]);
  });

  it('does not let Fastify validate bodies: a signed body failing the schema is still quarantined (200), not a 400', async () => {
    const quarantined: unknown[] = [];
    const app = await buildApp({
      config: loadConfig({ VERIFF_API_KEY: 'k', VERIFF_SHARED_SECRET: 'secret-0123456789' }),
      sink: { ...sink, quarantine: async (_k, m) => void quarantined.push(m) },
      log: pino({ level: 'silent' }),
      metrics: createMetrics(),
    });
    const payload = '{"status":"success","verification":{"id":1}}';
    const { hmacSha256Hex } = await import('../../lib/hash.js');
    const res = await app.inject({ method: 'POST', url: '/webhooks/veriff/decision', payload, headers: { 'content-type': 'application/json', 'x-auth-client': 'k', 'x-hmac-signature': hmacSha256Hex('secret-0123456789', payload) } });
    await app.close();
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('quarantined');
    expect(quarantined).toHaveLength(1);
  });

  it('docs/openapi.json is up to date (npm run openapi)', async () => {
    expect(readFileSync(openApiPath, 'utf8')).toBe(openApiText(await openApiDocument()));
  });
});

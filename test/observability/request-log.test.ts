import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../ingest/app.js';
import type { Sink } from '../../pipeline/contract.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { createMetrics } from '../../lib/metrics.js';
import { UnavailableError } from '../../lib/errors.js';
import { hmacSha256Hex } from '../../lib/hash.js';
import { loadFixture } from '../helpers/fixtures.js';

/** req.log makes no pino child per request; the lines requests write still carry their reqId. */
describe('request log', () => {
  const start = async (level: string, accept: Sink['accept']) => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({ write(chunk, _e, done) { for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l)); done(); } });
    const sink: Sink = { accept, quarantine: async () => {}, reject: async () => {}, ready: async () => ({}) };
    const app = await buildApp({ config: loadConfig({ VERIFF_API_KEY: 'k', VERIFF_SHARED_SECRET: 'secret-0123456789', RATE_LIMIT_PER_MINUTE: '0' }), sink, log: createLogger(level, destination), metrics: createMetrics() });
    const body = JSON.stringify(loadFixture('decision-approved-ine-match'));
    const post = () => app.inject({ method: 'POST', url: '/webhooks/veriff/decision', payload: body, headers: { 'content-type': 'application/json', 'x-auth-client': 'k', 'x-hmac-signature': hmacSha256Hex('secret-0123456789', body) } });
    return { app, lines, post };
  };

  it('writes one line per request with its reqId, route, status and outcome', async () => {
    const { app, lines, post } = await start('info', async () => {});
    const answer = await post();
    await app.close();
    const request = lines.filter((l) => l.msg === 'request');
    expect(request).toHaveLength(1);
    expect(request[0]).toMatchObject({ reqId: answer.json().deliveryId, route: '/webhooks/veriff/decision', status: 200, outcome: 'accepted', component: 'http' });
  });

  it('logs a failing sink under the request id, also when per-request lines are off', async () => {
    const { app, lines, post } = await start('warn', async () => { throw new UnavailableError('down', 5); });
    const answer = await post();
    await app.close();
    expect(answer.statusCode).toBe(503);
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(0);
    const warned = lines.filter((l) => l.msg === 'sink unavailable');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ component: 'http', level: 40 });
    expect(warned[0]!.reqId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

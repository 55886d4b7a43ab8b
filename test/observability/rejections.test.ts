import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../ingest/app.js';
import type { Sink } from '../../pipeline/contract.js';
import { loadConfig } from '../../lib/config.js';
import { createMetrics } from '../../lib/metrics.js';
import { hmacSha256Hex } from '../../lib/hash.js';

/** ine_audit_rejections_total counts each refused request once, whichever path refused it. */
describe('rejection metrics', () => {
  it('count a 400, a 413, a 415 and a 401 once each', async () => {
    const rejected: string[] = [];
    const unused = async () => { throw new Error('not used'); };
    const sink: Sink = { accept: unused, quarantine: unused, reject: async (m) => void rejected.push(m.reason), ready: async () => ({}) };
    const metrics = createMetrics();
    const app = await buildApp({ config: loadConfig({ VERIFF_API_KEY: 'k', VERIFF_SHARED_SECRET: 'secret-0123456789', BODY_LIMIT_BYTES: '1024', RATE_LIMIT_PER_MINUTE: '0' }), sink, log: pino({ level: 'silent' }), metrics });
    const url = '/webhooks/veriff/decision';
    const answers = [
      await app.inject({ method: 'POST', url, payload: 'x', headers: { 'content-type': 'text/plain', 'x-auth-client': 'k', 'x-hmac-signature': hmacSha256Hex('secret-0123456789', 'x') } }),
      await app.inject({ method: 'POST', url, payload: '{"a":1}', headers: { 'content-type': 'application/json', 'x-auth-client': 'k', 'x-hmac-signature': 'bad' } }),
      await app.inject({ method: 'POST', url, payload: 'x'.repeat(4096), headers: { 'content-type': 'application/json' } }),
      await app.inject({ method: 'POST', url: '/consents', payload: '{', headers: { 'content-type': 'application/json', 'content-length': '5' } }),
    ];
    const text = await metrics.registry.metrics();
    await app.close();
    const counted = [...text.matchAll(/^ine_audit_rejections_total\{endpoint="([^"]+)",reason="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1], m[2], Number(m[3])]);
    expect(answers.map((a) => a.statusCode)).toEqual([415, 401, 413, 400]);
    expect(counted.every(([, , n]) => n === 1), JSON.stringify(counted)).toBe(true);
    expect(counted).toHaveLength(4);
  });
});

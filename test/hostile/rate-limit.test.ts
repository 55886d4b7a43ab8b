import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDecision } from '../helpers/fixtures.js';
import { integrationEnv, signedPost, type TestIntegration } from '../helpers/http.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';

/** Rate limiting per integration (x-auth-client), so one misbehaving sender cannot starve the others. */

const LIMIT = 20;
const path = '/webhooks/veriff/decision';

describe('rate limiting per integration', () => {
  const suffix = randomUUID().slice(0, 8);
  const flooder: TestIntegration = { name: `flood-${suffix}`, apiKey: `flood-key-${suffix}`, sharedSecret: `flood-secret-${suffix}-0123` };
  const quiet: TestIntegration = { name: `quiet-${suffix}`, apiKey: `quiet-key-${suffix}`, sharedSecret: `quiet-secret-${suffix}-0123` };
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline('embedded', { env: { ...integrationEnv([flooder, quiet]), RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it(`answers 429 with Retry-After past ${LIMIT} requests a minute for the flooding integration, while another still gets 200`, async () => {
    const flood = await Promise.all(Array.from({ length: LIMIT * 2 }, () => signedPost(p.url, path, makeDecision('decision-approved-ine-match'), flooder)));
    const statuses = flood.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(LIMIT);
    const limited = flood.filter((r) => r.status === 429);
    for (const r of limited) {
      expect(r.body).toMatchObject({ error: 'rate_limited' });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }

    const others = await Promise.all(Array.from({ length: 5 }, () => signedPost(p.url, path, makeDecision('decision-approved-ine-match'), quiet)));
    expect(others.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // Health and metrics are never limited.
    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);

    const rows = await pollUntil(
      () => p.query<{ integration: string; status: number; delivery_count: number }>("SELECT integration, status, delivery_count FROM ine_audit.rejected_events WHERE reason = 'rate_limited' AND endpoint = {e:String}", { e: path }),
      (r) => r.length === 1,
      { timeoutMs: 10_000, what: 'the rate_limited rejection row' },
    );
    expect(rows).toEqual([{ integration: flooder.name, status: 429, delivery_count: LIMIT }]);
    const metrics = await (await fetch(`${p.services.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`ine_audit_rejections_total{endpoint="${path}",reason="rate_limited"} ${LIMIT}`);
  });

  it('keeps requests with an unknown key in a per-address bucket of their own', async () => {
    const strangers = await Promise.all(Array.from({ length: LIMIT + 5 }, () => signedPost(p.url, path, makeDecision('decision-approved-ine-match'), { ...quiet, apiKey: 'who-knows' })));
    const counts = strangers.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    expect(counts).toEqual({ 401: LIMIT, 429: 5 });
    const quietStill = await signedPost(p.url, path, makeDecision('decision-approved-ine-match'), quiet);
    expect(quietStill.status).toBe(200);
    // Embedded mode: publish latency is the insert that made each accepted webhook durable.
    const metrics = await (await fetch(`${p.services.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`ine_audit_publish_seconds_count\\{topic="decisions"\\} ${LIMIT + 5 + 1}\\n`));
  });
});

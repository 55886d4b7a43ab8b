import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { queryRows } from '../../lib/clickhouse.js';
import { startScheduledWork } from '../../maintenance/schedule.js';
import { makeConsent, makeDecision } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';

const log = pino({ level: 'silent' });

describe('scheduled work', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline('embedded', { env: { CONSENT_SNAPSHOT_INTERVAL_MS: '1000' } });
  });
  afterAll(async () => p?.stop());

  it('runs each job once per slot however many processes schedule it', async () => {
    const client = p.services.clickhouse!;
    const runs: number[] = [];
    const job = { name: `count-${process.pid}`, everyMs: 400, run: async () => void runs.push(Date.now()) };
    const schedulers = [startScheduledWork(client, [job], log), startScheduledWork(client, [job], log), startScheduledWork(client, [job], log)];
    await sleep(2100);
    await Promise.all(schedulers.map((s) => s.stop()));
    expect(runs.length).toBeGreaterThanOrEqual(4);
    const claims = await queryRows<{ slot: string; n: number }>(client, 'SELECT slot, count() AS n FROM ine_audit.scheduled_runs WHERE job = {job:String} GROUP BY slot', { job: job.name });
    expect(claims.every((c) => Number(c.n) === 1)).toBe(true);
    // Three schedulers, one run per claimed slot.
    expect(runs).toHaveLength(claims.length);
  });

  it('the process that owns the store takes the consent snapshot on its schedule', async () => {
    const decision = makeDecision('decision-approved-ine-match');
    const sessionId = decision.verification.id as string;
    expect((await signedPost(p.url, '/consents', makeConsent(sessionId, { givenAt: '2025-01-01T00:00:00.000Z' }), p.integration)).status).toBe(200);
    expect((await signedPost(p.url, '/webhooks/veriff/decision', decision, p.integration)).status).toBe(200);
    const rows = await pollUntil(
      () => p.query<{ session_id: string; violation: string }>('SELECT session_id, violation FROM ine_audit.consent_verdicts_snapshot WHERE session_id = {s:String}', { s: sessionId }),
      (r) => r.length === 1,
      { what: 'the session in the consent snapshot', timeoutMs: 20_000 },
    );
    expect(rows).toEqual([{ session_id: sessionId, violation: 'none' }]);
    const runs = await p.query<{ n: number }>("SELECT count() AS n FROM ine_audit.scheduled_runs WHERE job = 'consent-snapshot'");
    expect(runs[0]!.n).toBeGreaterThanOrEqual(1);
  });
});

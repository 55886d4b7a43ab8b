import { copyFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDecision } from '../helpers/fixtures.js';
import { signedPost, type TestIntegration } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { spawnService, type ChildService } from '../helpers/processes.js';

const integration: TestIntegration = { name: 'killed', apiKey: 'killed-key', sharedSecret: 'killed-secret-0123456789' };
const WEBHOOKS = 120;

const counts = (service: ChildService) =>
  service.sql<{ decisions: number; latest: number; deliveries: number; stored: number }>(`SELECT
    (SELECT count() FROM ine_audit.decisions) AS decisions,
    (SELECT count() FROM ine_audit.decisions_latest) AS latest,
    (SELECT uniqExact(delivery_id) FROM ine_audit.deliveries) AS deliveries,
    (SELECT count() FROM ine_audit.deliveries) AS stored`);
const segments = (dataDir: string) => readdirSync(join(dataDir, 'journal')).filter((n) => n.endsWith('.jsonl') && statSync(join(dataDir, 'journal', n)).size > 0);

/**
 * Embedded mode answers a webhook once its rows are in the journal, before ClickHouse has them. A
 * SIGKILL then must lose none of them, and a segment inserted again after a crash must count nothing twice.
 */
describe('embedded service killed with acknowledged rows still in its journal', () => {
  it('inserts them at the next start, exactly once, and a segment replayed after its insert changes no count', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ine-audit-embedded-kill-'));
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, VERIFF_INTEGRATIONS: JSON.stringify([integration]), LOG_LEVEL: 'warn' };
    // One insert at once (idle), then none for ten minutes: everything after the first waits in the journal.
    const first = await spawnService({ ...env, EMBEDDED_INSERT_INTERVAL_MS: '600000' }, { entry: 'cli/start.ts' });
    const answers = await Promise.all(Array.from({ length: WEBHOOKS }, () => signedPost(first.httpUrl, '/webhooks/veriff/decision', makeDecision('decision-approved-ine-match'), integration)));
    expect(answers.map((a) => a.status)).toEqual(Array(WEBHOOKS).fill(200));
    const pending = segments(dataDir);
    expect(pending.length).toBeGreaterThan(0);
    // Webhook bodies: readable by the service's user alone, like the secrets beside them.
    for (const path of [join(dataDir, 'journal'), ...pending.map((n) => join(dataDir, 'journal', n))]) expect(statSync(path).mode & 0o077, path).toBe(0);
    const kept = join(tmpdir(), `kept-${Date.now()}.jsonl`);
    copyFileSync(join(dataDir, 'journal', pending.at(-1)!), kept);
    expect((await first.kill('SIGKILL')).signal).toBe('SIGKILL');

    const second = await spawnService(env, { entry: 'cli/start.ts' });
    const after = await pollUntil(() => counts(second), (rows) => rows[0]?.deliveries === WEBHOOKS, { what: 'every acknowledged webhook stored', timeoutMs: 60_000 });
    // A segment whose insert was under way at the kill goes in again: rows stored twice, counted once.
    expect(after[0]).toMatchObject({ decisions: WEBHOOKS, latest: WEBHOOKS, deliveries: WEBHOOKS });
    const stored = after[0]!.stored;
    expect(segments(dataDir)).toEqual([]);
    await second.kill('SIGTERM');

    // A crash between an insert and the removal of its segment: the same rows go in again at the next start.
    copyFileSync(kept, join(dataDir, 'journal', '999999999999.jsonl'));
    const third = await spawnService(env, { entry: 'cli/start.ts' });
    try {
      const replayed = await pollUntil(() => counts(third), (rows) => (rows[0]?.stored ?? 0) > stored, { what: 'the segment inserted again', timeoutMs: 60_000 });
      expect(replayed[0]).toMatchObject({ decisions: WEBHOOKS, latest: WEBHOOKS, deliveries: WEBHOOKS });
    } finally {
      await third.kill('SIGTERM');
    }
  });

  it('answers a read through its SQL door with every webhook acknowledged before it, whatever the insert interval', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ine-audit-embedded-read-'));
    const service = await spawnService({ PATH: process.env.PATH ?? '', DATA_DIR: dataDir, VERIFF_INTEGRATIONS: JSON.stringify([integration]), LOG_LEVEL: 'warn', EMBEDDED_INSERT_INTERVAL_MS: '600000' }, { entry: 'cli/start.ts' });
    try {
      for (let i = 0; i < 20; i++) expect((await signedPost(service.httpUrl, '/webhooks/veriff/decision', makeDecision('decision-approved-ine-match'), integration)).status).toBe(200);
      expect(segments(dataDir).length).toBeGreaterThan(0);
      const backlog = async () => Number(/^ine_audit_journal_backlog_rows (\d+)$/m.exec(await (await fetch(`${service.adminUrl}/metrics`)).text())?.[1]);
      expect(await backlog()).toBeGreaterThan(0);
      expect((await counts(service))[0]).toMatchObject({ decisions: 20, deliveries: 20 });
      expect(segments(dataDir)).toEqual([]);
      expect(await backlog()).toBe(0);
    } finally {
      await service.kill('SIGTERM');
    }
  });
});

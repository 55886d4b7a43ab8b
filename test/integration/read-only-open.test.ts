import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openReadOnly } from '../../cli/admin-client.js';
import { loadConfig } from '../../lib/config.js';
import { makeDecision } from '../helpers/fixtures.js';
import { signedPost, type TestIntegration } from '../helpers/http.js';
import { spawnService } from '../helpers/processes.js';

const integration: TestIntegration = { name: 'reader', apiKey: 'reader-key', sharedSecret: 'reader-secret-0123456789' };

/**
 * What a reader must not change: the rows of every table but the door's own access log, the consent
 * snapshot and the schedule. (Merges that chdb starts while it opens a store, before any statement
 * runs, change parts but never rows; the reader stops merges as its first statement.)
 */
const stateQuery = `SELECT what, value FROM (
  SELECT 'rows' AS what, concat(table, ':', toString(sum(rows))) AS value FROM system.parts
  WHERE database = 'ine_audit' AND active AND table NOT IN ('sql_access_log', 'sql_access_counts') GROUP BY table
  UNION ALL SELECT 'snapshot', concat(toString(count()), '@', toString(max(refreshed_at))) FROM ine_audit.consent_verdicts_snapshot
  UNION ALL SELECT 'scheduled', toString(count()) FROM ine_audit.scheduled_runs)
  ORDER BY what, value`;

describe('a read-only open of the embedded store', () => {
  it('takes no snapshot, runs no scheduled job and changes no row: only its own queries are logged', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ine-audit-reader-'));
    const owner = await spawnService({ PATH: process.env.PATH ?? '', DATA_DIR: dataDir, VERIFF_INTEGRATIONS: JSON.stringify([integration]), LOG_LEVEL: 'warn' }, { entry: 'cli/start.ts' });
    for (let i = 0; i < 25; i++) expect((await signedPost(owner.httpUrl, '/webhooks/veriff/decision', makeDecision('decision-approved-ine-match'), integration)).status).toBe(200);
    await owner.kill('SIGTERM');

    const reader = await openReadOnly(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'fatal' }), 'operator');
    try {
      expect(reader.via).toContain('own SQL door');
      const before = await reader.run(stateQuery);
      // The owner took one snapshot at start (of an empty store: no INE check yet) and no other.
      expect(before).toContainEqual({ what: 'scheduled', value: '1' });
      await sleep(6000);
      expect(await reader.run(stateQuery)).toEqual(before);
    } finally {
      await reader.close();
    }
  });
});

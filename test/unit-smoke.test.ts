import { describe, expect, it } from 'vitest';
import { testClickHouse, rows } from './helpers/clickhouse.js';
import { seedPayloads } from './helpers/seed.js';
import { makeDecision } from './helpers/fixtures.js';

describe('seed helper', () => {
  it('seeds a decision into decisions_latest', async () => {
    const client = await testClickHouse();
    const d = makeDecision('decision-approved-ine-match');
    await seedPayloads(client, [{ kind: 'decision', body: d, integration: 'seed-test' }]);
    const r = await rows<{ n: number }>(client, 'SELECT count() AS n FROM ine_audit.decisions_latest WHERE session_id = {id:String}', { id: d.verification.id });
    expect(r[0]!.n).toBe(1);
  });
});

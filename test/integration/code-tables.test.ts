import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rows, testClickHouse } from '../helpers/clickhouse.js';
import { makeDecision } from '../helpers/fixtures.js';
import { seedPayloads } from '../helpers/seed.js';

describe('code tables', () => {
  it('are seeded from the documented tables', async () => {
    const client = await testClickHouse();
    const [counts] = await rows<Record<string, number>>(client, `
      SELECT (SELECT count() FROM ine_audit.decision_statuses) AS statuses,
             (SELECT count() FROM ine_audit.status_codes) AS codes,
             (SELECT countIf(category = 'declined') FROM ine_audit.reason_codes) AS declined,
             (SELECT countIf(category = 'resubmission') FROM ine_audit.reason_codes) AS resubmission,
             (SELECT countIf(category = 'granular') FROM ine_audit.reason_codes) AS granular`);
    expect(counts).toEqual({ statuses: 6, codes: 7, declined: 22, resubmission: 10, granular: 24 });
    expect(await rows(client, 'SELECT label FROM ine_audit.reason_codes WHERE code = 539')).toEqual([{ label: 'Resubmission limit exceeded' }]);
  });

  it('keep unknown codes in the facts, labelled unknown', async () => {
    const client = await testClickHouse();
    const integration = `codes-${randomUUID().slice(0, 8)}`;
    const known = makeDecision('decision-declined-ine-no-match');
    const unknown = makeDecision('decision-declined-ine-no-match', {
      mutate: (d) => {
        d.verification.status = 'escalated';
        d.verification.code = 9999;
        d.verification.reasonCode = 777;
      },
    });
    await seedPayloads(client, [known, unknown].map((body) => ({ kind: 'decision' as const, body, integration })));
    const labelled = await rows(client, `
      SELECT d.status AS status, d.code AS code, d.reason_code AS reason_code,
             if(s.status = '', 'unknown', s.label) AS status_label,
             if(r.code = 0, 'unknown', r.label) AS reason_label
      FROM ine_audit.decisions AS d
      LEFT JOIN ine_audit.decision_statuses AS s ON s.status = d.status
      LEFT JOIN ine_audit.reason_codes AS r ON r.code = d.reason_code
      WHERE d.integration = {i:String}
      ORDER BY d.code`, { i: integration });
    expect(labelled).toEqual([
      { status: 'declined', code: 9102, reason_code: 123, status_label: 'Declined', reason_label: 'Registry checks not passed' },
      { status: 'escalated', code: 9999, reason_code: 777, status_label: 'unknown', reason_label: 'unknown' },
    ]);
  });
});

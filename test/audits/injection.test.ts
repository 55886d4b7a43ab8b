import { beforeAll, describe, expect, it } from 'vitest';
import { parseParams } from '../../audits/params.js';
import { runAudit, type RunQuery } from '../../audits/runner.js';
import { auditRows, auditStore, catalog, consent, decision, june, namespace, seed } from './support.js';

/*
 * Parameters carrying SQL are values: they travel as ClickHouse query parameters and are compared as
 * strings, so `x' OR 1=1 --` matches exactly the integration of that name and nothing else.
 */
describe('SQL in parameters is treated as a value', () => {
  const ns = namespace('inj');
  const victim = ns.integration('victim');
  // An integration whose name *is* the classic injection, so a match proves comparison by value.
  const literal = `x' OR 1=1 -- ${ns.id}`;
  const payloads = [
    `x' OR 1=1 --`,
    `nobody' OR '1'='1`,
    `'; DROP TABLE ine_audit.decision_rows; --`,
    `\\' OR 1=1 -- ${ns.id}`,
    `x') OR (1=1`,
    `' UNION ALL SELECT * FROM ine_audit.raw_payloads --`,
    `{from:String}`,
    `x\n' OR 1=1\n--`,
  ];
  const withIntegration = [...catalog.values()].filter((q) => q.params.some((p) => p.name === 'integration'));
  let run: RunQuery;

  beforeAll(async () => {
    const store = await auditStore();
    run = store.run;
    for (const integration of [victim, literal]) {
      const s = (n: number) => ns.session(`${integration === victim ? 'v' : 'l'}${n}`);
      await seed(store.client, integration, [
        { kind: 'consent', body: consent(s(1), { givenAt: '2025-06-03T09:00:00Z' }) },
        { kind: 'decision', body: decision('decision-approved-ine-match', s(1), '2025-06-03T10:00:00Z') },
        { kind: 'decision', body: decision('decision-declined-ine-no-match', s(2), '2025-06-04T10:00:00Z') },
      ]);
    }
  });

  it.each(withIntegration.map((q) => [q.name] as const))('%s: an injection string selects what any unknown name selects', async (name) => {
    const nobody = await auditRows(run, name, { ...june, integration: `nobody-${ns.id}` });
    for (const payload of payloads) {
      expect(await auditRows(run, name, { ...june, integration: payload }), payload).toEqual(nobody);
    }
  });

  it('an integration literally named like an injection is matched exactly, and only it', async () => {
    expect(await auditRows(run, 'consent-coverage', { ...june, integration: literal })).toEqual([
      { integration: literal, ine_checks: 2, consented: 1, missing: 1, refused: 0, after_check: 0, coverage_pct: 50 },
    ]);
    const violations = await auditRows(run, 'consent-violations', { ...june, integration: literal });
    expect(violations.map((r) => [r.session_id, r.integration, r.violation])).toEqual([[ns.session('l2'), literal, 'missing']]);
  });

  it('session ids carrying SQL find nothing', async () => {
    for (const payload of [`' OR '1'='1`, `${ns.session('v1')}' OR 1=1 --`, `') UNION ALL SELECT 1 --`]) {
      expect(await auditRows(run, 'session-timeline', { session: payload }), payload).toEqual([]);
    }
    expect((await auditRows(run, 'session-timeline', { session: ns.session('v1') })).length).toBeGreaterThan(0);
  });

  it('the SQL text sent is the catalog file, unchanged; values go only in the parameters', async () => {
    const sent: Array<{ query: string; params: Record<string, unknown> }> = [];
    const spy: RunQuery = async (query, params = {}) => (sent.push({ query, params }), run(query, params));
    for (const q of withIntegration) {
      const params = parseParams(q, { ...june, integration: payloads[0] });
      await runAudit(spy, q, params);
    }
    expect(sent.length).toBe(withIntegration.length * 2);
    sent.forEach(({ query, params }, i) => {
      const q = withIntegration[Math.floor(i / 2)]!;
      expect(query).toBe(i % 2 === 0 ? `DESCRIBE (\n${q.sql}\n)` : q.sql);
      expect(query).not.toContain(payloads[0]);
      expect(params.integration).toBe(payloads[0]);
    });
  });

  it('the data survived every attempt', async () => {
    expect(await auditRows(run, 'consent-coverage', { ...june, integration: victim })).toEqual([
      { integration: victim, ine_checks: 2, consented: 1, missing: 1, refused: 0, after_check: 0, coverage_pct: 50 },
    ]);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { definitionOf } from '../../audits/catalog.js';
import { parseParams } from '../../audits/params.js';
import { runAudit } from '../../audits/runner.js';
import { queryRows } from '../../lib/clickhouse.js';
import { takeConsentSnapshot } from '../dashboards/consent-verdicts.js';
import { auditStore, catalog, consent, decision, june, namespace, seedMonth, seedWithSources } from './support.js';

/*
 * The consent audits read consent_verdicts, consent_audit's rows pre-aggregated (milliseconds instead of
 * tens of seconds at 10 M decisions). Their definition is the same query over the view consent_audit:
 * both run on the same data, before and after a snapshot, with sessions changed since, and must give
 * every row alike.
 */
const fast = [...catalog.values()].filter((q) => definitionOf(q) !== q.sql);

describe('fast audit queries equal their definitions', () => {
  let run: (q: string, p?: Record<string, unknown>) => Promise<Record<string, unknown>[]>;
  let client: Awaited<ReturnType<typeof auditStore>>['client'];
  let integration: string;

  beforeAll(async () => {
    ({ client } = await auditStore());
    run = (q, p = {}) => queryRows(client, q, p);
    ({ integration } = await seedMonth(client, 'definitions'));
  });

  const compareAll = async (label: string) => {
    expect(fast.map((q) => q.name).sort()).toEqual(['approval-rate-daily', 'consent-coverage', 'consent-violations', 'decisions-by-status', 'duplicate-deliveries', 'face-match-cases', 'face-match-daily', 'face-match-distribution', 'face-match-summary', 'period-summary', 'session-timeline']);
    for (const query of fast.filter((q) => q.name !== 'session-timeline')) {
      for (const scope of [integration, undefined]) {
        const params = parseParams(query, { from: june.from, to: june.to, integration: scope });
        const rows = (await runAudit(run, query, params)).rows;
        const defined = (await runAudit(run, { ...query, sql: definitionOf(query) }, params)).rows;
        expect(rows, `${label}: ${query.name} (${scope ?? 'all'})`).toEqual(defined);
        if (scope) expect(rows.length, `${label}: ${query.name}`).toBeGreaterThan(0);
      }
    }
    const timeline = catalog.get('session-timeline')!;
    const sessions = await run("SELECT DISTINCT session_id FROM ine_audit.decision_rows WHERE integration = {i:String} ORDER BY session_id", { i: integration });
    expect(sessions.length).toBeGreaterThan(5);
    for (const { session_id } of sessions) {
      const params = parseParams(timeline, { session: String(session_id) });
      const rows = (await runAudit(run, timeline, params)).rows;
      expect(rows, `${label}: session-timeline ${session_id}`).toEqual((await runAudit(run, { ...timeline, sql: definitionOf(timeline) }, params)).rows);
      expect(rows.some((r) => r.kind === 'decision')).toBe(true);
    }
  };

  it('on the seeded month, before any snapshot', () => compareAll('live'));

  it('after a snapshot, and with sessions changed since it', async () => {
    await takeConsentSnapshot(client);
    await compareAll('snapshot');
    // A new session without consent, and a late consent for one the snapshot judged: both live now.
    const ns = namespace('definitions-late');
    await seedWithSources(client, integration, [
      { kind: 'decision', body: decision('decision-approved-ine-match', ns.session(1), '2025-06-20T10:00:00Z'), receivedAt: '2025-06-20T10:00:01Z' },
      { kind: 'consent', body: consent(ns.session(1), { givenAt: '2025-06-20T11:00:00Z' }) },
    ]);
    // A re-derivation (replay after a normalization fix): the same decision, a newer row with other INE
    // fields, some of them NULL now. Both the view (FINAL) and decision_facts (argMax) take the newer one.
    const rederived = decision('decision-approved-ine-match', ns.session(2), '2025-06-21T10:00:00Z');
    await seedWithSources(client, integration, [{ kind: 'decision', body: rederived, receivedAt: '2025-06-21T10:00:01Z' }]);
    await seedWithSources(client, integration, [{
      kind: 'decision',
      body: decision('decision-approved-ine-match', ns.session(2), '2025-06-21T10:00:00Z', { ine: { faceMatch: null, faceMatchPercentage: null, responseStatus: null } }),
      receivedAt: '2025-06-21T10:00:01Z',
    }]);
    // A record two integrations delivered, once from another in May and twice from this one in June:
    // asked for this integration it is a June duplicate, across them its first delivery is May's.
    const shared = decision('decision-approved-ine-match', ns.session(3), '2025-05-30T10:00:00Z');
    await seedWithSources(client, integration, [
      { kind: 'decision', body: shared, receivedAt: '2025-05-30T10:00:01Z', integration: `${integration}-other` },
      { kind: 'decision', body: shared, receivedAt: '2025-06-22T10:00:00Z' },
      { kind: 'decision', body: shared, receivedAt: '2025-06-23T10:00:00Z' },
    ]);
    // A violator (no consent) with two decisions at the same time: the later receipt is its latest, and a
    // redelivery makes the first decision's newest derivation the later one.
    const approved = decision('decision-approved-ine-match', ns.session(4), '2025-06-24T10:00:00Z');
    await seedWithSources(client, integration, [
      { kind: 'decision', body: approved, receivedAt: '2025-06-24T10:00:01Z' },
      { kind: 'decision', body: decision('decision-declined-ine-no-match', ns.session(4), '2025-06-24T10:00:00Z'), receivedAt: '2025-06-24T10:00:02Z' },
      { kind: 'decision', body: approved, receivedAt: '2025-06-24T10:00:03Z' },
    ]);
    const violations = catalog.get('consent-violations')!;
    const latest = await runAudit(run, violations, parseParams(violations, { from: june.from, to: june.to, integration }));
    expect(latest.rows.filter((r) => r.session_id === ns.session(4)).map((r) => r.latest_status)).toEqual(['approved']);
    await compareAll('snapshot + live');
    const coverage = await runAudit(run, catalog.get('consent-coverage')!, parseParams(catalog.get('consent-coverage')!, { from: june.from, to: june.to, integration }));
    expect(coverage.rows[0]!.after_check).toBeGreaterThan(0);
  });
});

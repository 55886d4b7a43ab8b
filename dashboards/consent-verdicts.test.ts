import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import { testClickHouse } from '../test/helpers/clickhouse.js';
import { makeConsent, makeDecision } from '../test/helpers/fixtures.js';
import { seedPayloads, type SeedItem } from '../test/helpers/seed.js';
import { JUNE } from '../test/dashboards/scenario.js';
import { takeConsentSnapshot, verdictsDiff } from '../test/dashboards/consent-verdicts.js';
import { loadDashboards, panelContext, panelsOf, runPanel, runSql } from '../test/dashboards/panels.js';

/*
 * ine_audit.consent_verdicts (what the consent panels read) takes unchanged sessions from a snapshot
 * refreshed every 10 minutes and computes the rest live. These sessions are snapshotted, then change
 * through rows that arrive afterwards: the panels must answer as consent_audit at once, not at the
 * next refresh. dashboards.test.ts checks the seeded scenario both live and from the snapshot.
 */

const consentPanels = panelsOf(loadDashboards().find((d) => d.uid === 'ine-audit-consent')!);

describe('consent verdicts when rows arrive after the snapshot', () => {
  const LATE = 'late-arrivals';
  const L = Object.fromEntries(['L1', 'L2', 'L3', 'L4', 'L5'].map((k) => [k, `late-${k.toLowerCase()}-${randomUUID().slice(0, 8)}`])) as Record<string, string>;
  const MAY = { fromMs: Date.parse('2025-05-01T00:00:00Z'), toMs: Date.parse('2025-06-01T00:00:00Z') };
  let client: ClickHouseClient;
  const decision = (s: string, time: string, fixture = 'decision-approved-ine-match'): SeedItem => ({
    kind: 'decision',
    body: makeDecision(fixture, { sessionId: L[s], attemptId: `${L[s]}-${time}`, decisionTime: time }),
    integration: LATE,
  });
  const consent = (s: string, givenAt: string, approved = true): SeedItem => ({ kind: 'consent', body: makeConsent(L[s]!, { givenAt, approved }), integration: LATE });
  const panel = async (title: string, range = JUNE) => {
    const p = consentPanels.find((x) => x.title === title) ?? expect.fail(`no panel ${title}`);
    return (await runPanel(client, p, panelContext(p, range, { integration: { current: [LATE], options: [LATE] } }))).result.rows;
  };
  const verdicts = async (range = JUNE) => Object.fromEntries((await panel('Sessions to investigate', range)).map((r) => [r.session_id, r.violation]));
  const checks = async () => Number(Object.values((await panel('INE checks'))[0]!)[0]);
  const initial = [
    decision('L1', '2025-06-10T09:00:00Z'), consent('L1', '2025-06-10T08:55:00Z'),
    decision('L2', '2025-06-12T09:00:00Z'),
    decision('L3', '2025-06-15T09:00:00Z'), consent('L3', '2025-06-15T08:55:00Z'),
    decision('L4', '2025-06-20T09:00:00Z', 'decision-declined-ine-no-match'), consent('L4', '2025-06-20T10:00:00Z'),
    consent('L5', '2025-06-22T08:55:00Z'),
  ];

  beforeAll(async () => {
    client = await testClickHouse();
    await seedPayloads(client, initial);
    await takeConsentSnapshot(client);
  });

  it('reads the snapshot: L2 without consent, L4 consented only after the check, L5 not checked yet', async () => {
    expect(await checks()).toBe(4);
    expect(await verdicts()).toEqual({ [L.L2!]: 'missing', [L.L4!]: 'after_check' });
    expect(await verdictsDiff(client, 'consent_verdicts', LATE)).toEqual([]);
  });

  it('answers as consent_audit at once when consents, an earlier check, duplicates and a first check arrive late', async () => {
    await seedPayloads(client, [
      consent('L1', '2025-06-10T08:58:00Z', false), // a refusal given after the approval, still before the check
      consent('L2', '2025-06-12T08:00:00Z'), // the missing consent, recorded late
      decision('L3', '2025-05-30T09:00:00Z', 'decision-declined-ine-no-match'), // an earlier check: L3 now belongs to May, consent after it
      ...initial.filter((i) => JSON.stringify(i.body).includes(L.L4!)), // L4 delivered again
      decision('L5', '2025-06-22T09:00:00Z'), // L5's first check, after its consent
    ]);
    const [stale] = (await runSql(client, `SELECT violation FROM ine_audit.consent_verdicts_snapshot WHERE session_id = '${L.L2}'`)).rows;
    expect(stale).toEqual({ violation: 'missing' });
    expect(await checks()).toBe(4);
    expect(await verdicts()).toEqual({ [L.L1!]: 'refused', [L.L4!]: 'after_check' });
    expect(await verdicts(MAY)).toEqual({ [L.L3!]: 'after_check' });
    expect(await verdictsDiff(client, 'consent_verdicts', LATE)).toEqual([]);
  });

  it('gives the same answer from the next snapshot', async () => {
    await takeConsentSnapshot(client);
    const [fresh] = (await runSql(client, `SELECT violation FROM ine_audit.consent_verdicts_snapshot WHERE session_id = '${L.L2}'`)).rows;
    expect(fresh).toEqual({ violation: 'none' });
    expect(await checks()).toBe(4);
    expect(await verdicts()).toEqual({ [L.L1!]: 'refused', [L.L4!]: 'after_check' });
    expect(await verdicts(MAY)).toEqual({ [L.L3!]: 'after_check' });
    expect(await verdictsDiff(client, 'consent_verdicts')).toEqual([]);
  });
});

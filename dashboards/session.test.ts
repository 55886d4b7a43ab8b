import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunQuery } from '../audits/runner.js';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import { consentIdOf, decisionIdOf, eventIdOf } from '../pipeline/contract.js';
import { auditRows, auditStore, consent, decision, event, namespace, seedWithSources } from '../test/audits/support.js';
import { loadDashboards, panelsOf, runPanel, runSql, type Dashboard, type Panel } from '../test/dashboards/panels.js';
import { interpolatePanelQuery } from './macros.js';
import { sessionValue } from './src/session.dashboard.js';

const dashboards = loadDashboards();
const byUid = new Map(dashboards.map((d) => [d.uid, d]));
const investigation = byUid.get('ine-audit-session')!;
const panel = (title: string): Panel => panelsOf(investigation).find((p) => p.title === title) ?? expect.fail(`no panel ${title}`);
const anyRange = { range: { fromMs: Date.parse('2025-06-01T00:00:00Z'), toMs: Date.parse('2025-07-01T00:00:00Z') }, intervalMs: 60_000 };
const forSession = (session: string) => ({ ...anyRange, variables: { session: { current: session, options: [] } } });

interface Link {
  dashboard: string;
  panel: string;
  field: string;
  url: string;
}

/** Every data link of every panel: field defaults and per-column overrides. */
function dataLinks(d: Dashboard): Link[] {
  return panelsOf(d).flatMap((p) => {
    const config = p.fieldConfig as { defaults: { links?: Array<{ url: string }> }; overrides?: Array<{ matcher: { options: string }; properties: Array<{ id: string; value: any }> }> };
    const defaults = (config.defaults.links ?? []).map((l) => ({ dashboard: d.uid, panel: p.title, field: '*', url: l.url }));
    const overrides = (config.overrides ?? []).flatMap((o) =>
      o.properties.filter((x) => x.id === 'links').flatMap((x) => (x.value as Array<{ url: string }>).map((l) => ({ dashboard: d.uid, panel: p.title, field: o.matcher.options, url: l.url }))),
    );
    return [...defaults, ...overrides];
  });
}

describe('data links', () => {
  const links = dashboards.flatMap(dataLinks);

  it.each(links.map((l) => [l.dashboard, l.panel, l.field, l] as const))('%s › %s › %s leads to an existing dashboard and variable, with the time range', (_d, _p, _f, link) => {
    const m = /^\/d\/([\w-]+)\?(.*)$/.exec(link.url) ?? expect.fail(`not a dashboard link: ${link.url}`);
    const target = byUid.get(m[1]!) ?? expect.fail(`no dashboard ${m[1]}`);
    const params = m[2]!.split('&');
    expect(params).toContain('${__url_time_range}');
    const variables = params.filter((q) => q.startsWith('var-')).map((q) => /^var-(\w+)=\$\{__value\.raw\}$/.exec(q)?.[1] ?? expect.fail(`unexpected ${q}`));
    expect(variables.length).toBeGreaterThan(0);
    for (const v of variables) expect(target.templating.list.map((x) => x.name), link.url).toContain(v);
  });

  // Which tables list sessions is read from what their SQL returns, not from a list kept by hand.
  it('links every table of sessions, and only the session_id column, to the investigation', async () => {
    const { client } = await auditStore();
    const tables = dashboards.filter((d) => d !== investigation).flatMap((d) => panelsOf(d).filter((p) => p.type === 'table').map((p) => ({ d, p })));
    const listing: string[] = [];
    for (const { d, p } of tables) {
      const ctx = { ...anyRange, variables: { integration: { current: ['$__all'], options: ['x'] } } };
      const columns = (await runSql(client, `DESCRIBE (${interpolatePanelQuery(p.targets[0]!.rawSql, ctx)})`)).rows.map((r) => String(r.name));
      if (columns.includes('session_id')) listing.push(`${d.uid} › ${p.title}`);
    }
    expect(listing).toEqual(['ine-audit-consent › Sessions to investigate', 'ine-audit-face-match › Inconsistent answers to investigate']);
    const linked = links.filter((l) => l.url.startsWith('/d/ine-audit-session?')).map((l) => `${l.dashboard} › ${l.panel} › ${l.field}`);
    expect(linked.sort()).toEqual(listing.map((t) => `${t} › session_id`).sort());
  });
});

/*
 * One session, in the order things happened (as in test/audits/timeline-query.test.ts):
 *   09:00:00 started event · 09:01:00 ine consent (received 09:01:01) · 09:10:00 submitted event
 *   09:20:00 resubmission_requested decision with an INE block, not completed (the INE check)
 *   10:00:00 approved decision of a second attempt, delivered at 10:00:01 and re-sent at 10:30:00
 */
describe('session investigation dashboard on a seeded session', () => {
  const ns = namespace('inv');
  const T = ns.integration();
  const session = ns.session('main');
  const [attempt1, attempt2] = [randomUUID(), randomUUID()];
  const started = event('started', session, attempt1);
  const submitted = event('submitted', session, attempt1);
  const given = consent(session, { givenAt: '2025-06-03T09:01:00Z' });
  const resubmission = decision('decision-resubmission-requested-poor-image', session, '2025-06-03T09:20:00Z', { attemptId: attempt1 });
  const approved = decision('decision-approved-ine-match', session, '2025-06-03T10:00:00Z', { attemptId: attempt2 });
  let client: ClickHouseClient;
  let run: RunQuery;
  const rows = async (title: string, id = session) => (await runPanel(client, panel(title), forSession(id))).result.rows;

  beforeAll(async () => {
    ({ client, run } = await auditStore());
    await seedWithSources(client, T, [
      { kind: 'event', body: started, receivedAt: '2025-06-03T09:00:00Z', source: 'webhook' },
      { kind: 'consent', body: given, receivedAt: '2025-06-03T09:01:01Z', source: 'import' },
      { kind: 'event', body: submitted, receivedAt: '2025-06-03T09:10:00Z', source: 'webhook' },
      { kind: 'decision', body: resubmission, receivedAt: '2025-06-03T09:20:01Z', source: 'webhook' },
      { kind: 'decision', body: approved, receivedAt: '2025-06-03T10:00:01Z', source: 'webhook' },
      { kind: 'decision', body: approved, receivedAt: '2025-06-03T10:30:00Z', source: 'webhook' },
      { kind: 'decision', body: decision('decision-declined-ine-no-match', ns.session('other'), '2025-06-03T09:30:00Z'), source: 'webhook' },
    ]);
  });

  it('has a session text box and only panels that read the session', () => {
    expect(investigation.templating.list).toEqual([expect.objectContaining({ name: 'session', type: 'textbox' })]);
    for (const p of panelsOf(investigation)) expect(p.targets[0]!.rawSql, p.title).toContain(sessionValue);
  });

  it("shows the session's row in decisions_latest", async () => {
    expect(await rows('Latest decision (decisions_latest)')).toEqual([
      {
        session_id: session, attempt_id: attempt2, status: 'approved', code: 9001, reason_code: null, reason: null, decision_time: '2025-06-03 10:00:00.000', integration: T,
        ine_check_performed: true, ine_result_state: 'completed', ine_face_match: true, ine_face_match_percentage: 89, ine_response_status: 'success',
        ine_threshold_match: true, ine_inconsistent: false, source: 'webhook', received_at: '2025-06-03 10:30:00.000',
      },
    ]);
    const columns = Object.keys((await rows('Latest decision (decisions_latest)'))[0]!).join(', ');
    const view = await client.query({ query: `SELECT ${columns} FROM ine_audit.decisions_latest WHERE session_id = {s:String}`, query_params: { s: session }, format: 'JSON' });
    expect(await rows('Latest decision (decisions_latest)'), "the view's row").toEqual((await view.json()).data);
  });

  it('lists events, the consent, the INE check and its verdict, every decision and every delivery and re-send, in time order', async () => {
    const base = { code: null, attempt_id: '', integration: T, source: 'webhook' };
    const delivery = (at: string, what: string, recordId: string, source = 'webhook') => ({ ...base, at, kind: 'delivery', what, source, received_at: at, detail: `record_id=${recordId}` });
    const timeline = await rows('Session timeline');
    expect(timeline).toEqual([
      { ...base, at: '2025-06-03 09:00:00.000', kind: 'event', what: 'started', code: 7001, attempt_id: attempt1, received_at: '2025-06-03 09:00:00.000', detail: 'feature=selfid' },
      delivery('2025-06-03 09:00:00.000', 'event delivery', eventIdOf(started)),
      { ...base, at: '2025-06-03 09:01:00.000', kind: 'consent', what: 'ine approved', source: '', received_at: '2025-06-03 09:01:01.000', detail: 'channel=web, text_version=v1' },
      delivery('2025-06-03 09:01:01.000', 'consent delivery', consentIdOf(given), 'import'),
      { ...base, at: '2025-06-03 09:10:00.000', kind: 'event', what: 'submitted', code: 7002, attempt_id: attempt1, received_at: '2025-06-03 09:10:00.000', detail: 'feature=selfid' },
      delivery('2025-06-03 09:10:00.000', 'event delivery', eventIdOf(submitted)),
      { ...base, at: '2025-06-03 09:20:00.000', kind: 'ine_check', what: 'consent none', source: '', received_at: null, detail: 'consent_given_at=2025-06-03 09:01:00.000, consent_approved=true' },
      {
        ...base, at: '2025-06-03 09:20:00.000', kind: 'decision', what: 'resubmission_requested', code: 9103, attempt_id: attempt1, received_at: '2025-06-03 09:20:01.000',
        detail: 'reason_code=204, reason=Poor image quality, ine=not_completed, face_match=, face_match_pct=',
      },
      delivery('2025-06-03 09:20:01.000', 'decision delivery', decisionIdOf(resubmission.verification)),
      {
        ...base, at: '2025-06-03 10:00:00.000', kind: 'decision', what: 'approved', code: 9001, attempt_id: attempt2, received_at: '2025-06-03 10:30:00.000',
        detail: 'reason_code=, reason=, ine=completed, face_match=true, face_match_pct=89',
      },
      delivery('2025-06-03 10:00:01.000', 'decision delivery', decisionIdOf(approved.verification)),
      delivery('2025-06-03 10:30:00.000', 'decision delivery', decisionIdOf(approved.verification)),
    ]);
    expect(timeline, 'the same rows as `npm run audit -- session-timeline`').toEqual(await auditRows(run, 'session-timeline', { session }));
  });

  it('shows nothing for another or a hostile session id, and never errs', async () => {
    // sqlstring would let the third one through (ClickHouse reads \\' as a quote inside the literal).
    for (const id of [ns.session('nobody'), "x' OR 1=1 --", "x\\' OR 1=1 --", "x\\\\' OR 1=1 --", `${session}%27) OR (1=1`]) {
      expect(await rows('Session timeline', id), id).toEqual([]);
      expect(await rows('Latest decision (decisions_latest)', id), id).toEqual([]);
    }
  });
});

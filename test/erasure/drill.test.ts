import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedPost, type TestIntegration } from '../helpers/http.js';
import { makeConsent, makeDecision, makeEvent } from '../helpers/fixtures.js';
import { pollUntil } from '../helpers/poll.js';
import { spawnService, type ChildService } from '../helpers/processes.js';
import { cliRun } from '../ledger/support-cli.js';

/*
 * The erasure drill, against `npm start` in a child process: signed webhooks in, the ledger sealed,
 * `npm run erase` for a session and for a person (full), then a search of every table for their
 * personal values, the audit queries before and after, verify-store, and the timeline's receipt.
 */
interface Subject {
  sessions: string[];
  values: string[];
}

const integration: TestIntegration = { name: 'drill', apiKey: `drill-${randomUUID()}`, sharedSecret: randomBytes(16).toString('hex') };
const today = new Date().toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const period = ['--from', today, '--to', tomorrow];

function person(tag: string, sessions: number, curpDigits: string): Subject & { curp: string; decisions: unknown[]; consents: unknown[]; events: unknown[] } {
  const curp = `DRIL${curpDigits}HDF${tag}01`.slice(0, 18);
  const dob = `19${curpDigits.slice(0, 2)}-${curpDigits.slice(2, 4)}-${curpDigits.slice(4, 6)}`;
  const first = `NOMBRE${tag}`;
  const last = `APELLIDO${tag}`;
  const vendorData = `vendor-${tag}-${randomUUID()}`;
  const ids = Array.from({ length: sessions }, () => randomUUID());
  const decisions = ids.map((id) => makeDecision('decision-approved-ine-match', {
    sessionId: id,
    decisionTime: new Date().toISOString(),
    mutate: (d) => Object.assign(d.verification, { vendorData, person: { ...d.verification.person, firstName: first, lastName: last, fullName: `${first} ${last}`, idNumber: curp, dateOfBirth: dob } }),
  }));
  const consents = ids.map((id) => ({ ...makeConsent(id, { givenAt: new Date(Date.now() - 60_000).toISOString() }), vendorData }));
  return { sessions: ids, values: [first, last, curp, dob, vendorData], curp, decisions, consents, events: ids.map((id) => makeEvent('started', id)) };
}

describe('erasure drill (npm start, npm run erase, npm run audit)', () => {
  let service: ChildService;
  let env: Record<string, string>;
  const bySession = person('SSS', 1, '710305');
  const byPerson = person('PPP', 2, '820417');
  const bystander = person('BBB', 1, '930611');

  const sql = <T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}) => service.sql<T>(query, params);
  const audits = async (names: string[]) => {
    const out: string[] = [];
    for (const q of names) out.push((await audit([q, ...period, '--format', 'json'])).stdout);
    return out;
  };
  const audit = async (args: string[]) => {
    const r = await cliRun('audit', args, env);
    expect(r.stderr, args.join(' ')).toBe('');
    return r;
  };

  /** Rows per table holding any of the values, over every table of ine_audit (views read these). */
  async function tablesHolding(values: string[]): Promise<Record<string, number>> {
    const columns = await sql<{ table: string; name: string }>(
      "SELECT c.table, c.name FROM system.columns AS c INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table WHERE c.database = 'ine_audit' AND t.engine NOT IN ('View', 'MaterializedView') ORDER BY c.table, c.position",
    );
    const tables = [...new Set(columns.map((c) => c.table))];
    const found: Record<string, number> = {};
    for (const table of tables) {
      const text = columns.filter((c) => c.table === table).map((c) => `toString(\`${c.name}\`)`).join(", '\\n', ");
      const [row] = await sql<{ n: number }>(`SELECT count() AS n FROM ine_audit.\`${table}\` WHERE multiSearchAny(concat(${text}), {values:Array(String)})`, { values: `[${values.map((v) => `'${v}'`).join(',')}]` });
      if (Number(row!.n) > 0) found[table] = Number(row!.n);
    }
    return found;
  }

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ine-audit-erasure-'));
    const token = randomBytes(16).toString('hex');
    // cli/intake.ts (replay) reads DATA_DIR/admin-token even when ADMIN_TOKEN is set.
    writeFileSync(join(dataDir, 'admin-token'), `${token}\n`, { mode: 0o600 });
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), DATA_DIR: dataDir, ADMIN_TOKEN: token, LOG_LEVEL: 'silent' };
    service = await spawnService({ ...env, LOG_LEVEL: 'warn', VERIFF_INTEGRATIONS: JSON.stringify([integration]), LEDGER_INTERVAL_MS: '1000', LEDGER_SEAL_GRACE_MS: '200', LEDGER_SEAL_CHECK_MS: '200' }, { entry: 'cli/start.ts' });
    for (const s of [bySession, byPerson, bystander]) {
      for (const e of s.events) expect((await signedPost(service.httpUrl, '/webhooks/veriff/event', e, integration)).body.status).toBe('accepted');
      for (const c of s.consents) expect((await signedPost(service.httpUrl, '/consents', c, integration)).status).toBe(200);
      for (const d of s.decisions) expect((await signedPost(service.httpUrl, '/webhooks/veriff/decision', d, integration)).body.status).toBe('accepted');
    }
    // A signed but invalid body of the person: kept in quarantine with the CURP in it.
    const broken = { ...(byPerson.decisions[0] as { verification: Record<string, unknown> }) };
    broken.verification = { ...broken.verification, code: 'x' };
    expect((await signedPost(service.httpUrl, '/webhooks/veriff/decision', broken, integration)).body.status).toBe('quarantined');
    await pollUntil(() => sql<{ n: number }>('SELECT count() AS n FROM ine_audit.ledger_members WHERE seal_id IN (SELECT seal_id FROM ine_audit.ledger_digests)'), (r) => Number(r[0]!.n) >= 12, { timeoutMs: 30_000, what: '12 sealed leaves' });
  });
  afterAll(async () => {
    await service?.kill('SIGTERM');
  });

  it('erases a session and a person; their values are nowhere, verdicts and counts are unchanged, the ledger verifies, the timeline shows the receipt', async () => {
    const before = await tablesHolding([...bySession.values, ...byPerson.values]);
    // Decision and consent bodies carry them (events do not), and the quarantined body.
    expect(before).toEqual({ raw_payloads: 6, quarantine: 1 });
    const queries = ['period-summary', 'consent-coverage', 'consent-violations', 'decisions-by-status'];
    const auditsBefore = await audits(queries);
    expect(JSON.parse(auditsBefore[0]!)[0].decisions).toBe(4);

    const dry = await cliRun('erase', ['--session', bySession.sessions[0]!, '--reason', 'ARCO cancellation 2026-17', '--requested-by', 'titular via DPO', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^DRY RUN, nothing removed/);
    expect(dry.stdout).toMatch(/raw_payloads\s+3 rows/);
    expect(JSON.parse(dry.stdout.trim().split('\n').pop()!)).toMatchObject({ dryRun: true, sessions: 1, deliveries: 3, rows_removed: { raw_payloads: 3 } });
    expect(dry.stdout).not.toMatch(/erasure_id/);
    expect(await tablesHolding(bySession.values)).toEqual({ raw_payloads: 2 });

    const bad = await cliRun('erase', ['--person', 'not-a-curp', '--reason', 'x y z', '--requested-by', 'dpo'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/a CURP has 18 characters/);

    const one = await cliRun('erase', ['--session', bySession.sessions[0]!, '--reason', 'ARCO cancellation 2026-17', '--requested-by', 'titular via DPO'], env);
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    const receipt = /Erased, receipt ([0-9a-f-]{36})/.exec(one.stdout)![1]!;
    const full = await cliRun('erase', ['--person', byPerson.curp, '--reason', 'ARCO cancellation 2026-18', '--requested-by', 'titular via DPO', '--full'], env);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/raw_payloads\s+6 rows/);
    expect(full.stdout).toMatch(/quarantine\s+1 rows/);

    expect(await tablesHolding([...bySession.values, ...byPerson.values])).toEqual({});
    expect(Object.keys(await tablesHolding(bystander.values))).toContain('raw_payloads');
    const pseudonyms = await sql<{ session_id: string; p: string | null }>('SELECT session_id, any(person_pseudonym) AS p FROM ine_audit.decision_rows WHERE session_id IN {s:Array(String)} GROUP BY session_id', { s: `[${[...bySession.sessions, ...byPerson.sessions].map((s) => `'${s}'`).join(',')}]` });
    expect(pseudonyms.filter((r) => r.p === null).map((r) => r.session_id).sort()).toEqual([...byPerson.sessions].sort());

    const auditsAfter = await audits(queries);
    expect(auditsAfter).toEqual(auditsBefore);

    const verified = await audit(['verify-store']);
    expect(verified.stdout).toMatch(/^OK: /m);
    expect(verified.code).toBe(0);
    expect(verified.stdout.split('\n').filter((l) => l.startsWith('ERASED') && l.includes(`with receipt ${receipt}`))).toHaveLength(3);
    expect(verified.stdout.split('\n').filter((l) => l.startsWith('ERASED'))).toHaveLength(9);

    const timeline = await audit(['session-timeline', '--session', bySession.sessions[0]!, '--format', 'json']);
    const erasureRows = (JSON.parse(timeline.stdout) as Array<{ kind: string; detail: string }>).filter((r) => r.kind === 'erasure');
    expect(erasureRows).toHaveLength(1);
    expect(erasureRows[0]!.detail).toContain(`receipt=${receipt}`);

    const replay = await cliRun('replay', ['--from', `${today}T00:00:00Z`, '--to', `${tomorrow}T00:00:00Z`], env);
    expect(replay.stdout, replay.stderr).toMatch(/skipped 9 erased deliveries/);
    const quarantined = await cliRun('replay', ['--quarantined'], env);
    expect(quarantined.stdout, quarantined.stderr).toMatch(/skipped 1 quarantined bodies removed by 1 erasure receipts/);
  });
});

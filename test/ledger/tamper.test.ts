import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { loadConfig } from '../../lib/config.js';
import { withLocalSecrets } from '../../lib/local-secrets.js';
import { verifyStore } from '../../ledger/verify-store.js';
import type { LedgerKey } from '../../ledger/keys.js';
import type { Door } from '../../sqldoor/door.js';
import { testClickHouse } from '../helpers/clickhouse.js';
import { cliAgainstTestStore, cliRun } from './support-cli.js';
import { fastSeal, nextInterval, run, sealThrough, seedSessions } from './support.js';

/*
 * The tamper drills: each tampers with rows of its own intervals, and `npm run audit -- verify-store`
 * over those intervals (a real child process, through the SQL door as the operator) must exit 1 and
 * name what changed, and nothing else.
 */
describe('npm run audit -- verify-store: tamper drills', () => {
  let client: ClickHouseClient;
  let key: LedgerKey;
  let env: Record<string, string>;
  let door: Door | null = null;

  let stop: () => Promise<void>;

  beforeAll(async () => {
    client = await testClickHouse();
    ({ env, key, door, stop } = await cliAgainstTestStore(client, { LEDGER_LATE_WINDOW_MS: String(fastSeal.lateWindowMs) }));
  });
  afterAll(async () => stop());

  /** Two sessions (6 deliveries) in an interval of their own, sealed along with the two intervals after it. */
  async function sealedStretch() {
    const start = await nextInterval(client);
    const sessions = await seedSessions(client, 2);
    const end = await sealThrough(client, key, start + 3 * fastSeal.intervalMs);
    const ids = (await queryRows<{ delivery_id: string }>(client, 'SELECT delivery_id FROM ine_audit.deliveries WHERE session_id IN {s:Array(String)} ORDER BY delivery_id', { s: sessions })).map((r) => r.delivery_id);
    const clean = await verifyStore(run(client), key, { fromMs: start, toMs: end, lateWindowMs: fastSeal.lateWindowMs, rawRetentionDays: 90 });
    expect(clean.findings).toEqual([]);
    expect(clean.leaves).toBe(6);
    return { start, end, ids, range: ['--from', new Date(start).toISOString(), '--to', new Date(end).toISOString()] };
  }

  async function verifyCli(range: string[]) {
    const result = await cliRun('audit', ['verify-store', ...range], env);
    return { ...result, tampered: result.stdout.split('\n').filter((l) => l.startsWith('TAMPERED')) };
  }

  const sql = (query: string, params: Record<string, unknown> = {}) => client.command({ query, query_params: params, clickhouse_settings: { mutations_sync: '2' } });

  it('passes an untouched store, and ledger-key prints the public key', async () => {
    const { range } = await sealedStretch();
    const ok = await verifyCli(range);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: \d+ digests, 6 sealed leaves/m);
    const pem = await cliRun('audit', ['ledger-key'], env);
    expect(pem.code).toBe(0);
    expect(pem.stdout).toBe(key.publicKeyPem);
    const bad = await cliRun('audit', ['verify-store', '--from', '2026-12-03T10:00'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from: "2026-12-03T10:00" is not an ISO 8601 date .* \(add Z or an offset/);
  });

  it.each([
    ['a delivery row deleted', (ids: string[]) => sql('DELETE FROM ine_audit.deliveries WHERE delivery_id = {id:String}', { id: ids[0] }), (ids: string[]) => [new RegExp(`delivery row removed: delivery ${ids[0]} is sealed`)]],
    ['a delivery row altered', (ids: string[]) => sql("ALTER TABLE ine_audit.deliveries UPDATE session_id = 'someone-else' WHERE delivery_id = {id:String}", { id: ids[1] }), (ids: string[]) => [new RegExp(`delivery row changed: delivery ${ids[1]} differs from its sealed leaf in session_id`)]],
    ['a delivery row moved to another month (deleted and inserted again with another received_at)', async (ids: string[]) => {
      await sql(`INSERT INTO ine_audit.deliveries SELECT delivery_id, kind, record_id, session_id, integration, source, received_at - INTERVAL 40 DAY, event_time
                 FROM ine_audit.deliveries WHERE delivery_id = {id:String}`, { id: ids[5] });
      await sql("DELETE FROM ine_audit.deliveries WHERE delivery_id = {id:String} AND received_at > now64(3) - INTERVAL 1 DAY", { id: ids[5] });
    }, (ids: string[]) => [new RegExp(`delivery row changed: delivery ${ids[5]} differs from its sealed leaf in received_at`)]],
    ['a leaf altered', (ids: string[]) => sql('ALTER TABLE ine_audit.ledger_leaves UPDATE body_sha256 = repeat(\'0\', 64) WHERE delivery_id = {id:String}', { id: ids[2] }), (ids: string[]) => [new RegExp(`leaf changed: delivery ${ids[2]} no longer hashes`)]],
    ['a raw body altered', (ids: string[]) => sql("ALTER TABLE ine_audit.raw_payloads UPDATE body = concat(body, ' ') WHERE delivery_id = {id:String}", { id: ids[3] }), (ids: string[]) => [new RegExp(`raw copy changed: the body of delivery ${ids[3]}`)]],
    ['a leaf deleted', (ids: string[]) => sql('DELETE FROM ine_audit.ledger_leaves WHERE delivery_id = {id:String}', { id: ids[4] }), (ids: string[]) => [new RegExp(`leaf removed: delivery ${ids[4]} is sealed here`)]],
  ])('names %s', async (_name, tamper, expected) => {
    const { ids, range } = await sealedStretch();
    await tamper(ids);
    const result = await verifyCli(range);
    expect(result.code).toBe(1);
    expect(result.tampered.length, result.stdout).toBe(expected(ids).length);
    expected(ids).forEach((re, i) => expect(result.tampered[i]).toMatch(re));
    expect(result.stdout).toMatch(/^FAILED: 1 finding;/m);
  });

  it('names a delivery row inserted, and a leaf inserted into a sealed interval', async () => {
    const { start, range } = await sealedStretch();
    await sql(`INSERT INTO ine_audit.deliveries (delivery_id, kind, record_id, session_id, integration, source, received_at, event_time)
               VALUES ('forged-delivery', 'decision', 'r', 'forged-session', 'default', 'webhook', fromUnixTimestamp64Milli({t:Int64}), NULL)`, { t: start + 10 });
    await sql(`INSERT INTO ine_audit.ledger_leaves (delivery_id, kind, integration, session_id, source, body_sha256, received_at, inserted_at)
               VALUES ('forged-leaf', 'decision', 'default', 'forged-session', 'webhook', repeat('a', 64), fromUnixTimestamp64Milli({t:Int64}), fromUnixTimestamp64Milli({t:Int64}))`, { t: start + 20 });
    const result = await verifyCli(range);
    expect(result.code).toBe(1);
    expect(result.tampered).toHaveLength(2);
    expect(result.tampered.join('\n')).toMatch(/leaf added: delivery forged-leaf reached ClickHouse .* but is in no digest/);
    expect(result.tampered.join('\n')).toMatch(/delivery row added: delivery forged-delivery is in deliveries but has no leaf/);
  });

  it('names a digest removed (its leaves counted with it, not as findings of their own)', async () => {
    const { start, range } = await sealedStretch();
    await sql("DELETE FROM ine_audit.ledger_digests WHERE interval_start = fromUnixTimestamp64Milli({t:Int64}, 'UTC')", { t: start });
    const result = await verifyCli(range);
    expect(result.code).toBe(1);
    expect(result.tampered).toHaveLength(1);
    expect(result.tampered[0]).toMatch(new RegExp(`^TAMPERED \\[${new Date(start).toISOString()}, ${new Date(start + fastSeal.intervalMs).toISOString()}\\): digest missing: no digest between #\\d+ and #\\d+ \\(6 leaves there are in no digest\\)`));
  });

  it('names one byte of a signature flipped', async () => {
    const { start, range } = await sealedStretch();
    const [d] = await queryRows<{ signature: string }>(client, "SELECT signature FROM ine_audit.ledger_digests WHERE interval_start = fromUnixTimestamp64Milli({t:Int64}, 'UTC')", { t: start });
    const bytes = Buffer.from(d!.signature, 'base64');
    bytes[17]! ^= 0x40;
    await sql("ALTER TABLE ine_audit.ledger_digests UPDATE signature = {sig:String} WHERE interval_start = fromUnixTimestamp64Milli({t:Int64}, 'UTC')", { sig: bytes.toString('base64'), t: start });
    const result = await verifyCli(range);
    expect(result.code).toBe(1);
    expect(result.tampered).toEqual([expect.stringMatching(new RegExp(`^TAMPERED \\[${new Date(start).toISOString()}, .*\\) #\\d+: bad signature$`))]);
  });

  it('names a link broken', async () => {
    const { start, range } = await sealedStretch();
    const next = start + fastSeal.intervalMs;
    await sql("ALTER TABLE ine_audit.ledger_digests UPDATE previous_digest_hash = repeat('f', 64) WHERE interval_start = fromUnixTimestamp64Milli({t:Int64}, 'UTC')", { t: next });
    const result = await verifyCli(range);
    expect(result.code).toBe(1);
    const atNext = result.tampered.filter((l) => l.startsWith(`TAMPERED [${new Date(next).toISOString()}`));
    expect(atNext.length).toBe(result.tampered.length);
    // The link is signed, so changing it also breaks that digest's signature; both are named.
    expect(atNext.join('\n')).toMatch(/broken link: previous_digest_hash ffffffffffffffff… is not the hash of #\d+/);
    expect(atNext.join('\n')).toMatch(/bad signature/);
  });

  it('refuses the signing key through the SQL door, to the analyst and the operator alike', async () => {
    if (!door) return expect(inject('services')?.clickhouseUrl).toBeTruthy();
    const config = withLocalSecrets(loadConfig(env), { integrations: false });
    for (const [user, password] of [['analyst', config.sqlDoor.passwords.analyst!], ['operator', config.adminToken!]] as const) {
      const response = await fetch(`${door.url}/?user=${user}&password=${encodeURIComponent(password)}`, { method: 'POST', body: "SELECT * FROM file('ledger-signing-key.pem', 'RawBLOB')" });
      expect(response.status, user).toBe(403);
      expect(await response.text()).toMatch(/ACCESS_DENIED|not allowed/);
    }
  });
});

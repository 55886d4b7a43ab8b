import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { createPseudonymizer } from '../../lib/pseudonym.js';
import { erase, type ErasureDeps } from '../../erasure/erase.js';
import { parseErasureRequest } from '../../erasure/request.js';
import { testClickHouse } from '../helpers/clickhouse.js';
import { makeDecision } from '../helpers/fixtures.js';
import { seedPayloads, seedRows } from '../helpers/seed.js';

const pepper = 'test-pepper-0123456789abcdef';
const deps = (client: ClickHouseClient, kafka: ErasureDeps['kafka'] = null): ErasureDeps => ({ client, pseudonymize: createPseudonymizer(pepper), kafka });
const request = (over: Record<string, unknown>) => parseErasureRequest({ reason: 'ARCO cancellation request 42', requestedBy: 'DPO office', runBy: 'test@host', ...over });
const count = async (client: ClickHouseClient, sql: string, params: Record<string, unknown>) => Number((await queryRows<{ n: string }>(client, sql, params))[0]!.n);

describe('erase (in-process, the store directly)', () => {
  it('refuses bad input with the reason', () => {
    expect(() => request({})).toThrow(/exactly one of --session <id> or --person <CURP>/);
    expect(() => request({ session: 's', person: 'FAKE900101HDFXXX01' })).toThrow(/exactly one/);
    expect(() => request({ person: 'JUAN' })).toThrow(/a CURP has 18 characters/);
    expect(() => request({ session: "x' OR 1=1" })).toThrow(/a session id is letters, digits/);
    expect(() => request({ session: 's1', reason: '' })).toThrow(/--reason needs at least 3 characters/);
    expect(request({ person: ' fake900101hdfxxx01 ' }).person).toBe('FAKE900101HDFXXX01');
  });

  it('finds a person by the pseudonym of the CURP; a dry run counts and removes nothing; dead letters and base64 quarantine go too', async () => {
    const client = await testClickHouse();
    const curp = `TEST${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}HDFABC01`;
    const sessions = [randomUUID(), randomUUID()];
    await seedPayloads(client, sessions.map((id) => ({ kind: 'decision' as const, body: makeDecision('decision-approved-ine-match', { sessionId: id, mutate: (d) => (d.verification.person.idNumber = curp) }) })));
    const quarantined = Buffer.from(`{"verification":{"id":"${sessions[0]}","person":{"idNumber":"${curp}"}}`).toString('base64');
    await seedRows(client, {
      quarantine: [{ delivery_id: randomUUID(), kind: 'decision', integration: 'default', received_at: '2026-12-01 10:00:00.000', body_sha256: 'x', body: quarantined, body_encoding: 'base64', errors: [], error_paths: [] }],
      dead_letters: [{ topic: 't', partition: 0, offset: randomUUID(), key: sessions[1]!, value: '{"body":"…"}', error: 'e', at: '2026-12-01 10:00:00.000' }],
    });
    const dry = await erase(deps(client), request({ person: curp, dryRun: true }));
    expect(dry.receipt.session_ids.sort()).toEqual([...sessions].sort());
    expect(dry.receipt.rows_removed).toEqual({ raw_payloads: 2, quarantine: 1, dead_letters: 1 });
    expect(await count(client, 'SELECT count() AS n FROM ine_audit.erasures WHERE erasure_id = {id:String}', { id: dry.receipt.erasure_id })).toBe(0);
    expect(await count(client, 'SELECT count() AS n FROM ine_audit.raw_payloads WHERE session_id IN {s:Array(String)}', { s: sessions })).toBe(2);

    const done = await erase(deps(client, { retentionMs: 168 * 3_600_000, segmentMs: 3_600_000 }), request({ person: curp, full: true }));
    expect(done.receipt.rows_removed).toEqual({ raw_payloads: 2, quarantine: 1, dead_letters: 1, decision_rows: 2, event_rows: 0, consent_rows: 0 });
    expect(done.receipt.subject).toBe(`person:${createPseudonymizer(pepper)(curp)}`);
    expect(done.receipt.subject).not.toContain(curp);
    expect(Date.parse(done.receipt.kafka_copies_expire_at!)).toBeGreaterThan(Date.now() + 168 * 3_600_000);
    expect(await count(client, 'SELECT count() AS n FROM ine_audit.raw_payloads WHERE session_id IN {s:Array(String)}', { s: sessions })).toBe(0);
    expect(await count(client, 'SELECT count() AS n FROM ine_audit.dead_letters WHERE key IN {s:Array(String)}', { s: sessions })).toBe(0);
    expect(await count(client, "SELECT count() AS n FROM ine_audit.quarantine WHERE position(tryBase64Decode(body), {c:String}) > 0", { c: curp })).toBe(0);
    expect(await count(client, 'SELECT count() AS n FROM ine_audit.decision_rows WHERE session_id IN {s:Array(String)} AND person_pseudonym IS NULL AND vendor_data_pseudonym IS NULL', { s: sessions })).toBe(2);
    const [receipt] = await queryRows<{ delivery_ids: string[]; requested_by: string }>(client, 'SELECT delivery_ids, requested_by FROM ine_audit.erasures WHERE erasure_id = {id:String}', { id: done.receipt.erasure_id });
    expect(receipt!.delivery_ids).toHaveLength(2);
    expect(receipt!.requested_by).toBe('DPO office');
  });
});

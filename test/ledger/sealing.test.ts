import { describe, expect, it } from 'vitest';
import { queryRows } from '../../lib/clickhouse.js';
import { sealNext, sealDue } from '../../ledger/sealer.js';
import { storeNowMs } from '../../ledger/store.js';
import { verifyStore } from '../../ledger/verify-store.js';
import { testClickHouse } from '../helpers/clickhouse.js';
import { fastSeal, nextInterval, run, sealThrough, seedSessions, testLedgerKey } from './support.js';

const key = testLedgerKey();
const verifyOptions = { lateWindowMs: fastSeal.lateWindowMs, rawRetentionDays: 90 };

describe('ledger sealing (chdb or the test server)', () => {
  it('seals every accepted delivery once, in a hash-linked chain of contiguous signed digests that verifies', async () => {
    const client = await testClickHouse();
    await nextInterval(client);
    const sessions = await seedSessions(client, 5);
    await nextInterval(client);
    await seedSessions(client, 3);
    const sealedEnd = await sealThrough(client, key, (await storeNowMs(client)) + 1);

    const deliveries = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM ine_audit.deliveries FINAL WHERE session_id IN {s:Array(String)}', { s: sessions });
    expect(Number(deliveries[0]!.n)).toBe(15);
    const counted = await queryRows<{ delivery_id: string; n: string }>(client, `
      SELECT m.delivery_id, count() AS n FROM ine_audit.ledger_members AS m
      WHERE m.seal_id IN (SELECT seal_id FROM ine_audit.ledger_digests) GROUP BY m.delivery_id`);
    const leaves = await queryRows<{ delivery_id: string }>(client, 'SELECT DISTINCT delivery_id FROM ine_audit.ledger_leaves WHERE inserted_at < fromUnixTimestamp64Milli({e:Int64})', { e: sealedEnd });
    expect(counted.map((c) => c.delivery_id).sort()).toEqual(leaves.map((l) => l.delivery_id).sort());
    expect(counted.every((c) => c.n === '1' || Number(c.n) === 1)).toBe(true);
    expect(counted.length).toBe(24);

    const digests = await queryRows<{ seq: number; s: string; e: string; leaf_count: number }>(client, 'SELECT seq, toString(interval_start) AS s, toString(interval_end) AS e, leaf_count FROM ine_audit.ledger_digests ORDER BY seq');
    digests.forEach((d, i) => {
      expect(Number(d.seq)).toBe(i);
      if (i > 0) expect(d.s).toBe(digests[i - 1]!.e);
    });
    const result = await verifyStore(run(client), key, verifyOptions);
    expect(result.findings.filter((f) => f.kind === 'tampered')).toEqual([]);
    expect(result.leaves).toBe(24);
  });

  it('seals a redelivered or re-derived copy of a sealed delivery nowhere again, and a late leaf in the next digest', async () => {
    const client = await testClickHouse();
    const [session] = await seedSessions(client, 1);
    const sealedEnd = await sealThrough(client, key, (await storeNowMs(client)) + 1);
    // A copy of the same raw row again (Kafka redelivery, npm run replay --from/--to), and a session whose
    // leaves carry an insert time inside the sealed interval (an insert that became visible after the seal).
    await client.command({ query: 'INSERT INTO ine_audit.raw_payloads SELECT * FROM ine_audit.raw_payloads WHERE session_id = {s:String}', query_params: { s: session } });
    const [lateSession] = await seedSessions(client, 1);
    await client.command({
      query: `INSERT INTO ine_audit.ledger_leaves (delivery_id, kind, integration, session_id, source, body_sha256, received_at, inserted_at)
              SELECT delivery_id, kind, integration, session_id, source, body_sha256, received_at, fromUnixTimestamp64Milli({t:Int64}) FROM ine_audit.raw_payloads WHERE session_id = {s:String}`,
      query_params: { t: sealedEnd - 1, s: lateSession },
    });
    const before = await verifyStore(run(client), key, verifyOptions);
    const lateIds = (await queryRows<{ delivery_id: string }>(client, 'SELECT delivery_id FROM ine_audit.deliveries WHERE session_id = {s:String}', { s: lateSession })).map((r) => r.delivery_id);
    expect(before.findings.filter((f) => lateIds.some((id) => f.what.includes(id))).map((f) => f.kind)).toEqual(['unsealed', 'unsealed', 'unsealed']);
    await nextInterval(client);
    await sealThrough(client, key, (await storeNowMs(client)) + 1);
    const sealedIn = await queryRows<{ delivery_id: string; seq: string }>(client, `
      SELECT m.delivery_id, d.seq FROM ine_audit.ledger_members AS m INNER JOIN ine_audit.ledger_digests AS d ON d.seal_id = m.seal_id
      WHERE m.delivery_id IN (SELECT delivery_id FROM ine_audit.deliveries WHERE session_id IN ({s:String}, {late:String}))`, { s: session, late: lateSession });
    expect(sealedIn.length).toBe(6);
    expect(new Set(sealedIn.map((r) => r.delivery_id)).size).toBe(6);
    const late = sealedIn.find((r) => r.delivery_id === lateIds[0])!;
    const [lateDigest] = await queryRows<{ s: string }>(client, 'SELECT toUnixTimestamp64Milli(interval_start) AS s FROM ine_audit.ledger_digests WHERE seq = {q:UInt64}', { q: late.seq });
    expect(Number(lateDigest!.s)).toBeGreaterThanOrEqual(sealedEnd);
  });

  it('writes exactly one digest per interval when two sealers race, and the loser leaves no members that count', async () => {
    const client = await testClickHouse();
    await nextInterval(client);
    await seedSessions(client, 4);
    await nextInterval(client);
    await new Promise((r) => setTimeout(r, fastSeal.graceMs + 20));
    const results = await Promise.all([sealNext(client, key, fastSeal), sealNext(client, key, fastSeal), sealNext(client, key, fastSeal)]);
    expect(results.filter((r) => r.outcome === 'sealed').length).toBe(1);
    expect(results.filter((r) => r.outcome === 'lost').length).toBe(2);
    await sealDue(client, key, fastSeal);
    const perInterval = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM ine_audit.ledger_digests GROUP BY interval_start HAVING n > 1');
    expect(perInterval).toEqual([]);
    const result = await verifyStore(run(client), key, verifyOptions);
    expect(result.findings.filter((f) => f.kind !== 'unsealed')).toEqual([]);
  });

  it('repairs a crash between members and digest: the orphan members are ignored and the interval is sealed once', async () => {
    const client = await testClickHouse();
    await nextInterval(client);
    const [session] = await seedSessions(client, 1);
    await nextInterval(client);
    // What a sealer killed after its members insert leaves behind: members of a seal no digest names.
    await client.command({
      query: `INSERT INTO ine_audit.ledger_members SELECT 'crashed-seal', delivery_id, repeat('0', 64) FROM ine_audit.deliveries WHERE session_id = {s:String}`,
      query_params: { s: session },
    });
    await sealThrough(client, key, (await storeNowMs(client)) + 1);
    const sealed = await queryRows<{ n: string }>(client, `
      SELECT count() AS n FROM ine_audit.ledger_members WHERE seal_id IN (SELECT seal_id FROM ine_audit.ledger_digests)
        AND delivery_id IN (SELECT delivery_id FROM ine_audit.deliveries WHERE session_id = {s:String})`, { s: session });
    expect(Number(sealed[0]!.n)).toBe(3);
    const result = await verifyStore(run(client), key, verifyOptions);
    expect(result.findings.filter((f) => f.kind === 'tampered')).toEqual([]);
  });
});

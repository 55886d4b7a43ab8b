import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../../lib/clickhouse.js';
import { testClickHouse } from '../helpers/clickhouse.js';
import { cliAgainstTestStore, cliRun } from './support-cli.js';
import { fastSeal, nextInterval, sealThrough, seedSessions } from './support.js';

/*
 * `npm run audit -- report` carries the ledger's digests for its period and the public key; `verify`
 * checks their signatures and links; and the README's openssl recipe checks them with openssl alone.
 */
describe('evidence packs carry the ledger', () => {
  let client: ClickHouseClient;
  let ctx: Awaited<ReturnType<typeof cliAgainstTestStore>>;
  let pack: string;
  let manifest: { ledger: { digests: Array<{ seq: number; file: string; signature: string; leaf_count: number }> } };

  beforeAll(async () => {
    client = await testClickHouse();
    ctx = await cliAgainstTestStore(client, { LEDGER_LATE_WINDOW_MS: '60000' });
    const start = await nextInterval(client);
    await seedSessions(client, 3);
    await sealThrough(client, ctx.key, start + 3 * fastSeal.intervalMs);
    pack = join(mkdtempSync(join(tmpdir(), 'ine-audit-pack-')), 'pack');
    const today = new Date(start).toISOString().slice(0, 10);
    const tomorrow = new Date(start + 86_400_000).toISOString().slice(0, 10);
    const report = await cliRun('audit', ['report', '--from', today, '--to', tomorrow, '--out', pack], ctx.env);
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    manifest = JSON.parse(readFileSync(join(pack, 'manifest.json'), 'utf8'));
  });
  afterAll(async () => ctx.stop());

  it('includes the public key and every digest of the period, and verify checks them', async () => {
    expect(readFileSync(join(pack, 'ledger/public-key.pem'), 'utf8')).toBe(ctx.key.publicKeyPem);
    const digests = manifest.ledger.digests;
    expect(digests.length).toBeGreaterThanOrEqual(3);
    expect(digests.map((d) => d.seq)).toEqual(digests.map((_, i) => digests[0]!.seq + i));
    expect(digests.reduce((n, d) => n + d.leaf_count, 0)).toBeGreaterThanOrEqual(9);
    const ok = await cliRun('audit', ['verify', pack], ctx.env);
    expect(ok.stdout).toMatch(/^OK /);
    expect(ok.code).toBe(0);
  });

  it('ledger-status (an audit query, through the SQL door as the analyst) counts the sealed intervals, leaves and last seal', async () => {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const status = await cliRun('audit', ['ledger-status', '--from', day(Date.now() - 86_400_000), '--to', day(Date.now() + 86_400_000), '--format', 'json'], ctx.env);
    expect(status.stderr).toBe('');
    const [row] = JSON.parse(status.stdout) as Array<Record<string, number | string>>;
    const sealed = manifest.ledger.digests;
    expect(Number(row!.intervals_sealed)).toBeGreaterThanOrEqual(sealed.length);
    expect(Number(row!.leaves_sealed)).toBeGreaterThanOrEqual(sealed.reduce((n, d) => n + d.leaf_count, 0));
    expect(String(row!.last_sealed_at)).toMatch(/^\d{4}-\d{2}-\d{2} /);
  });

  it('passes the README recipe with the real openssl binary: signature, then the link to the next digest', () => {
    const [first, second] = manifest.ledger.digests;
    // As in the README: openssl pkeyutl -verify -pubin -inkey ledger/public-key.pem -rawin -in <digest>.json -sigfile <digest>.sig
    const verified = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'ledger/public-key.pem', '-rawin', '-in', first!.file, '-sigfile', first!.signature], { cwd: pack, encoding: 'utf8' });
    expect(verified.stdout.trim()).toBe('Signature Verified Successfully');
    expect(verified.status).toBe(0);
    // openssl dgst -sha256 <digest>.json is the next digest's previous_digest_hash.
    const digestOfFirst = execFileSync('openssl', ['dgst', '-sha256', '-r', first!.file], { cwd: pack, encoding: 'utf8' }).split(' ')[0];
    expect(JSON.parse(readFileSync(join(pack, second!.file), 'utf8')).previous_digest_hash).toBe(digestOfFirst);
  });

  it('fails openssl and verify when one byte of a digest signature is flipped', async () => {
    const { signature, file, seq } = manifest.ledger.digests[1]!;
    const bytes = readFileSync(join(pack, signature));
    bytes[5]! ^= 0x01;
    writeFileSync(join(pack, signature), bytes);
    const rejected = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'ledger/public-key.pem', '-rawin', '-in', file, '-sigfile', signature], { cwd: pack, encoding: 'utf8' });
    expect(rejected.status).not.toBe(0);
    expect(rejected.stdout).toMatch(/Signature Verification Failure/);
    const result = await cliRun('audit', ['verify', pack], ctx.env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`TAMPERED ${signature}: bad signature for digest #${seq}`);
  });
});

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createClickHouse, DATABASE, insertOnce, queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { loadMigrations, migrate, onCluster, requireCurrentSchema } from '../../lib/migrate.js';
import { repoRoot } from '../helpers/processes.js';

const run = promisify(execFile);
const freshDir = () => mkdtempSync(join(tmpdir(), 'ine-audit-migrate-'));

describe('migrations as a deployment step', () => {
  let client: ClickHouseClient;
  afterAll(async () => client?.close());

  it('two migrators at once on one store: exactly one applies each migration, the other finds nothing to do', async () => {
    client = createClickHouse({ clickhouse: { url: undefined, user: undefined, password: undefined }, dataDir: freshDir() });
    const results = await Promise.all([migrate(client), migrate(client)]);
    const all = loadMigrations().map((m) => m.name);
    expect(results.map((r) => r.length).sort()).toEqual([0, all.length]);
    const applied = await queryRows<{ version: number; n: number }>(client, `SELECT version, count() AS n FROM ${DATABASE}.schema_migrations GROUP BY version ORDER BY version`);
    expect(applied.map((r) => Number(r.n))).toEqual(all.map(() => 1));
    const lock = await queryRows<{ generation: number; claims: number; releases: number }>(
      client, `SELECT generation, countIf(event = 'claim') AS claims, countIf(event = 'release') AS releases FROM ${DATABASE}.schema_migration_lock GROUP BY generation ORDER BY generation`);
    expect(lock.map((l) => [Number(l.claims), Number(l.releases)])).toEqual([[1, 1], [1, 1]]);
    await expect(requireCurrentSchema(client)).resolves.toBeUndefined();
  });

  it('waits for a live holder and gives up with its name; breaks a lock whose lease has passed', async () => {
    const insertClaim = (generation: number, leaseUntil: string) =>
      insertOnce(client, `${DATABASE}.schema_migration_lock`, { generation, event: 'claim', owner: 'other-host:42:x', lease_until: leaseUntil }, `claim-${generation}`);
    const [{ g }] = (await queryRows<{ g: number }>(client, `SELECT max(generation) AS g FROM ${DATABASE}.schema_migration_lock`)) as [{ g: number }];
    await insertClaim(Number(g) + 1, '2200-01-01 00:00:00.000');
    await expect(migrate(client, { waitMs: 500 })).rejects.toThrow('another migrator (other-host:42:x) holds the migration lock');
    await insertClaim(Number(g) + 2, '2000-01-01 00:00:00.000');
    await expect(migrate(client, { waitMs: 500 })).resolves.toEqual([]);
  });

  it('two `npm run migrate` processes on one embedded store: one applies, the other waits and is up to date', async () => {
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: freshDir() };
    const migrator = () => run(process.execPath, ['--import', 'tsx', 'cli/migrate.ts'], { cwd: repoRoot, env, timeout: 120_000 });
    const outputs = await Promise.all([migrator(), migrator()]);
    const verdicts = outputs.map((o) => o.stdout.trim().split(':')[0]).sort();
    expect(verdicts).toEqual(['applied', 'up to date']);
  });

  it('a processor started on an unmigrated store refuses, naming `npm run migrate`', async () => {
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: freshDir(), KAFKA_BROKERS: inject('services').kafkaBrokers, KAFKA_TOPIC_PREFIX: `unmigrated-${process.pid}.`, PORT: '0', ADMIN_PORT: '0', CLICKHOUSE_HTTP_PORT: '0', LOG_LEVEL: 'warn', PSEUDONYM_PEPPER: 'test-pepper-0123456789abcdef' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/processor.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain(`the store's schema is at version 0, this release needs ${loadMigrations().at(-1)!.version}`);
    expect(output).toContain('run `npm run migrate` first');
  });

  it('with CLICKHOUSE_CLUSTER every statement is DDL ClickHouse parses, ON CLUSTER and on Replicated engines', async () => {
    const statements = loadMigrations().flatMap((m) => m.statements).map((s) => onCluster(s, 'ine_cluster'));
    let ddl = 0;
    for (const statement of statements) {
      const [{ formatted }] = (await queryRows<{ formatted: string }>(client, 'SELECT formatQuery({q:String}) AS formatted', { q: statement })) as [{ formatted: string }];
      if (/^(CREATE|ALTER|DROP)/.test(formatted)) {
        ddl++;
        expect(formatted, statement.slice(0, 80)).toContain('ON CLUSTER ine_cluster');
      }
      expect(formatted).not.toMatch(/ENGINE = (Replacing|Aggregating|Summing)?MergeTree\b/);
    }
    expect(ddl).toBeGreaterThan(30);
    expect(statements.filter((s) => /ENGINE = Replicated/.test(s))).toHaveLength(statements.filter((s) => /ENGINE =/.test(s)).length);
    expect(() => onCluster('CREATE TABLE x (a UInt8) ENGINE = MergeTree ORDER BY a', "c'; DROP")).toThrow('plain identifier');
  });
});

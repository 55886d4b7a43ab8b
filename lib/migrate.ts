import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from './hash.js';
import { DATABASE, insertOnce, queryRows, type ClickHouseClient } from './clickhouse.js';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'migrations');

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

/** Statements end with `;` at the end of a line; a file may hold one table and its seed rows. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

export function loadMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return { version: Number(file.slice(0, 4)), name: file.replace(/\.sql$/, ''), checksum: sha256Hex(text), statements: splitStatements(text) };
    });
}

export class MigrationChecksumError extends Error {
  override name = 'MigrationChecksumError';
}

export class SchemaOutdatedError extends Error {
  override name = 'SchemaOutdatedError';
}

export interface MigrateOptions {
  rawRetentionDays?: number;
  /** CLICKHOUSE_CLUSTER: DDL runs ON CLUSTER with Replicated engines. */
  cluster?: string;
  /** How long a lock's holder may take before another migrator may break it. */
  leaseMs?: number;
  /** How long to wait for another migrator before giving up. */
  waitMs?: number;
}

const clusterName = /^[A-Za-z0-9_]+$/;

/**
 * A statement of our own migrations for a self-managed cluster: `ON CLUSTER` after the object it
 * creates, alters or drops, and the Replicated variant of each MergeTree engine (default replica
 * path and name from the server's config). The migration files are ours; ClickHouse parses the result
 * in schemas/migrations.test.ts.
 */
export function onCluster(statement: string, cluster: string): string {
  if (!clusterName.test(cluster)) throw new Error(`CLICKHOUSE_CLUSTER must be a plain identifier, got '${cluster}'`);
  return statement
    .replace(/^((?:CREATE (?:OR REPLACE )?(?:TABLE|VIEW|MATERIALIZED VIEW|DATABASE)(?: IF NOT EXISTS)?|ALTER TABLE|DROP (?:TABLE|VIEW)(?: IF EXISTS)?) [\w.]+)/i, `$1 ON CLUSTER ${cluster}`)
    .replace(/\bENGINE = (Replacing|Aggregating|Summing)?MergeTree\b/g, 'ENGINE = Replicated$1MergeTree');
}

const ddl = (statement: string, options: MigrateOptions) => (options.cluster ? onCluster(statement, options.cluster) : statement);

async function ensureBookkeeping(client: ClickHouseClient, options: MigrateOptions): Promise<void> {
  await client.command({ query: ddl(`CREATE DATABASE IF NOT EXISTS ${DATABASE}`, options) });
  await client.command({
    query: ddl(`CREATE TABLE IF NOT EXISTS ${DATABASE}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = MergeTree ORDER BY version`, options),
  });
  // One claim row per generation survives: a second claim with the same deduplication token is dropped (insertOnce).
  await client.command({
    query: ddl(`CREATE TABLE IF NOT EXISTS ${DATABASE}.schema_migration_lock
      (generation UInt64, event Enum8('claim' = 1, 'release' = 2), owner String, at DateTime64(3, 'UTC') DEFAULT now64(3), lease_until DateTime64(3, 'UTC'))
      ENGINE = MergeTree ORDER BY (generation, event)
      SETTINGS non_replicated_deduplication_window = 1000`, options),
  });
}

interface LockState {
  generation: number;
  owner: string;
  released: boolean;
  expired: boolean;
}

async function lockState(client: ClickHouseClient): Promise<LockState | null> {
  const [row] = await queryRows<{ generation: number; owner: string; released: number; expired: number }>(
    client,
    `SELECT generation, argMinIf(owner, at, event = 'claim') AS owner, countIf(event = 'release') > 0 AS released,
            maxIf(lease_until, event = 'claim') < now64(3) AS expired
     FROM ${DATABASE}.schema_migration_lock GROUP BY generation ORDER BY generation DESC LIMIT 1`,
  );
  return row ? { generation: Number(row.generation), owner: row.owner, released: Boolean(row.released), expired: Boolean(row.expired) } : null;
}

const lockRow = (generation: number, event: 'claim' | 'release', owner: string, leaseMs: number) => ({
  generation, event, owner, lease_until: new Date(Date.now() + leaseMs).toISOString().replace('T', ' ').replace('Z', ''),
});

/**
 * A lock in ClickHouse itself, so two migrators need nothing else to agree: each claims the next
 * generation with the same insert deduplication token, and the claim that landed first is the
 * only one stored. A holder that died is replaced once its lease has passed.
 */
async function withMigrationLock<T>(client: ClickHouseClient, options: MigrateOptions, work: () => Promise<T>): Promise<T> {
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  const leaseMs = options.leaseMs ?? 10 * 60_000;
  const deadline = Date.now() + (options.waitMs ?? 15 * 60_000);
  let generation = 0;
  for (;;) {
    const state = await lockState(client);
    if (!state || state.released || state.expired) {
      generation = (state?.generation ?? 0) + 1;
      await insertOnce(client, `${DATABASE}.schema_migration_lock`, lockRow(generation, 'claim', owner, leaseMs), `claim-${generation}`);
      if ((await lockState(client))?.owner === owner) break;
    } else if (Date.now() > deadline) {
      throw new Error(`another migrator (${state.owner}) holds the migration lock; try again when it is done`);
    }
    await sleep(200);
  }
  try {
    return await work();
  } finally {
    await insertOnce(client, `${DATABASE}.schema_migration_lock`, lockRow(generation, 'release', owner, 0), `release-${generation}`);
  }
}

async function appliedMigrations(client: ClickHouseClient): Promise<Map<number, { version: number; name: string; checksum: string }>> {
  const rows = await queryRows<{ version: number; name: string; checksum: string }>(client, `SELECT version, name, checksum FROM ${DATABASE}.schema_migrations`);
  return new Map(rows.map((r) => [Number(r.version), r]));
}

/** Applies pending migrations in order, under the migration lock; refuses to run when an applied file was edited. */
export async function migrate(client: ClickHouseClient, options: MigrateOptions = {}): Promise<string[]> {
  await ensureBookkeeping(client, options);
  const done = await withMigrationLock(client, options, async () => {
    const applied = await appliedMigrations(client);
    const names: string[] = [];
    for (const m of loadMigrations()) {
      const previous = applied.get(m.version);
      if (previous) {
        if (previous.checksum !== m.checksum) {
          throw new MigrationChecksumError(`migration ${m.name} changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      for (const statement of m.statements) await client.command({ query: ddl(statement, options) });
      await client.insert({ table: `${DATABASE}.schema_migrations`, values: [{ version: m.version, name: m.name, checksum: m.checksum }], format: 'JSONEachRow' });
      names.push(m.name);
    }
    return names;
  });
  if (options.rawRetentionDays) await applyRetention(client, options.rawRetentionDays, options);
  return done;
}

/** For services that do not migrate: refuse a store whose schema is older than this release. */
export async function requireCurrentSchema(client: ClickHouseClient): Promise<void> {
  const expected = loadMigrations();
  const applied = await appliedMigrations(client).catch(() => new Map());
  const pending = expected.filter((m) => !applied.has(m.version));
  if (pending.length === 0) return;
  const at = applied.size ? Math.max(...applied.keys()) : 0;
  throw new SchemaOutdatedError(
    `the store's schema is at version ${at}, this release needs ${expected.at(-1)!.version} (${pending.length} pending, from ${pending[0]!.name}): run \`npm run migrate\` first`,
  );
}

/** Retention of the restricted tables follows RAW_RETENTION_DAYS; a validated integer, so it can sit in DDL. */
async function applyRetention(client: ClickHouseClient, days: number, options: MigrateOptions): Promise<void> {
  if (!Number.isInteger(days) || days < 1) throw new Error(`invalid retention ${days}`);
  for (const [table, column] of [['raw_payloads', 'received_at'], ['quarantine', 'received_at']] as const) {
    await client.command({
      query: ddl(`ALTER TABLE ${DATABASE}.${table} MODIFY TTL toDateTime(${column}) + INTERVAL ${days} DAY`, options),
      clickhouse_settings: { materialize_ttl_after_modify: 0 },
    });
  }
}

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from './hash.js';
import { DATABASE, queryRows, type ClickHouseClient } from './clickhouse.js';

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

/** Applies pending migrations in order; refuses to run when an applied file was edited. */
export async function migrate(client: ClickHouseClient, options: { rawRetentionDays?: number } = {}): Promise<string[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${DATABASE}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${DATABASE}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = MergeTree ORDER BY version`,
  });
  const applied = new Map(
    (await queryRows<{ version: number; name: string; checksum: string }>(client, `SELECT version, name, checksum FROM ${DATABASE}.schema_migrations`)).map(
      (r) => [r.version, r],
    ),
  );
  const done: string[] = [];
  for (const m of loadMigrations()) {
    const previous = applied.get(m.version);
    if (previous) {
      if (previous.checksum !== m.checksum) {
        throw new MigrationChecksumError(`migration ${m.name} changed after it was applied; add a new migration instead`);
      }
      continue;
    }
    for (const statement of m.statements) await client.command({ query: statement });
    await client.insert({
      table: `${DATABASE}.schema_migrations`,
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    done.push(m.name);
  }
  if (options.rawRetentionDays) await applyRetention(client, options.rawRetentionDays);
  return done;
}

/** Retention of the restricted tables follows RAW_RETENTION_DAYS; a validated integer, so it can sit in DDL. */
async function applyRetention(client: ClickHouseClient, days: number): Promise<void> {
  if (!Number.isInteger(days) || days < 1) throw new Error(`invalid retention ${days}`);
  for (const [table, column] of [['raw_payloads', 'received_at'], ['quarantine', 'received_at']] as const) {
    await client.command({
      query: `ALTER TABLE ${DATABASE}.${table} MODIFY TTL toDateTime(${column}) + INTERVAL ${days} DAY`,
      clickhouse_settings: { materialize_ttl_after_modify: 0 },
    });
  }
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createClickHouse, queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { migrate } from '../../lib/migrate.js';

let shared: Promise<ClickHouseClient> | null = null;
let sharedDir: string | null = null;

/** The data directory behind testClickHouse() on chdb (for a SQL door over it). */
export const testDataDir = (): string => {
  if (!sharedDir) throw new Error('testClickHouse() first');
  return sharedDir;
};

/**
 * One migrated ClickHouse per test process: the server from CLICKHOUSE_URL, or chdb in a directory
 * of this process's own (libchdb binds one directory per process).
 */
export function testClickHouse(): Promise<ClickHouseClient> {
  shared ??= (async () => {
    const url = inject('services')?.clickhouseUrl ?? undefined;
    const client = createClickHouse({
      clickhouse: { url, user: undefined, password: undefined },
      dataDir: (sharedDir = mkdtempSync(join(tmpdir(), 'ine-audit-ch-'))),
    });
    await migrate(client);
    return client;
  })();
  return shared;
}

export const rows = queryRows;

import { existsSync, readFileSync } from 'node:fs';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import type { Config } from '../lib/config.js';
import { createClickHouse, isEmbedded, queryRows, streamValues } from '../lib/clickhouse.js';
import { createLogger } from '../lib/logger.js';
import { doorFile, withLocalSecrets } from '../lib/local-secrets.js';
import type { RunQuery, StreamQuery } from '../audits/runner.js';
import type { Door } from '../sqldoor/door.js';

export type { RunQuery, StreamQuery };
export type SqlUser = 'analyst' | 'operator';

export interface SqlClient {
  run: RunQuery;
  /** Rows as they arrive, for results too large to hold. */
  stream: StreamQuery;
  close: () => Promise<void>;
  via: string;
}

const streamOf = (client: ClickHouseClient): StreamQuery => (query, params = {}) => streamValues(client, query, params);

const settings = { date_time_input_format: 'best_effort', output_format_json_quote_64bit_integers: 0 } as const;

async function answers(url: string): Promise<boolean> {
  return fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
}

/** Where the store's owner serves its door, if it is running. */
async function runningDoor(config: Config): Promise<string | null> {
  const announced = existsSync(doorFile(config.dataDir)) ? (JSON.parse(readFileSync(doorFile(config.dataDir), 'utf8')) as { url: string }).url : null;
  for (const url of [announced, `http://${config.sqlDoor.host}:${config.sqlDoor.port}`]) if (url && (await answers(url))) return url;
  return null;
}

/**
 * SQL for the CLIs, one client path for both modes: @clickhouse/client over ClickHouse's HTTP interface.
 * A server (CLICKHOUSE_URL) directly; the embedded store through its SQL door as `analyst` (or the
 * operator, with the admin token): the running service's door, or, when nobody holds the store, a door
 * of this process's own on a free loopback port, with the same roles, limits and access log.
 */
export async function openReadOnly(base: Config, user: SqlUser = 'analyst'): Promise<SqlClient> {
  if (!isEmbedded(base)) {
    const client = createClickHouse(base);
    return { run: (query, params = {}) => queryRows(client, query, params), stream: streamOf(client), close: () => client.close(), via: base.clickhouse.url! };
  }
  const config = withLocalSecrets(base, { integrations: false });
  let url = await runningDoor(config);
  let own: { door: Door; close: () => Promise<void> } | null = null;
  if (!url) {
    const store = createClickHouse(config);
    // Opening an embedded store starts its background pools; a reader leaves merges to the owner.
    for (const query of ['SYSTEM STOP MERGES', 'SYSTEM STOP TTL MERGES']) await store.command({ query });
    // A CLI's stderr carries its own error; its door logs only when asked to (LOG_LEVEL=debug).
    const log = createLogger(['debug', 'trace'].includes(config.logLevel) ? config.logLevel : 'fatal', pino.destination(2));
    const { startDoor } = await import('../sqldoor/door.js');
    const door = await startDoor({ config, client: store, log, host: '127.0.0.1', port: 0, announce: false });
    own = { door, close: () => store.close() };
    url = door.url;
  }
  const password = user === 'operator' ? config.adminToken! : config.sqlDoor.passwords.analyst!;
  // The CLI's own messages are its errors; the client's logger would print them twice.
  const client = createClient({ url, username: user, password, database: 'ine_audit', clickhouse_settings: settings, request_timeout: 300_000, log: { level: ClickHouseLogLevel.OFF } });
  return {
    run: (query, params = {}) => queryRows(client, query, params),
    stream: streamOf(client),
    close: async () => {
      await client.close();
      if (own) {
        await own.door.stop();
        await own.close();
      }
    },
    via: own ? `chdb ${config.dataDir} (own SQL door)` : url,
  };
}

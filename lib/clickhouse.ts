import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { createClient, parseError, type ClickHouseClient } from '@clickhouse/client';
import type { createChdbConnection as CreateChdbConnection } from 'chdb/connection';
import type { Config } from './config.js';

export type { ClickHouseClient };

export const DATABASE = 'ine_audit';

/**
 * A query's memory must not depend on what ran before it. With hash-table statistics on, the engine
 * preallocates each aggregating thread's table for the largest size a query of that shape ever reached:
 * after the door's one-thread analyst ran a year's period-summary (8.8 M sessions in one table), the
 * same query on two threads preallocated two of those and failed its 1 GB limit every time, where it
 * otherwise needs under 520 MB. The door's sessions and every store client run without them.
 */
export const predictableMemory = { collect_hash_table_stats_during_aggregation: 0 } as const;

const settings = {
  date_time_input_format: 'best_effort',
  output_format_json_quote_64bit_integers: 0,
  ...predictableMemory,
} as const;

/** Rows carry times as lib/time.ts writes them ('YYYY-MM-DD hh:mm:ss.mmm'), which the basic parser reads for less than best_effort. */
const insertSettings = { ...settings, date_time_input_format: 'basic' } as const;
/**
 * chdb only: below this, one thread parses an insert. Splitting a small body among parsing threads
 * costs more CPU than it saves (embedded batches of 64 webhooks: ~36 instead of ~40 ms of CPU for their
 * three inserts); a processor's 5,000-row inserts keep parallel parsing, which halves their wall time.
 */
const PARALLEL_PARSING_MIN_BYTES = 1024 * 1024;
const smallInsertSettings = { ...insertSettings, input_format_parallel_parsing: 0 } as const;

type RawInsert = (params: { table: string; columns: readonly string[]; values: Buffer; format: 'JSONCompactEachRow'; settings: Record<string, string | number> }) => Promise<unknown>;
/** chdb's own insert for clients on the embedded engine: see insertRows. */
const embeddedInserts = new WeakMap<ClickHouseClient, RawInsert>();

/** A ClickHouse server when CLICKHOUSE_URL is set, otherwise the embedded chdb engine in DATA_DIR. */
export function createClickHouse(config: Pick<Config, 'clickhouse' | 'dataDir'>): ClickHouseClient {
  if (config.clickhouse.url) {
    return createClient({
      url: config.clickhouse.url,
      username: config.clickhouse.user,
      password: config.clickhouse.password,
      clickhouse_settings: settings,
      request_timeout: 60_000,
    });
  }
  const path = resolve(config.dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  // Loaded on first use: the engine is 150 MB a CLI talking to a server or a SQL door never needs.
  const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as { createChdbConnection: typeof CreateChdbConnection };
  // chdb types against its own copy of @clickhouse/client-common; the runtime contract is the same.
  const chdb = createChdbConnection({ path });
  const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ connection, clickhouse_settings: settings });
  embeddedInserts.set(client, (params) => chdb.chdb.rawInsert(params));
  return client;
}

/**
 * Inserts rows given as value arrays in the order of `columns` (JSONCompactEachRow: a third less to
 * write and parse than keyed objects). On chdb the rows go over as one buffer to the engine's own
 * parser: the client's insert would stream them row by row through an async iterator, which costs
 * the processor about a third more main-thread time per row.
 */
export async function insertRows(client: ClickHouseClient, table: string, columns: [string, ...string[]], rows: unknown[][]): Promise<void> {
  const embedded = embeddedInserts.get(client);
  if (!embedded) {
    await client.insert({ table, columns, values: rows, format: 'JSONCompactEachRow', clickhouse_settings: insertSettings });
    return;
  }
  let body = '';
  for (const row of rows) body += `${JSON.stringify(row)}\n`;
  const values = Buffer.from(body);
  try {
    await embedded({ table, columns, values, format: 'JSONCompactEachRow', settings: values.length < PARALLEL_PARSING_MIN_BYTES ? smallInsertSettings : insertSettings });
  } catch (err) {
    // The same error shape (ClickHouseError with its type) as every other query, for isRetryable.
    throw parseError(err instanceof Error ? err.message : String(err));
  }
}

export const isEmbedded = (config: Pick<Config, 'clickhouse'>): boolean => !config.clickhouse.url;

export async function queryRows<T = Record<string, unknown>>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
  settings: Record<string, string | number> = {},
): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: settings });
  return result.json<T>();
}

/**
 * Inserts one row at most once per token: on a table with a deduplication window (replicated, or
 * non_replicated_deduplication_window), the first insert with a token is the only one stored, whoever
 * sends it. Locks, scheduled-job claims and ledger digests rest on it. The token is named on every
 * insert because chdb keeps a session's last one.
 */
export async function insertOnce(client: ClickHouseClient, table: string, row: Record<string, unknown>, token: string): Promise<void> {
  await client.insert({ table, values: [row], format: 'JSONEachRow', clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: token } });
}

/** Rows per batch of streamValues: bounded even where the transport hands over a result in one piece. */
const rowsPerBatch = 8192;

/**
 * A result a batch at a time as it arrives, each row its values in the query's column order
 * (JSONCompactEachRow: the values JSONEachRow gives, without the names, which a WithNames format
 * would repeat in every block chdb streams). A year's listing is millions of rows: no await and no
 * object per row, and lines are cut from the response bytes (a newline byte never occurs inside a
 * UTF-8 character), where the client's own row stream makes an object and a string per line. Over
 * HTTP (a server, the SQL door) the response arrives in blocks; chdb's client connection hands over a
 * result whole, which only the door avoids.
 */
export async function* streamValues(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}, settings: Record<string, string | number> = {}): AsyncGenerator<unknown[][]> {
  const result = await client.query({ query, query_params: params, format: 'JSONCompactEachRow', clickhouse_settings: settings });
  const values = (line: string): unknown[] => {
    try {
      return JSON.parse(line) as unknown[];
    } catch {
      // What a server writes when a query fails after its first rows went out.
      throw new Error(`ClickHouse stopped mid-result: ${line.slice(0, 500)}`);
    }
  };
  const raw = (result as unknown as { _stream?: AsyncIterable<Buffer> })._stream;
  if (!raw) {
    for await (const lines of result.stream()) if (lines.length) yield lines.map((l) => values(l.text));
    return;
  }
  let pending: Buffer | null = null;
  let batch: unknown[][] = [];
  for await (const chunk of raw) {
    const bytes: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    for (let end = bytes.indexOf(10); end !== -1; start = end + 1, end = bytes.indexOf(10, start)) {
      if (batch.push(values(bytes.toString('utf8', start, end))) === rowsPerBatch) {
        yield batch;
        batch = [];
      }
    }
    pending = start < bytes.length ? bytes.subarray(start) : null;
    if (batch.length) {
      yield batch;
      batch = [];
    }
  }
  const last = pending?.toString('utf8').trim();
  if (last) yield [values(last)];
}

/** Errors that a later attempt may not see: network, overload, timeouts. Everything else is a bug or bad data. */
export function isRetryable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; type?: string };
  if (e?.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_SOCKET'].includes(e.code)) return true;
  const clickhouseRetryable = ['TIMEOUT_EXCEEDED', 'TOO_MANY_SIMULTANEOUS_QUERIES', 'MEMORY_LIMIT_EXCEEDED', 'TOO_MANY_PARTS', 'NETWORK_ERROR', 'SOCKET_TIMEOUT', 'KEEPER_EXCEPTION', 'TABLE_IS_READ_ONLY'];
  if (e?.type && clickhouseRetryable.includes(e.type)) return true;
  return /timeout|socket hang up|ECONNREFUSED|ECONNRESET|connect|fetch failed/i.test(e?.message ?? '');
}

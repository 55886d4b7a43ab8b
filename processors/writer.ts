import { setTimeout as sleep } from 'node:timers/promises';
import { DATABASE, insertRows, isRetryable, type ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import { rowSchemas, type TableName, type TableRows } from '../schemas/rows.js';
import { countRows } from '../pipeline/contract.js';

export interface WriteOptions {
  /** Keep retrying while this says so (a consumer still owning its partitions). */
  keepTrying?: () => boolean;
  /** Give up after this long; undefined = for as long as keepTrying allows. */
  deadlineMs?: number;
  /** Called between attempts, e.g. to heartbeat. */
  onRetry?: () => Promise<void>;
}

export interface RowWriter {
  write(rows: TableRows, options?: WriteOptions): Promise<void>;
}

export class InsertGaveUpError extends Error {
  override name = 'InsertGaveUpError';
}

/** Evidence first: once a normalized row is visible, its raw copy and delivery record already are. */
const insertRank: Record<TableName, number> = {
  raw_payloads: 0, quarantine: 1, rejection_log: 2, dead_letters: 3, deliveries: 4, consent_rows: 5, event_rows: 6, decision_rows: 7,
};
const insertOrder = (Object.keys(insertRank) as TableName[]).sort((a, b) => insertRank[a] - insertRank[b]);

const columnsOf = Object.fromEntries(insertOrder.map((t) => [t, Object.keys(rowSchemas[t].shape) as [string, ...string[]]])) as Record<TableName, [string, ...string[]]>;
const asArrays = (columns: string[], rows: unknown[]) => rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c]));

/** Inserts each table's rows; retries only what a later attempt can fix, with capped backoff. */
export function createRowWriter(client: ClickHouseClient, log: Logger, onInserted?: (table: TableName, rows: number, ms: number) => void): RowWriter {
  async function insertOnce(rows: TableRows): Promise<void> {
    for (const table of insertOrder) {
      const values = rows[table] as unknown[] | undefined;
      if (!values?.length) continue;
      const started = performance.now();
      const columns = columnsOf[table];
      await insertRows(client, `${DATABASE}.${table}`, columns, asArrays(columns, values));
      onInserted?.(table, values.length, performance.now() - started);
    }
  }

  return {
    async write(rows, options = {}) {
      if (countRows(rows) === 0) return;
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        try {
          await insertOnce(rows);
          return;
        } catch (err) {
          const elapsed = Date.now() - started;
          const give = !isRetryable(err) || options.keepTrying?.() === false || (options.deadlineMs !== undefined && elapsed >= options.deadlineMs);
          if (give) throw isRetryable(err) ? new InsertGaveUpError('ClickHouse insert kept failing', { cause: err }) : err;
          const backoff = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
          log.warn({ err, attempt, backoffMs: backoff }, 'insert failed, retrying');
          await options.onRetry?.();
          await sleep(backoff);
        }
      }
    },
  };
}

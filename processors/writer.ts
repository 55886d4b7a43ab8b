import { setTimeout as sleep } from 'node:timers/promises';
import { DATABASE, insertRows, isRetryable, type ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import { rowSchemas, type TableName, type TableRows } from '../schemas/rows.js';
import { countRows } from './handle.js';

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

/**
 * Group commit for the embedded mode and imports: callers wait until their rows are in ClickHouse.
 * While an insert is in flight, whatever arrives waits and goes out together in the next one; when
 * idle, rows go out on the next tick (so one tick's callers still share an insert). No timer: an
 * insert's fixed cost, not a wait, sets the batch size; a batch is closed at maxRows.
 */
export function createBatcher(writer: RowWriter, options: { maxRows: number; deadlineMs: number }) {
  type Pending = { rows: TableRows; count: number; waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> };
  const queue: Pending[] = [];
  let inFlight: Promise<void> | null = null;
  let scheduled = false;

  async function insert(batch: Pending): Promise<void> {
    try {
      await writer.write(batch.rows, { deadlineMs: options.deadlineMs });
      batch.waiters.forEach((w) => w.resolve());
    } catch (err) {
      batch.waiters.forEach((w) => w.reject(err));
    }
  }

  function pump(): void {
    scheduled = false;
    const batch = inFlight ? undefined : queue.shift();
    if (!batch) return;
    inFlight = insert(batch).finally(() => {
      inFlight = null;
      pump();
    });
  }

  return {
    submit(rows: TableRows): Promise<void> {
      return new Promise((resolve, reject) => {
        let pending = queue.at(-1);
        if (!pending || pending.count >= options.maxRows) queue.push((pending = { rows: {}, count: 0, waiters: [] }));
        for (const [table, values] of Object.entries(rows) as Array<[TableName, unknown[] | undefined]>) {
          if (values?.length) ((pending.rows[table] ??= [] as never) as unknown[]).push(...values);
        }
        pending.count += countRows(rows);
        pending.waiters.push({ resolve, reject });
        if (!inFlight && !scheduled) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
    /** Resolves once everything submitted so far is inserted (or failed). */
    async flush(): Promise<void> {
      while (inFlight || queue.length) {
        if (!inFlight) pump();
        await inFlight;
      }
    },
  };
}
export type Batcher = ReturnType<typeof createBatcher>;

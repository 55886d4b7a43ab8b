import { DATABASE, insertRows, type ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import { fromEpochMs } from '../lib/time.js';

/** One query through the door, as `ine_audit.sql_access_log` keeps it: never the query text. */
export interface AccessLogEntry {
  at: number;
  user: string;
  clientAddress: string;
  queryId: string;
  queryHash: string;
  statement: string;
  tables: string[];
  resultRows: number;
  resultBytes: number;
  durationMs: number;
  outcome: 'ok' | 'denied' | 'error' | 'auth_failed' | 'cancelled';
  errorCode: number;
  errorName: string;
}

export const accessLogColumns: [string, ...string[]] = ['at', 'user', 'client_address', 'query_id', 'query_hash', 'statement', 'tables', 'result_rows', 'result_bytes', 'duration_ms', 'outcome', 'error_code', 'error_name'];

/** An entry as a row of `sql_access_log`, in the order of accessLogColumns. */
export const accessLogRow = (e: AccessLogEntry): unknown[] => [fromEpochMs(e.at), e.user, e.clientAddress, e.queryId, e.queryHash, e.statement, e.tables, e.resultRows, e.resultBytes, e.durationMs, e.outcome, e.errorCode, e.errorName];

/**
 * Entries are written a second after they happen, in one insert (one part) per second however many
 * queries ran; stop() writes what is left.
 */
export function createAccessLog(client: ClickHouseClient, log: Logger, flushMs = 1000) {
  let pending: AccessLogEntry[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (pending.length === 0) return writing;
    const batch = pending;
    pending = [];
    writing = writing.then(() => insertRows(client, `${DATABASE}.sql_access_log`, accessLogColumns, batch.map(accessLogRow))).catch((err) => {
      pending.unshift(...batch);
      log.error({ err, entries: batch.length }, 'sql access log insert failed; kept for the next flush');
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  return {
    record(entry: AccessLogEntry): void {
      pending.push(entry);
      log.info({ user: entry.user, outcome: entry.outcome, queryId: entry.queryId, tables: entry.tables, rows: entry.resultRows, ms: entry.durationMs, error: entry.errorName || undefined }, 'sql door query');
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

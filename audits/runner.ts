import type { AuditQuery } from './catalog.js';
import type { QueryParams } from './params.js';

/** Read-only query execution: a ClickHouse server, chdb, or the running service's admin endpoint. */
export type RunQuery = (query: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>[]>;

export type Row = Record<string, unknown>;

/**
 * Rows as they arrive, a batch at a time, each its values in the query's column order (DESCRIBE's),
 * for results too large to hold (listings, their CSV).
 */
export type StreamQuery = (query: string, params?: Record<string, unknown>) => AsyncIterable<unknown[][]>;

export interface Column {
  name: string;
  type: string;
}

export interface AuditResult {
  query: AuditQuery;
  params: QueryParams;
  /** From DESCRIBE, so an empty result still has its header. */
  columns: Column[];
  rows: Row[];
}

/** The column names and types a query returns, without running it. */
export async function describeQuery(run: RunQuery, sql: string, params: QueryParams): Promise<Column[]> {
  // The newline keeps a trailing `-- comment` in the file from swallowing the parenthesis.
  const described = await run(`DESCRIBE (\n${sql}\n)`, params);
  return described.map((c) => ({ name: String(c.name), type: String(c.type) }));
}

/** Runs one catalog query with validated parameters; values travel as query parameters only. */
export async function runAudit(run: RunQuery, query: AuditQuery, params: QueryParams): Promise<AuditResult> {
  const columns = await describeQuery(run, query.sql, params);
  const rows = await run(query.sql, params);
  return { query, params, columns, rows: rows.map(inOrderOf(columns)) };
}

/** A row keyed in DESCRIBE order whatever order the transport kept. */
export const inOrderOf = (columns: Column[]) => {
  const names = columns.map((c) => c.name);
  return (r: Row): Row => Object.fromEntries(names.map((n) => [n, r[n] ?? null]));
};

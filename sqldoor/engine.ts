import { resolve } from 'node:path';
import { Session } from 'chdb';
import { predictableMemory } from '../lib/clickhouse.js';
import type { Limits, Role } from '../schemas/access.js';
import { DoorError, fromEngine } from './errors.js';
import { checkAst, checkQueryTree, type Catalog, type FunctionInfo } from './policy.js';
import { parseTree } from './syntax.js';

/**
 * The embedded store seen through the door: every request gets a connection of its own (about 1.5 ms),
 * so its settings, parameters and database never reach another request. The connection runs with the
 * role's limits and readonly=1, which the engine enforces (writes, SET, SETTINGS, file() and the like);
 * the policy decides the rest before anything runs.
 */

export interface DoorQuery {
  id: string;
  role: Role;
  sql: string;
  database: string;
  format: string;
  params: Record<string, string>;
  /** Settings the client asked for, already allowed by the caller. */
  settings: Record<string, string>;
  limits: Limits;
}

export interface Chunk {
  bytes: Uint8Array;
  rows: number;
}

export interface Prepared {
  queryHash: string;
  statement: string;
  tables: string[];
  format: string;
  chunks: AsyncIterable<Chunk>;
  /** Cancel and release the connection (idempotent). */
  close(): void;
}

/** A ClickHouse string literal of any text: the engine reads back exactly `text`. */
export const sqlString = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const identifier = (name: string) => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;

const logComment = (id: string) => `sqldoor:${id}`;
/** What every door session runs with, whatever the client asks (lib/clickhouse.ts says why). */
const fixedSettings = Object.fromEntries(Object.entries(predictableMemory).map(([k, v]) => [k, String(v)]));
const streamable = (format: string) => /^(TabSeparated|TSV|CSV|Native|RowBinary|NDJSON|JSONLines|Raw)|EachRow/.test(format) && !/WithNames/.test(format);

export interface DoorEngine {
  version: string;
  catalog: Catalog;
  settingNames: ReadonlySet<string>;
  prepare(query: DoorQuery): Promise<Prepared>;
  /** Cancels every door query still running (shutdown). */
  cancelAll(): Promise<void>;
  close(): Promise<void>;
}

async function text(session: Session, query: string, format = 'TSV'): Promise<string> {
  return (await session.queryAsync(query, { format })).text();
}

async function jsonRows<T>(session: Session, query: string): Promise<T[]> {
  const body = await text(session, query, 'JSONEachRow');
  return body.split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

async function loadCatalog(session: Session): Promise<Catalog> {
  const functions = new Map<string, FunctionInfo>();
  const functionsCi = new Map<string, FunctionInfo>();
  for (const f of await jsonRows<{ name: string; categories: string; alias_to: string; case_insensitive: number }>(session, 'SELECT name, categories, alias_to, case_insensitive FROM system.functions')) {
    const info = { name: f.name, category: f.categories, aliasTo: f.alias_to, caseInsensitive: Boolean(f.case_insensitive) };
    functions.set(f.name, info);
    if (info.caseInsensitive) functionsCi.set(f.name.toLowerCase(), info);
  }
  const combinators = (await jsonRows<{ name: string }>(session, 'SELECT name FROM system.aggregate_function_combinators ORDER BY length(name) DESC')).map((c) => c.name);
  const objects = new Map<string, { engine: string; asSelect: string; columns: Set<string> }>();
  const rows = await jsonRows<{ db: string; name: string; engine: string; as_select: string; columns: string[] }>(
    session,
    `SELECT t.database AS db, t.name AS name, t.engine AS engine, t.as_select AS as_select, groupArray(c.name) AS columns
     FROM system.tables AS t LEFT JOIN system.columns AS c ON c.database = t.database AND c.table = t.name
     WHERE t.database IN ('ine_audit', 'system', 'information_schema', 'INFORMATION_SCHEMA')
     GROUP BY db, name, engine, as_select`,
  );
  for (const r of rows) objects.set(`${r.db}.${r.name}`, { engine: r.engine, asSelect: r.as_select, columns: new Set(r.columns) });
  return { functions, functionsCi, combinators, objects };
}

export async function openDoorEngine(dataDir: string): Promise<DoorEngine> {
  const path = resolve(dataDir, 'clickhouse');
  const control = new Session(path);
  const version = (await text(control, 'SELECT version()')).trim();
  const catalog = await loadCatalog(control);
  const settingNames = new Set((await jsonRows<{ name: string }>(control, 'SELECT name FROM system.settings')).map((s) => s.name));
  const open = new Map<string, Session>();

  async function prepare(query: DoorQuery): Promise<Prepared> {
    if (query.sql.includes('\0')) throw new DoorError(62, 'SYNTAX_ERROR', 'Syntax error: the query holds a NUL byte');
    const session = new Session(path);
    open.set(query.id, session);
    let stream: ReturnType<Session['queryStream']> | null = null;
    const close = () => {
      stream?.cancel();
      if (open.delete(query.id)) session.close();
    };
    try {
      const settings = { ...Object.fromEntries(Object.entries(query.limits).map(([k, v]) => [k, String(v)])), ...query.settings, ...fixedSettings, log_comment: logComment(query.id) };
      const assignments = [
        ...Object.entries(settings).map(([k, v]) => `${k} = ${sqlString(v)}`),
        ...Object.entries(query.params).map(([k, v]) => `param_${k} = ${sqlString(v)}`),
      ];
      await text(session, `SET ${assignments.join(', ')}`);
      await text(session, `USE ${identifier(query.database)}`);
      await text(session, 'SET readonly = 1');
      const [formatted] = await jsonRows<{ q: string; h: string }>(session, `SELECT formatQuerySingleLine(${sqlString(query.sql)}) AS q, toString(normalizedQueryHash(${sqlString(query.sql)})) AS h`);
      const statement = formatted!.q;
      const ctx = { role: query.role, database: query.database, catalog };
      const ast = parseTree(await text(session, `EXPLAIN AST ${statement}`), 1);
      const checked = checkAst(ast, ctx);
      let tables = checked.tables;
      if (ast.children[0]!.kind === 'SelectWithUnionQuery') {
        const explain = async (sql: string) => parseTree(await text(session, `EXPLAIN QUERY TREE ${sql}`), 2);
        tables = [...new Set([...tables, ...(await checkQueryTree(await explain(statement), ctx, explain))])];
      }
      const format = checked.format ?? query.format;
      const kind = ast.children[0]!.kind;
      // chdb streams SELECTs only, and only row formats come out whole when streamed (its JSON, Pretty or
      // Parquet split over blocks does not parse, and a WithNames format repeats its header in every
      // block); the others answer in one piece, bounded by max_result_bytes.
      const source = kind === 'SelectWithUnionQuery' && streamable(format) ? (stream = session.queryStream(statement, { format })) : null;
      async function* chunks(): AsyncGenerator<Chunk> {
        try {
          if (!source) {
            const result = await session.queryAsync(statement, { format });
            yield { bytes: result.bytes(), rows: result.rowsRead };
            return;
          }
          for await (const chunk of source) yield { bytes: chunk.raw(), rows: chunk.numRows };
        } catch (err) {
          throw fromEngine(err);
        } finally {
          close();
        }
      }
      return { queryHash: formatted!.h, statement: kind, tables, format, chunks: chunks(), close };
    } catch (err) {
      close();
      throw fromEngine(err);
    }
  }

  async function cancelAll(): Promise<void> {
    const ids = [...open.keys()];
    if (ids.length === 0) return;
    await text(control, `KILL QUERY WHERE Settings['log_comment'] IN (${ids.map((id) => sqlString(logComment(id))).join(', ')}) ASYNC`).catch(() => undefined);
  }

  async function close(): Promise<void> {
    for (const id of [...open.keys()]) open.get(id)?.close();
    open.clear();
    control.close();
  }

  return { version, catalog, settingNames, prepare, cancelAll, close };
}

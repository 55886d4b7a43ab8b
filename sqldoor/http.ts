import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { brotliDecompressSync, createBrotliCompress, createDeflate, createGzip, gunzipSync, inflateSync } from 'node:zlib';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { roles, type Limits, type Role } from '../schemas/access.js';
import type { Logger } from '../lib/logger.js';
import type { AccessLogEntry } from './access-log.js';
import type { Chunk, DoorEngine, Prepared } from './engine.js';
import { DoorError, exceptionText, fromEngine, httpStatus } from './errors.js';
import { checkFormat } from './policy.js';
import { createCompressStream } from './compressed.js';
import { reframeNative } from './native.js';

/**
 * The read-only part of ClickHouse's HTTP interface over the embedded store
 * (https://clickhouse.com/docs/interfaces/http): what Grafana's plugin, clickhouse-connect,
 * clickhouse-go and the JDBC driver speak, for the users of schemas/access.ts.
 */

export interface DoorDeps {
  engine: DoorEngine;
  /** Secret per user: the analyst and grafana passwords, the admin token for the operator. */
  credentials: Readonly<Record<Role, string>>;
  limits: Readonly<Record<Role, Limits>>;
  maxConcurrentQueries: number;
  log: Logger;
  record: (entry: AccessLogEntry) => void;
  /** Resolves once every write the store's owner acknowledged is queryable (the embedded journal). */
  settled?: () => Promise<void>;
}

/** URL parameters of the interface itself, not settings. */
const interfaceParams = new Set([
  'query', 'database', 'default_format', 'user', 'password', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'quota_key', 'stacktrace', 'role', 'client_protocol_version', 'buffer_size', 'wait_end_of_query', 'decompress', 'compress',
]);
/** Settings about the HTTP exchange, which the door honours (or has no use for) itself. */
const exchangeSettings = new Set([
  'enable_http_compression', 'http_zlib_compression_level', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms',
  'http_wait_end_of_query', 'cancel_http_readonly_queries_on_client_close', 'http_response_buffer_size', 'add_http_cors_header',
  'http_write_exception_in_output_format',
  // Write-side settings clients send with every request; nothing is written here.
  'async_insert', 'wait_for_async_insert',
]);
/** Settings that change how a result is written, never what may be read or how much. */
const presentationSettings = new Set([
  'output_format_json_quote_64bit_integers', 'output_format_json_quote_64bit_floats', 'output_format_json_quote_denormals',
  'output_format_json_quote_decimals', 'output_format_json_named_tuples_as_objects', 'output_format_json_array_of_rows',
  'output_format_json_validate_utf8', 'output_format_json_escape_forward_slashes', 'output_format_json_pretty_print',
  'output_format_write_statistics', 'output_format_decimal_trailing_zeros', 'output_format_csv_crlf_end_of_line',
  'output_format_tsv_crlf_end_of_line', 'output_format_native_encode_types_in_binary_format',
  'output_format_binary_encode_types_in_binary_format', 'output_format_native_write_json_as_string',
  'output_format_binary_write_json_as_string', 'output_format_pretty_max_rows', 'output_format_pretty_color',
  'output_format_arrow_string_as_string', 'output_format_parquet_string_as_string', 'output_format_arrow_low_cardinality_as_dictionary',
  'date_time_output_format', 'date_time_input_format', 'session_timezone', 'format_csv_delimiter', 'format_csv_null_representation',
  'format_tsv_null_representation', 'output_format_csv_null_representation', 'output_format_tsv_null_representation',
  'join_use_nulls', 'max_block_size', 'extremes', 'use_client_time_zone', 'output_format_native_use_flattened_dynamic_and_json_serialization',
  'output_format_pretty_row_numbers', 'result_overflow_mode',
]);

const contentType = (format: string): string => {
  if (/^(TabSeparated|TSV)/.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (format.startsWith('CSV')) return `text/csv; charset=UTF-8; header=${format === 'CSV' ? 'absent' : 'present'}`;
  if (/EachRow|^NDJSON$|^JSONLines$/.test(format)) return 'application/x-ndjson; charset=UTF-8';
  if (format.startsWith('JSON')) return 'application/json; charset=UTF-8';
  if (/^(Native|RowBinary|Parquet|Arrow|ORC|BSON)/.test(format)) return 'application/octet-stream';
  if (format === 'XML') return 'application/xml; charset=UTF-8';
  return 'text/plain; charset=UTF-8';
};

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

function credentialsOf(req: FastifyRequest, url: URLSearchParams): { user: string; password: string } {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    return { user: decodeURIComponent(decoded.slice(0, at < 0 ? undefined : at)), password: at < 0 ? '' : decoded.slice(at + 1) };
  }
  const user = req.headers['x-clickhouse-user'] ?? url.get('user') ?? 'default';
  const password = req.headers['x-clickhouse-key'] ?? url.get('password') ?? '';
  return { user: String(user), password: String(password) };
}

function decodeBody(req: FastifyRequest): string {
  const body = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip') return gunzipSync(body).toString('utf8');
  if (encoding === 'deflate') return inflateSync(body).toString('utf8');
  if (encoding === 'br') return brotliDecompressSync(body).toString('utf8');
  if (encoding && encoding !== 'identity') throw new DoorError(1001, 'UNKNOWN_COMPRESSION_METHOD', `Unknown Content-Encoding: ${encoding}`);
  return body.toString('utf8');
}

function compressor(req: FastifyRequest, enabled: boolean): { name: string; stream: () => NodeJS.ReadWriteStream } | null {
  if (!enabled) return null;
  const accepted = String(req.headers['accept-encoding'] ?? '').toLowerCase().split(',').map((s) => s.trim().split(';')[0]);
  if (accepted.includes('gzip')) return { name: 'gzip', stream: () => createGzip() };
  if (accepted.includes('deflate')) return { name: 'deflate', stream: () => createDeflate() };
  if (accepted.includes('br')) return { name: 'br', stream: () => createBrotliCompress() };
  return null;
}

/** Settings from the URL: presentation ones pass, limits only tighter than the role's, anything else is refused. */
export function clientSettings(url: URLSearchParams, role: Role, limits: Limits, known: ReadonlySet<string>): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [name, value] of url) {
    if (interfaceParams.has(name) || name.startsWith('param_') || exchangeSettings.has(name)) continue;
    if (!known.has(name)) throw new DoorError(115, 'UNKNOWN_SETTING', `Unknown setting '${name}'`);
    if (name === 'readonly') {
      if (value !== '1') throw new DoorError(164, 'READONLY', `${role}: Cannot modify 'readonly' setting in readonly mode`);
      continue;
    }
    if (name in limits) {
      const ceiling = limits[name as keyof Limits];
      const asked = Number(value);
      const tighter = Number.isFinite(asked) && asked >= 0 && (ceiling === 0 ? asked >= 0 : asked > 0 && asked <= ceiling);
      if (!tighter) throw new DoorError(164, 'READONLY', `${role}: Cannot modify '${name}' setting beyond ${ceiling} (the role's limit)`);
      settings[name] = value;
    } else if (presentationSettings.has(name)) {
      if (name === 'result_overflow_mode' && value !== 'throw') throw new DoorError(164, 'READONLY', `${role}: Cannot modify 'result_overflow_mode' setting in readonly mode`);
      settings[name] = value;
    } else {
      throw new DoorError(164, 'READONLY', `${role}: Cannot modify '${name}' setting in readonly mode`);
    }
  }
  return settings;
}

interface Blocks {
  iterator: AsyncIterator<Chunk>;
  first: IteratorResult<Chunk>;
}

interface Exchange {
  entry: AccessLogEntry;
  started: number;
  version: string;
  /** Called once, when the last byte is written or the query ended in error. */
  done: () => void;
}

/**
 * Streams a prepared query's blocks once the first has arrived: an error before it was a clean
 * ClickHouse error and never a partial 200; an error after it ends the body the way ClickHouse does,
 * with its exception text.
 */
function sendResult(req: FastifyRequest, reply: FastifyReply, url: URLSearchParams, prepared: Prepared, blocks: Blocks, x: Exchange): FastifyReply {
  const { entry } = x;
  const { iterator, first } = blocks;
  const body = new PassThrough();
  const gz = compressor(req, url.get('enable_http_compression') === '1');
  reply.header('X-ClickHouse-Format', prepared.format).type(contentType(prepared.format));
  if (gz) reply.header('Content-Encoding', gz.name);
  reply.header('X-ClickHouse-Summary', JSON.stringify({ read_rows: '0', read_bytes: '0', written_rows: '0', written_bytes: '0', total_rows_to_read: '0', elapsed_ns: String((Date.now() - x.started) * 1e6) }));
  // Native as a server writes it for the client's protocol revision (clickhouse-go sends one).
  const revision = prepared.format === 'Native' ? Number(url.get('client_protocol_version') ?? 0) || 0 : 0;
  // compress=1: ClickHouse's own LZ4 blocks with CityHash128 checksums (the JDBC driver's default).
  const framed = url.get('compress') === '1' ? createCompressStream() : null;
  let clientGone = false;
  reply.raw.once('close', () => {
    clientGone = !reply.raw.writableFinished;
    if (clientGone) prepared.close();
  });
  const write = async () => {
    try {
      for (let step = first; !step.done; step = await iterator.next()) {
        entry.resultRows += step.value.rows;
        const bytes = revision > 0 ? reframeNative(step.value.bytes, revision) : step.value.bytes;
        entry.resultBytes += bytes.length;
        if (!body.write(bytes)) await new Promise((r) => body.once('drain', r));
        if (clientGone) throw new DoorError(394, 'QUERY_WAS_CANCELLED', 'Query was cancelled: the client went away');
      }
    } catch (err) {
      const e = fromEngine(err);
      entry.outcome = e.code === 394 ? 'cancelled' : 'error';
      entry.errorCode = e.code;
      entry.errorName = e.type;
      body.write(exceptionText(e, x.version));
    } finally {
      prepared.close();
      body.end();
      entry.durationMs = Date.now() - x.started;
      x.done();
    }
  };
  void write();
  let out: NodeJS.ReadableStream = body;
  for (const stage of [framed, gz?.stream()]) if (stage) out = out.pipe(stage);
  return reply.send(out);
}

export async function buildDoorApp(deps: DoorDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'sqldoor' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1_048_576, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  let running = 0;

  const ok = async (_req: FastifyRequest, reply: FastifyReply) => reply.type('text/plain; charset=UTF-8').send('Ok.\n');
  app.get('/ping', ok);
  app.get('/replicas_status', ok);

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const started = Date.now();
    const url = new URL(req.url, 'http://door').searchParams;
    const queryId = url.get('query_id') || randomUUID();
    const entry: AccessLogEntry = { at: started, user: '', clientAddress: req.ip, queryId, queryHash: '0', statement: '', tables: [], resultRows: 0, resultBytes: 0, durationMs: 0, outcome: 'ok', errorCode: 0, errorName: '' };
    reply.header('X-ClickHouse-Server-Display-Name', 'ine-audit').header('X-ClickHouse-Query-Id', queryId).header('X-ClickHouse-Timezone', 'UTC');
    let prepared: Prepared | null = null;
    let counted = false;
    try {
      const { user, password } = credentialsOf(req, url);
      entry.user = user;
      const role = (roles as readonly string[]).includes(user) ? (user as Role) : null;
      if (!role || !sameSecret(password, deps.credentials[role])) {
        entry.outcome = 'auth_failed';
        throw new DoorError(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`);
      }
      const sql = [url.get('query'), req.method === 'POST' ? decodeBody(req) : ''].filter((s) => s && s.trim()).join('\n');
      if (!sql) {
        if (req.method === 'GET') return reply.type('text/plain; charset=UTF-8').send('Ok.\n');
        throw new DoorError(62, 'SYNTAX_ERROR', 'Empty query');
      }
      if (running >= deps.maxConcurrentQueries) throw new DoorError(202, 'TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries through the SQL door. Maximum: ${deps.maxConcurrentQueries}`);
      running++;
      counted = true;
      const params = Object.fromEntries([...url].filter(([k]) => k.startsWith('param_')).map(([k, v]) => [k.slice(6), v]));
      for (const name of Object.keys(params)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new DoorError(36, 'BAD_ARGUMENTS', `Bad query parameter name: ${name}`);
      await deps.settled?.();
      prepared = await deps.engine.prepare({
        id: queryId,
        role,
        sql,
        database: url.get('database') || String(req.headers['x-clickhouse-database'] ?? '') || 'ine_audit',
        format: checkFormat(url.get('default_format') || String(req.headers['x-clickhouse-format'] ?? '') || 'TabSeparated'),
        params,
        settings: clientSettings(url, role, deps.limits[role], deps.engine.settingNames),
        limits: deps.limits[role],
      });
      entry.queryHash = prepared.queryHash;
      entry.statement = prepared.statement;
      entry.tables = prepared.tables;
      const iterator = prepared.chunks[Symbol.asyncIterator]();
      const first = await iterator.next();
      counted = false;
      return sendResult(req, reply, url, prepared, { iterator, first }, { entry, started, version: deps.engine.version, done: () => { deps.record(entry); running--; } });
    } catch (err) {
      prepared?.close();
      const e = fromEngine(err);
      if (entry.outcome === 'ok') entry.outcome = e.code === 497 || e.code === 164 ? 'denied' : 'error';
      entry.errorCode = e.code;
      entry.errorName = e.type;
      entry.durationMs = Date.now() - started;
      deps.record(entry);
      if (counted) running--;
      return reply
        .code(httpStatus(e.code))
        .header('X-ClickHouse-Exception-Code', String(e.code))
        .type('text/plain; charset=UTF-8')
        .send(exceptionText(e, deps.engine.version));
    }
  };
  app.post('/', handle);
  app.get('/', handle);
  app.setNotFoundHandler((req, reply) => {
    const e = new DoorError(1002, 'UNKNOWN_EXCEPTION', `There is no handle ${new URL(req.url, 'http://door').pathname}. Use / or /ping`);
    return reply.code(404).header('X-ClickHouse-Exception-Code', String(e.code)).type('text/plain; charset=UTF-8').send(exceptionText(e, deps.engine.version));
  });
  return app;
}

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Child processes for fault tests and benchmarks: processors that own their chdb, a broker of their own. */

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/** A port free right now on 127.0.0.1 (the OS picks it; the caller binds it soon after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `npm run migrate` for a store, as a deployment does before it starts processors: in Kafka mode
 * they check the schema and refuse an older one. Only the embedded mode migrates itself.
 */
export async function migrateStore(env: Record<string, string | undefined>): Promise<void> {
  await run(process.execPath, ['--import', 'tsx', 'cli/migrate.ts'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 });
}

/** Entry points that write the store beside others (Kafka mode) and so expect it migrated. */
export const needsMigratedStore = (entry: string, env: Record<string, string | undefined>) => Boolean(env.KAFKA_BROKERS) && entry !== 'cli/ingest.ts';

export type Sql = <T = any>(query: string, params?: Record<string, unknown>) => Promise<T[]>;

/** SQL through a service's SQL door (ClickHouse HTTP interface) as the operator, rows as JSON objects. */
export function doorSql(doorUrl: string, token: string): Sql {
  return async (query, params = {}) => {
    const search = new URLSearchParams({ default_format: 'JSONEachRow', output_format_json_quote_64bit_integers: '0', ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`param_${k}`, String(v)])) });
    const res = await fetch(`${doorUrl}/?${search}`, { method: 'POST', body: query, headers: { 'x-clickhouse-user': 'operator', 'x-clickhouse-key': token } });
    const text = await res.text();
    if (!res.ok) throw new Error(text);
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  };
}

export interface ChildService {
  child: ChildProcess;
  pid: number;
  /** Health, readiness and /metrics of the child. */
  httpUrl: string;
  adminUrl: string;
  /** The SQL door, when the child owns an embedded store. */
  sqlUrl: string;
  sql: Sql;
  /** Resolves when the process has exited (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `cli/processor.ts` (or another entry) as its own node process — node with the tsx loader
 * directly, not through npx, so a signal reaches the processor itself and not a wrapper.
 * Resolves once its admin endpoint answers.
 */
export async function spawnService(env: Record<string, string>, options: { entry?: string; readyTimeoutMs?: number; loader?: 'tsx' | 'none' } = {}): Promise<ChildService> {
  const port = await freePort();
  const adminPort = await freePort();
  const sqlPort = await freePort();
  const token = env.ADMIN_TOKEN ?? randomBytes(16).toString('hex');
  const entry = options.entry ?? 'cli/processor.ts';
  if (needsMigratedStore(entry, env)) await migrateStore(env);
  const child = spawn(process.execPath, [...(options.loader === 'none' ? [] : ['--import', 'tsx']), entry], {
    cwd: repoRoot,
    env: { ...env, HOST: '127.0.0.1', PORT: String(port), ADMIN_PORT: String(adminPort), CLICKHOUSE_HTTP_PORT: String(sqlPort), ADMIN_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (await fetch(`${adminUrl}/healthz`).then((r) => r.ok, () => false)) break;
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`child ${child.pid} ${gone ? 'exited during start-up' : 'not ready in time'}\n--- child output ---\n${output}`);
    }
    await sleep(100);
  }
  return {
    child,
    pid: child.pid!,
    httpUrl: `http://127.0.0.1:${port}`,
    adminUrl,
    sqlUrl: `http://127.0.0.1:${sqlPort}`,
    sql: doorSql(`http://127.0.0.1:${sqlPort}`, token),
    exited,
    output: () => output,
    async kill(signal = 'SIGTERM') {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}

/**
 * A Kafka broker of the test's own (scripts/kafka.sh on other ports), so a test may stop and start it
 * without disturbing the shared broker other test files use at the same time.
 */
export function dedicatedBroker(options: { port?: number; controllerPort?: number } = {}) {
  const port = options.port ?? 19092;
  const controllerPort = options.controllerPort ?? 19093;
  const dataDir = mkdtempSync(join(tmpdir(), 'ine-audit-kafka-'));
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_DATA_DIR: dataDir, KAFKA_HEAP: '384m', KAFKA_STOP_TIMEOUT: '20' };
  const script = (command: 'start' | 'stop') => run('bash', ['scripts/kafka.sh', command], { cwd: repoRoot, env, timeout: 300_000 }).then(() => undefined);
  return {
    brokers: `127.0.0.1:${port}`,
    start: () => script('start'),
    stop: () => script('stop'),
    async destroy() {
      await script('stop');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Committed offsets of consumer groups, summed per topic ({} before the first commit), over one admin connection. */
export async function offsetReader(brokers: string) {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  return {
    async committed(groupId: string, topics: string[]): Promise<Record<string, number>> {
      const offsets = await admin.fetchOffsets({ groupId, topics });
      return Object.fromEntries(offsets.map((t) => [t.topic, t.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)]));
    },
    close: () => admin.disconnect(),
  };
}

export async function committedOffsets(brokers: string, groupId: string, topics: string[]): Promise<Record<string, number>> {
  const reader = await offsetReader(brokers);
  try {
    return await reader.committed(groupId, topics);
  } finally {
    await reader.close();
  }
}

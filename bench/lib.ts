import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { randomUUID, createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pidusage from 'pidusage';
import { migrateStore, needsMigratedStore } from '../test/helpers/processes.js';

/** What every bench module returns: one figure next to the baseline measured in the same run. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  /** For the table only: the goal, if the issue sets one. */
  goal?: string;
  met?: boolean;
  note?: string;
}

export interface BenchContext {
  scale: number;
  brokers: string;
  log: (message: string) => void;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function figure(name: string, value: number, unit: string, baseline: number | null, extra: Partial<Figure> = {}): Figure {
  return { name, value: round(value), unit, baseline: baseline === null ? null : round(baseline), ratio: baseline ? round(value / baseline, 3) : null, ...extra };
}

/** Wall time of some work, in ms, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

/** CPU time a process has used so far (user + system, all its threads), in ms. */
export const cpuMs = async (pid: number): Promise<number> => (await pidusage(pid)).ctime;

/** CPU time this process has used so far, in ms. */
export const ownCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export { freePort } from '../test/helpers/processes.js';

export interface Child {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** A project entry point as its own node process (tsx loader, no npx wrapper), ready when readyUrl answers. */
export async function spawnEntry(entry: string, env: Record<string, string>, options: { readyUrl?: string; readyTimeoutMs?: number; args?: string[] } = {}): Promise<Child> {
  // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there (open in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  if (needsMigratedStore(entry, env)) await migrateStore(env);
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', entry, ...(options.args ?? [])], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString('utf8')).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => ((gone = true), resolve(code))));
  if (options.readyUrl) {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    while (!(await fetch(options.readyUrl).then((r) => r.ok, () => false))) {
      if (gone || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${entry} did not become ready:\n${output}`);
      }
      await sleep(100);
    }
  }
  return {
    child,
    output: () => output,
    exited,
    async stop() {
      if (!gone) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const fixtureDir = join(repoRoot, 'test', 'fixtures', 'veriff');
const fixtures = readdirSync(fixtureDir).filter((f) => f.startsWith('decision-')).map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')));

/** A realistic decision webhook (one of Veriff's example shapes) with fresh ids; compact JSON. */
export function decisionBody(i: number, sessionId: string = randomUUID()): string {
  const d = structuredClone(fixtures[i % fixtures.length]);
  d.verification.id = sessionId;
  d.verification.attemptId = randomUUID();
  return JSON.stringify(d);
}

export const benchAdminToken = 'bench-admin-token-0123456789';
export const benchIntegration = { name: 'bench', apiKey: 'bench-api-key', sharedSecret: 'bench-shared-secret-0123456789' };
export const sign = (body: string) => createHmac('sha256', benchIntegration.sharedSecret).update(body).digest('hex');
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Environment shared by every service a bench starts. */
export function serviceEnv(extra: Record<string, string>): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PSEUDONYM_PEPPER: 'bench-pepper-0123456789abcdef',
    ADMIN_TOKEN: benchAdminToken,
    VERIFF_INTEGRATIONS: JSON.stringify([benchIntegration]),
    // The benches measure capacity; a production limit would only measure the limiter.
    RATE_LIMIT_PER_MINUTE: '0',
    KAFKA_LAG_INTERVAL_MS: '0',
    // A free port for each service's SQL door unless the bench asks for one.
    CLICKHOUSE_HTTP_PORT: '0',
    ...extra,
  };
}

/** A keep-alive POST with node:http (no extra client library); resolves with the status once the answer is read. */
export function post(url: string, body: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

export const keepAliveAgent = (sockets: number) => new Agent({ keepAlive: true, maxSockets: sockets });

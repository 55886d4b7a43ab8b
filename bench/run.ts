import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { repoRoot, type BenchContext, type Figure } from './lib.js';
import { portOpen } from '../test/helpers/services.js';
import { benchIngest } from './ingest.bench.js';
import { benchProcessor } from './processor.bench.js';
import { benchE2e } from './e2e.bench.js';
import { benchAudits } from './audits.bench.js';
import { benchBackfill } from './backfill.bench.js';
import { benchLedger } from './ledger.bench.js';

/**
 * npm run bench [-- ingest processor e2e backfill dashboards]: every figure next to its baseline,
 * measured in this run; a markdown table on stdout and bench/results/latest.json.
 * BENCH_SCALE (default 1; 0.1 for a quick run) scales sizes and durations.
 * Kafka: KAFKA_BROKERS if set, else the local broker (scripts/kafka.sh), stopped again if started here.
 */

const env = z
  .object({ BENCH_SCALE: z.coerce.number().positive().max(10).default(1), KAFKA_BROKERS: z.string().optional() })
  .parse(process.env);
const run = promisify(execFile);
const log = (message: string) => console.error(`[bench] ${message}`);


async function broker(): Promise<{ brokers: string; stop: () => Promise<void> }> {
  if (env.KAFKA_BROKERS) return { brokers: env.KAFKA_BROKERS, stop: async () => {} };
  if (await portOpen(9092)) return { brokers: '127.0.0.1:9092', stop: async () => {} };
  log('starting the local Kafka broker (scripts/kafka.sh)');
  await run('bash', ['scripts/kafka.sh', 'start'], { cwd: repoRoot, timeout: 600_000 });
  return { brokers: '127.0.0.1:9092', stop: async () => void (await run('bash', ['scripts/kafka.sh', 'stop'], { cwd: repoRoot, timeout: 120_000 })) };
}

/** Every bench namespaces its topics under "bench-"; a processor run alone leaves ~350 MB of them. */
async function dropBenchTopics(brokers: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith('bench-'));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

type Bench = (ctx: BenchContext) => Promise<Figure[]>;

async function dashboards(): Promise<Bench | null> {
  const file = join(repoRoot, 'bench', 'dashboards.bench.ts');
  if (!existsSync(file)) return null;
  const mod = (await import('./dashboards.bench.js' as string)) as { benchDashboards?: (o: { scale: number; log: (m: string) => void }) => Promise<Figure[]> };
  return mod.benchDashboards ? (ctx) => mod.benchDashboards!({ scale: ctx.scale, log: ctx.log }) : null;
}

function table(figures: Figure[]): string {
  const fmt = (n: number | null) => (n === null ? '' : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));
  const rows = figures.map((f) => `| ${f.name} | ${fmt(f.value)} | ${f.unit} | ${fmt(f.baseline)} | ${f.ratio === null ? '' : f.ratio.toFixed(3)} | ${f.goal ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : '**no**'} | ${f.note ?? ''} |`);
  return ['| figure | value | unit | baseline | ratio | goal | met | note |', '|---|---:|---|---:|---:|---|---|---|', ...rows].join('\n');
}

const selected = new Set(process.argv.slice(2));
const want = (name: string) => selected.size === 0 || selected.has(name);
const started = Date.now();
const kafka = await broker();
const ctx: BenchContext = { scale: env.BENCH_SCALE, brokers: kafka.brokers, log };
const figures: Figure[] = [];
const skipped: string[] = [];
try {
  const benches: Array<[string, Bench | null]> = [
    ['ingest', benchIngest],
    ['processor', benchProcessor],
    ['e2e', benchE2e],
    ['backfill', benchBackfill],
    ['dashboards', await dashboards()],
    // Opt-in (`npm run bench -- audits`): its own 10 M-decision store, and chdb holds one store per process.
    ['audits', selected.has('audits') ? benchAudits : null],
    // Opt-in (`npm run bench -- ledger`): a month of 1 M deliveries sealed hourly and verified.
    ['ledger', selected.has('ledger') ? benchLedger : null],
  ];
  for (const [name, bench] of benches) {
    if (!want(name)) continue;
    if (!bench) {
      if (name !== 'audits' && name !== 'ledger') skipped.push(`${name}: bench/${name}.bench.ts not there yet`);
      continue;
    }
    const t0 = Date.now();
    log(`${name} ...`);
    try {
      figures.push(...(await bench(ctx)));
    } catch (err) {
      skipped.push(`${name}: failed: ${(err as Error).message.split('\n')[0]}`);
      log(`${name} failed: ${(err as Error).stack}`);
    }
    log(`${name} done in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
} finally {
  await dropBenchTopics(kafka.brokers).catch((err) => log(`bench topics not deleted: ${(err as Error).message}`));
  await kafka.stop();
}

mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench', 'results', 'latest.json'), `${JSON.stringify(figures.map(({ name, value, unit, baseline, ratio }) => ({ name, value, unit, baseline, ratio })), null, 2)}\n`);
console.log(`## Benchmarks (BENCH_SCALE=${env.BENCH_SCALE}, ${Math.round((Date.now() - started) / 1000)} s)\n`);
console.log(table(figures));
for (const s of skipped) console.log(`\n- skipped ${s}`);
console.log('\nratio = value / baseline, both measured in this run. JSON: bench/results/latest.json');
process.exit(skipped.some((s) => s.includes('failed')) ? 1 : 0);

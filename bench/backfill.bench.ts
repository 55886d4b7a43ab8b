import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { decisionBody, figure, repoRoot, serviceEnv, spawnEntry, type BenchContext, type Figure } from './lib.js';

/**
 * Backfill: `npm run import -- <file.ndjson>` on a million decisions (BENCH_SCALE scales it) into a
 * fresh embedded store, wall time from start to exit. Baseline, same file: reading and JSON-parsing it
 * line by line, the floor any import pays.
 */

async function writeFile(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    if (!out.write(`${decisionBody(i)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function readAndParse(file: string): Promise<number> {
  const started = performance.now();
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    if (line) JSON.parse(line);
    n++;
  }
  return (n / (performance.now() - started)) * 1000;
}

export async function benchBackfill(ctx: BenchContext): Promise<Figure[]> {
  if (!existsSync(join(repoRoot, 'cli', 'import.ts'))) throw new Error('cli/import.ts (npm run import) is not there yet');
  const n = Math.max(10_000, Math.round(1_000_000 * ctx.scale));
  const dir = mkdtempSync(join(tmpdir(), 'ine-bench-backfill-'));
  try {
    const file = join(dir, 'decisions.ndjson');
    const t0 = Date.now();
    await writeFile(file, n);
    ctx.log(`wrote ${n} decisions (${Math.round(statSync(file).size / 1e6)} MB) in ${Date.now() - t0} ms`);
    const parse = await readAndParse(file);
    ctx.log(`read + JSON.parse: ${Math.round(parse)} lines/s`);

    const started = performance.now();
    const child = await spawnEntry('cli/import.ts', serviceEnv({ DATA_DIR: join(dir, 'data') }), { args: [file] });
    const code = await child.exited;
    const seconds = (performance.now() - started) / 1000;
    const line = child.output().split('\n').reverse().find((l) => l.startsWith('{"summary"'));
    if (code !== 0 || !line) throw new Error(`import failed (exit ${code}):\n${child.output().slice(-2000)}`);
    const { summary } = JSON.parse(line) as { summary: { lines: number; accepted: number; duplicate: number; rejected: number } };
    if (summary.accepted !== n) throw new Error(`import accepted ${summary.accepted} of ${n}: ${line}`);
    const rate = summary.accepted / seconds;
    ctx.log(`import: ${summary.accepted} decisions in ${seconds.toFixed(1)} s = ${Math.round(rate)}/s`);
    return [figure('backfill_dps', rate, 'decisions/s', parse, { note: `${n} decisions into a fresh embedded store, wall time incl. start-up; baseline = read + JSON.parse of the file` })];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

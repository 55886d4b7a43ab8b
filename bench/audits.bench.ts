import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { definitionOf, loadCatalog } from '../audits/catalog.js';
import { csvHeader, csvValues } from '../audits/format.js';
import { verifyPack } from '../audits/manifest.js';
import { parseParams } from '../audits/params.js';
import { buildEvidencePack } from '../audits/report.js';
import { describeQuery, runAudit } from '../audits/runner.js';
import { createClickHouse, queryRows, streamValues, type ClickHouseClient } from '../lib/clickhouse.js';
import { loadConfig } from '../lib/config.js';
import { withLocalSecrets } from '../lib/local-secrets.js';
import { createLogger } from '../lib/logger.js';
import { migrate } from '../lib/migrate.js';
import { startDoor, type Door } from '../sqldoor/door.js';
import { takeConsentSnapshot } from '../test/dashboards/consent-verdicts.js';
import { seedDashboardData } from './dashboards.bench.js';
import { figure, timed, type BenchContext, type Figure } from './lib.js';

/**
 * The read side at volume: every audit query over one month and over twelve months of the dashboards
 * bench's seed (10 M decisions × BENCH_SCALE), timed inside this process, each next to its definition
 * over the views (the consent audits read consent_verdicts; their definition reads consent_audit, and
 * test/audits/definitions.test.ts proves both give the same rows). Before those, through the SQL door
 * as the analyst (the way `npm run audit` reads an embedded store): a year's listing into CSV, and an
 * evidence pack of a month and of a year with `verify` of each. The door serves from this process, so the
 * listing's rate pays for both ends of the HTTP exchange.
 */
const BASELINE_LIMIT_S = 120;
/** Every audit query runs under this engine limit: one over it fails, so a figure is also a memory bound. */
const QUERY_MEMORY_BYTES = 1024 ** 3;

/**
 * BENCH_AUDITS_DIR keeps the seeded store between runs (seeding 10 M decisions takes minutes): reused
 * when it holds a seed of the same size, migrated to this release first (new indexes are built then).
 */
function storeDir(total: number): { dir: string; seeded: { now: number } | null; keep: boolean } {
  const kept = process.env.BENCH_AUDITS_DIR;
  if (!kept) return { dir: mkdtempSync(join(tmpdir(), 'ine-audit-bench-audits-')), seeded: null, keep: false };
  mkdirSync(kept, { recursive: true });
  const marker = join(kept, 'seeded.json');
  const seeded = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as { total: number; now: number }) : null;
  return { dir: kept, seeded: seeded?.total === total ? seeded : null, keep: true };
}

export async function benchAudits(ctx: BenchContext): Promise<Figure[]> {
  const total = Math.round(10_000_000 * ctx.scale);
  const { dir, seeded, keep } = storeDir(total);
  const client: ClickHouseClient = createClickHouse({ clickhouse: { url: undefined, user: undefined, password: undefined }, dataDir: dir });
  const figures: Figure[] = [];
  const packs = mkdtempSync(join(tmpdir(), 'ine-audit-bench-packs-'));
  let door: Door | undefined;
  let closeAnalyst: (() => Promise<void>) | undefined;
  try {
    await migrate(client);
    const now = seeded?.now ?? Date.now();
    if (seeded) ctx.log(`reusing the ${total.toLocaleString('en-US')}-decision store in ${dir}`);
    else {
      await seedDashboardData(client, total, now, ctx.log);
      await takeConsentSnapshot(client);
      if (keep) writeFileSync(join(dir, 'seeded.json'), JSON.stringify({ total, now }));
    }
    const run = (q: string, p: Record<string, unknown> = {}) => queryRows(client, q, p, { max_memory_usage: QUERY_MEMORY_BYTES });
    const year = { from: new Date(now - 365 * 86_400_000).toISOString(), to: new Date(now + 1000).toISOString() };
    const month = { from: new Date(now - 30 * 86_400_000).toISOString(), to: year.to };
    const session = (await run('SELECT session_id FROM ine_audit.decision_rows LIMIT 1'))[0]!.session_id as string;
    const catalog = loadCatalog();
    const unlimited = (q: string, p: Record<string, unknown> = {}) => queryRows(client, q, p, { max_execution_time: BASELINE_LIMIT_S, max_memory_usage: 0 });
    // Listings and packs as `npm run audit` makes them on an embedded store: through the SQL door as the
    // analyst (its limits; the door streams the engine's blocks as they come, where a chdb client
    // connection hands a result over whole). First: once, a year's pack after the unbounded definition
    // runs went over the analyst's 4 GB in this process.
    const config = withLocalSecrets(loadConfig({ DATA_DIR: dir }), { integrations: false });
    door = await startDoor({ config, client, log: createLogger('silent'), host: '127.0.0.1', port: 0, announce: false });
    const analyst = createClient({ url: door.url, username: 'analyst', password: config.sqlDoor.passwords.analyst!, database: 'ine_audit', request_timeout: 300_000, clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    closeAnalyst = () => analyst.close();
    const packRun = (q: string, p: Record<string, unknown> = {}) => queryRows(analyst, q, p);
    const stream = (q: string, p: Record<string, unknown> = {}) => streamValues(analyst, q, p);
    // A listing into CSV the way packs and `npm run audit -- … --format csv` write it, against the engine
    // computing the same rows and counting them through the same door (no rows sent, no CSV).
    const cases = catalog.get('face-match-cases')!;
    const casesParams = parseParams(cases, year);
    let listed = 0;
    let csvBytes = 0;
    const [listMs] = await timed(async () => {
      csvBytes += csvHeader(await describeQuery(packRun, cases.sql, casesParams)).length;
      for await (const batch of stream(cases.sql, casesParams)) {
        for (const values of batch) csvBytes += csvValues(values).length;
        listed += batch.length;
      }
    });
    const [countMs] = await timed(() => packRun(`SELECT count() AS n FROM (\n${cases.sql}\n)`, casesParams));
    const rate = listed / (listMs / 1000);
    figures.push(figure('listing_csv_rows_per_s', Math.round(rate), 'rows/s', Math.round(listed / (countMs / 1000)), { goal: '≥ 300,000 rows/s', met: rate >= 300_000, note: `face-match-cases over a year: ${listed} rows, ${Math.round(csvBytes / 1e6)} MB of CSV; baseline: the engine counting the same rows` }));
    ctx.log(`listing to CSV: ${listed} rows in ${listMs.toFixed(0)} ms (${Math.round(rate)} rows/s); the engine alone ${countMs.toFixed(0)} ms`);
    for (const [label, period] of [['month', month], ['year', year]] as const) {
      const out = join(packs, `pack-${label}`);
      // The JavaScript side of the pack (rows, CSV, hashes), sampled: what must not grow with the rows.
      let heapPeak = 0;
      const sample = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 50);
      const [packMs, pack] = await timed(() => buildEvidencePack({ run: packRun, stream, catalog, store: 'bench' }, { from: period.from, to: period.to, outDir: out })).finally(() => clearInterval(sample));
      figures.push(figure(`evidence_pack_${label}_ms`, Math.round(packMs), 'ms', null, { goal: label === 'month' ? '≤ 15,000 ms' : '≤ 60,000 ms', met: packMs <= (label === 'month' ? 15_000 : 60_000), note: `${pack.manifest.queries.reduce((n, q) => n + q.rows, 0)} rows through the door as analyst; JS heap peak ${Math.round(heapPeak / 2 ** 20)} MB` }));
      const [verifyMs, verified] = await timed(() => verifyPack(out));
      figures.push(figure(`verify_${label}_ms`, Math.round(verifyMs), 'ms', null, { note: verified.ok ? 'ok' : `problems: ${verified.problems.length}` }));
      ctx.log(`evidence pack (${label}): ${packMs.toFixed(0)} ms; verify ${verifyMs.toFixed(0)} ms, ok ${verified.ok}`);
    }
    for (const query of catalog.values()) {
      const periods = query.name === 'session-timeline' ? [['one', { session }]] as const : ([['month', month], ['year', year]] as const);
      for (const [label, raw] of periods) {
        const params = parseParams(query, raw as Record<string, string>);
        const name = `audit_${query.name.replaceAll('-', '_')}_${label}_ms`;
        const definition = definitionOf(query);
        const measured = await timed(() => runAudit(run, query, params)).catch((err: Error) => err);
        if (measured instanceof Error) {
          figures.push(figure(name, -1, 'ms', null, { met: false, note: `failed: ${measured.message.split('\n')[0]!.slice(0, 120)}` }));
          ctx.log(`audit ${query.name} (${label}) failed: ${measured.message.split('\n')[0]}`);
          continue;
        }
        const [ms, result] = measured;
        const baseline = definition === query.sql ? ms : await timed(() => runAudit(unlimited, { ...query, sql: definition }, params)).then(([t]) => t, () => null);
        const goal = query.name === 'session-timeline' ? 200 : label === 'month' ? 1000 : 3000;
        figures.push(figure(name, Math.round(ms), 'ms', baseline === null ? null : Math.round(baseline), { goal: `≤ ${goal} ms, ≤ 1 GB`, met: ms <= goal, note: `${result.rows.length} rows${definition === query.sql ? '; reads the views itself' : ''}; under max_memory_usage 1 GB` }));
        ctx.log(`audit ${query.name} (${label}): ${ms.toFixed(0)} ms, ${result.rows.length} rows${baseline === null ? '' : `; definition ${baseline.toFixed(0)} ms`}`);
      }
    }
    figures.push(figure('audits_peak_rss_mb', Math.round(process.resourceUsage().maxRSS / 1024), 'MB', null, { note: 'this process: chdb, the queries, their definitions (unbounded), the door, the packs' }));
    return figures;
  } finally {
    await closeAnalyst?.();
    await door?.stop();
    await client.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    rmSync(packs, { recursive: true, force: true });
  }
}

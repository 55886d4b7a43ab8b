import { readFileSync } from 'node:fs';
import type { AuditQuery } from './catalog.js';
import { approvalRateChart, coverageChart, distributionChart, matchRateChart, renderSvg } from './charts.js';
import { csvHeader, csvValues } from './format.js';
import { PACK_FORMAT, writePack, type Manifest, type PackFile } from './manifest.js';
import { isoOf, parseParams, type QueryParams } from './params.js';
import { buildReportHtml, type ReportMetric, type ReportModel, type ReportTable } from './report-html.js';
import { describeQuery, runAudit, type AuditResult, type Column, type Row, type RunQuery, type StreamQuery } from './runner.js';
import { ledgerPackFiles } from '../ledger/pack.js';

/** The queries an evidence pack runs, in the order the report shows them. */
export const reportQueryNames = [
  'consent-violations',
  'consent-coverage',
  'period-summary',
  'approval-rate-daily',
  'decisions-by-status',
  'face-match-summary',
  'face-match-daily',
  'face-match-distribution',
  'face-match-cases',
  'duplicate-deliveries',
  'late-deliveries',
  'rejected-requests',
  'erasure-receipts',
] as const;
export type ReportQueryName = (typeof reportQueryNames)[number];

/** Queries that list sessions or deliveries: millions of rows over a year, streamed to their CSV. */
const listings = new Set<ReportQueryName>(['consent-violations', 'face-match-cases', 'duplicate-deliveries', 'late-deliveries', 'rejected-requests', 'erasure-receipts']);
/** The HTML shows a listing's first rows with the count and points to the CSV for the rest. */
export const htmlRowLimit = 1000;

export interface PackOptions {
  /** ISO 8601 date or instant with offset, as typed by the user. */
  from: string;
  to: string;
  integration?: string;
  outDir: string;
}

export interface PackDeps {
  run: RunQuery;
  /** Streams the listings when given; otherwise they are read whole with `run`. */
  stream?: StreamQuery;
  catalog: Map<string, AuditQuery>;
  /** Where the data came from, for the manifest (never with credentials). */
  store: string;
  now?: () => Date;
  /** The ledger's public key: the pack then carries the digests covering its period. */
  ledger?: { publicKeyPem: string; lateWindowMs: number };
}

export interface PackResult {
  dir: string;
  fingerprint: string;
  manifest: Manifest;
  /** Each query's result; a listing's rows are its first htmlRowLimit, `total` counts them all. */
  results: Map<ReportQueryName, AuditResult & { total: number }>;
}

export function softwareInfo(): { name: string; version: string; node: string } {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version, node: process.version };
}

export const sqlPathOf = (name: string) => `queries/${name}.sql`;
export const csvPathOf = (name: string) => `data/${name}.csv`;

/** Validates every query's parameters before anything runs, so a typo fails fast and writes nothing. */
export function reportParams(catalog: Map<string, AuditQuery>, options: Pick<PackOptions, 'from' | 'to' | 'integration'>): Map<ReportQueryName, QueryParams> {
  const out = new Map<ReportQueryName, QueryParams>();
  for (const name of reportQueryNames) {
    const query = catalog.get(name);
    if (!query) throw new Error(`audit catalog has no query ${name}`);
    const declared = new Set(query.params.map((p) => p.name));
    const raw = Object.fromEntries(Object.entries({ from: options.from, to: options.to, integration: options.integration }).filter(([k]) => declared.has(k)));
    out.set(name, parseParams(query, raw));
  }
  return out;
}

/** Headline figures, straight from period-summary (the report computes no rate of its own). */
export function summaryMetrics(summary: Record<string, unknown>): ReportMetric[] {
  return [
    { key: 'decisions', label: 'Decisions', value: summary.decisions },
    { key: 'sessions', label: 'Sessions with a decision', value: summary.sessions },
    { key: 'approval_rate_pct', label: 'Approval rate', value: summary.approval_rate_pct, unit: '%' },
    { key: 'conclusive_decisions', label: 'Conclusive decisions', value: summary.conclusive_decisions },
    { key: 'ine_checks', label: 'INE checks', value: summary.ine_checks },
    { key: 'match_rate_pct', label: 'INE face-match rate', value: summary.match_rate_pct, unit: '%' },
    { key: 'coverage_pct', label: 'Consent coverage', value: summary.coverage_pct, unit: '%' },
    { key: 'violations', label: 'Consent violations', value: summary.violations },
  ];
}

async function renderCharts(results: Map<ReportQueryName, AuditResult>) {
  const rows = (name: ReportQueryName) => results.get(name)!.rows;
  return [
    { id: 'approval-rate', title: 'Approval rate over time', caption: 'approved / conclusive decisions per UTC day (query approval-rate-daily)', svg: await renderSvg(approvalRateChart(rows('approval-rate-daily'))) },
    { id: 'match-rate', title: 'INE face-match rate over time', caption: 'faceMatch true / completed INE checks per UTC day (query face-match-daily)', svg: await renderSvg(matchRateChart(rows('face-match-daily'))) },
    { id: 'consent-coverage', title: 'Consent coverage by integration', caption: 'consent verdict of sessions with an INE check (query consent-coverage)', svg: await renderSvg(coverageChart(rows('consent-coverage'))) },
    { id: 'match-distribution', title: 'Face-match percentage distribution', caption: 'completed INE checks by faceMatchPercentage (query face-match-distribution)', svg: await renderSvg(distributionChart(rows('face-match-distribution'))) },
  ];
}

/** Values in column order as the row the HTML shows. */
const rowOf = (columns: Column[], values: readonly unknown[]): Row => Object.fromEntries(columns.map((c, i) => [c.name, values[i]]));

/** A query's result written as CSV while it arrives: its first rows are kept for the HTML, all are counted. */
function csvOf(result: AuditResult & { total: number }, batches: AsyncIterable<unknown[][]> | unknown[][][]): AsyncIterable<string> {
  return (async function* () {
    yield csvHeader(result.columns);
    for await (const batch of batches) {
      let chunk = '';
      for (const values of batch) {
        if (result.rows.length < htmlRowLimit) result.rows.push(rowOf(result.columns, values));
        chunk += csvValues(values);
      }
      result.total += batch.length;
      yield chunk;
    }
  })();
}

/**
 * Runs the report queries and writes the pack: queries/<name>.sql (the exact text that ran),
 * data/<name>.csv (every row; listings streamed from the store), report.html (listings show their
 * first rows and the count), manifest.json and SHA256SUMS. Memory does not grow with the listings.
 */
export async function buildEvidencePack(deps: PackDeps, options: PackOptions): Promise<PackResult> {
  const params = reportParams(deps.catalog, options);
  const results = new Map<ReportQueryName, AuditResult & { total: number }>();
  const files: PackFile[] = [];
  for (const name of reportQueryNames) {
    const query = deps.catalog.get(name)!;
    const p = params.get(name)!;
    let result: AuditResult & { total: number };
    let rows: AsyncIterable<unknown[][]> | unknown[][][];
    if (listings.has(name) && deps.stream) {
      result = { query, params: p, columns: await describeQuery(deps.run, query.sql, p), rows: [], total: 0 };
      rows = deps.stream(query.sql, p);
    } else {
      const whole = await runAudit(deps.run, query, p);
      result = { ...whole, rows: [], total: 0 };
      rows = [whole.rows.map((row) => whole.columns.map((c) => row[c.name]))];
    }
    results.set(name, result);
    files.push({ path: sqlPathOf(name), content: query.sql }, { path: csvPathOf(name), content: csvOf(result, rows) });
  }
  const version = await deps.run('SELECT version() AS v');
  const period = { from: isoOf(String(params.get('period-summary')!.from)), to: isoOf(String(params.get('period-summary')!.to)) };
  const software = softwareInfo();
  const generatedAt = (deps.now?.() ?? new Date()).toISOString();
  const title = 'INE audit evidence pack';

  // Written after every CSV, when the listings have been counted.
  async function* reportHtml() {
    const tables: ReportTable[] = reportQueryNames.map((name) => {
      const r = results.get(name)!;
      return { id: name, title: r.query.title, description: r.query.description, columns: r.columns, rows: r.rows, total: r.total, csvPath: csvPathOf(name), sqlPath: sqlPathOf(name), limit: htmlRowLimit };
    });
    const model: ReportModel = {
      title,
      period,
      integration: options.integration ?? null,
      generatedAt,
      software,
      store: deps.store,
      metrics: summaryMetrics(results.get('period-summary')!.rows[0] ?? {}),
      charts: await renderCharts(results),
      tables,
    };
    yield buildReportHtml(model);
  }
  files.push({ path: 'report.html', content: reportHtml() });
  const ledger = deps.ledger ? await ledgerPackFiles(deps.run, deps.ledger, period) : null;
  if (ledger) files.push(...ledger.files);
  const { manifest, fingerprint } = await writePack(options.outDir, files, () => ({
    format: PACK_FORMAT,
    title,
    period: { ...period, toExclusive: true },
    integration: options.integration ?? null,
    generatedAt,
    software,
    source: { store: deps.store, clickhouseVersion: String(version[0]?.v ?? 'unknown') },
    queries: reportQueryNames.map((name) => {
      const r = results.get(name)!;
      return { name, title: r.query.title, sql: sqlPathOf(name), csv: csvPathOf(name), params: r.params, columns: r.columns, rows: r.total };
    }),
    ...(ledger ? { ledger: ledger.manifest } : {}),
  }));
  return { dir: options.outDir, fingerprint, manifest, results };
}

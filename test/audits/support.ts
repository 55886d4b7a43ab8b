import { randomUUID } from 'node:crypto';
import { queryRows, type ClickHouseClient } from '../../lib/clickhouse.js';
import { loadCatalog } from '../../audits/catalog.js';
import { parseParams } from '../../audits/params.js';
import { runAudit, type AuditResult, type Row, type RunQuery } from '../../audits/runner.js';
import { testClickHouse } from '../helpers/clickhouse.js';
import { makeConsent, makeDecision, makeEvent } from '../helpers/fixtures.js';
import { rowsFor, seedPayloads, seedRows, type SeedItem } from '../helpers/seed.js';

export const catalog = loadCatalog();

/**
 * The per-process test ClickHouse, queried the way the CLI queries it directly: with readonly=1, which
 * proves every audit query runs for a read-only analyst. chdb turns per-query settings into session
 * `SET`s, so after the first query this process's store stays read-only: seed everything first.
 */
export async function auditStore(): Promise<{ client: ClickHouseClient; run: RunQuery }> {
  const client = await testClickHouse();
  return { client, run: (q, p = {}) => queryRows(client, q, p, { readonly: 1 }) };
}

/** Runs a catalog query with CLI-style (string) parameters. */
export async function audit(run: RunQuery, name: string, raw: Record<string, string | undefined>): Promise<AuditResult> {
  const query = catalog.get(name);
  if (!query) throw new Error(`no query ${name}`);
  return runAudit(run, query, parseParams(query, raw));
}

export const auditRows = async (run: RunQuery, name: string, raw: Record<string, string | undefined>): Promise<Row[]> => (await audit(run, name, raw)).rows;

/** A namespace per test: integration names and session ids nobody else uses. */
export function namespace(label: string) {
  const id = randomUUID().slice(0, 8);
  return { id, integration: (suffix = '') => `${label}-${id}${suffix}`, session: (n: string | number) => `${label}-${id}-s${n}` };
}

export const june = { from: '2025-06-01', to: '2025-07-01' } as const;

/** A decision of a fixture's shape in one session at one time; `ine` overrides the INE block. */
export function decision(fixture: string, sessionId: string, decisionTime: string | null, options: { attemptId?: string; ine?: Record<string, unknown>; mutate?: (d: any) => void } = {}) {
  return makeDecision(fixture, {
    sessionId,
    attemptId: options.attemptId ?? `${sessionId}-attempt`,
    mutate: (d) => {
      d.verification.decisionTime = decisionTime;
      if (options.ine) d.verification.additionalVerifiedData = { ineBiometricRegistryValidation: options.ine };
      options.mutate?.(d);
    },
  });
}

export const consent = makeConsent;
export const event = makeEvent;

export async function seed(client: ClickHouseClient, integration: string, items: Array<Omit<SeedItem, 'integration'> & { integration?: string }>): Promise<void> {
  await seedPayloads(client, items.map((i) => ({ integration, ...i })));
}

/** Like seed(), but each delivery's source is set as given (the seed helper marks everything 'import'). */
export async function seedWithSources(client: ClickHouseClient, integration: string, items: Array<SeedItem & { source?: 'webhook' | 'import' | 'quarantine_replay' }>): Promise<void> {
  for (const item of items) {
    const rows = rowsFor([{ integration, ...item }]);
    const source = item.source ?? 'import';
    for (const table of ['decision_rows', 'event_rows', 'deliveries', 'raw_payloads'] as const) for (const r of rows[table] ?? []) (r as { source: string }).source = source;
    await seedRows(client, rows);
  }
}

/** 'YYYY-MM-DD hh:mm:ss.mmm', the way ClickHouse prints DateTime64(3, 'UTC'). */
export const ch = (iso: string): string => new Date(iso).toISOString().replace('T', ' ').replace('Z', '');

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ClickHouseClient } from '../../lib/clickhouse.js';
import { expandMacros, interpolatePanelQuery, panelIntervalMs, parseDuration, type QueryContext, type TimeRange, type VariableState } from '../../dashboards/macros.js';

/** Reads the provisioned dashboards and alert rules, and runs their SQL the way Grafana would. */

export const dashboardsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboards');

export interface Target {
  refId: string;
  rawSql: string;
  format: number;
  queryType: string;
  editorType: string;
  datasource: { type: string; uid: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  interval?: string;
  datasource?: { type: string; uid: string };
  targets: Target[];
  fieldConfig: { defaults: { unit?: string; thresholds?: { steps: Array<{ color: string; value: number | null }> } } };
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { uid: string };
  query: string | { rawSql: string };
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  time: { from: string; to: string };
  templating: { list: Variable[] };
  panels: Panel[];
}

export interface AlertRule {
  uid: string;
  title: string;
  folder: string;
  dashboardUid?: string;
  panelId?: number;
  condition: string;
  data: Array<{ refId: string; datasourceUid: string; relativeTimeRange?: { from: number; to: number }; model: Record<string, any> }>;
}

export function loadDashboards(): Dashboard[] {
  const dir = join(dashboardsDir, 'json');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<Dashboard, 'file'>) }));
}

/** Panels of a dashboard, rows flattened. */
export const panelsOf = (d: Dashboard): Panel[] => d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));

export const readYaml = (path: string): any => parse(readFileSync(join(dashboardsDir, path), 'utf8'));

export function loadAlertRules(): AlertRule[] {
  const dir = join(dashboardsDir, 'provisioning', 'alerting');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => ((readYaml(join('provisioning', 'alerting', f)).groups ?? []) as Array<{ folder: string; rules: AlertRule[] }>).flatMap((g) => g.rules.map((r) => ({ ...r, folder: g.folder }))));
}

export const variableSql = (v: Variable): string => (typeof v.query === 'string' ? v.query : v.query.rawSql);

export interface Column {
  name: string;
  type: string;
}
export interface QueryResult {
  columns: Column[];
  rows: Array<Record<string, unknown>>;
}

export async function runSql(client: ClickHouseClient, sql: string): Promise<QueryResult> {
  const result = await client.query({ query: sql, format: 'JSON' });
  const body = await result.json<Record<string, unknown>>();
  return { columns: body.meta as Column[], rows: body.data as Array<Record<string, unknown>> };
}

export function panelContext(panel: Panel, range: TimeRange, variables: Record<string, VariableState>): QueryContext {
  return { range, intervalMs: panelIntervalMs(range, panel.interval), variables };
}

export async function runPanel(client: ClickHouseClient, panel: Panel, ctx: QueryContext): Promise<{ sql: string; result: QueryResult }> {
  const sql = interpolatePanelQuery(panel.targets[0]!.rawSql, ctx);
  return { sql, result: await runSql(client, sql) };
}

/** An alert's ClickHouse query over its relative time range ending at nowMs, as Grafana's evaluator sends it. */
export async function runAlertQuery(client: ClickHouseClient, rule: AlertRule, nowMs: number): Promise<{ sql: string; result: QueryResult }> {
  const query = rule.data.find((d) => d.datasourceUid !== '__expr__')!;
  const range = { fromMs: nowMs - query.relativeTimeRange!.from * 1000, toMs: nowMs - query.relativeTimeRange!.to * 1000 };
  const sql = expandMacros(query.model.rawSql as string, { range, intervalMs: Number(query.model.intervalMs ?? 1000), variables: {} });
  return { sql, result: await runSql(client, sql) };
}

/** Grafana's threshold expression on the single number the query returned; no row means no data. */
export function alertFires(rule: AlertRule, result: QueryResult): boolean | 'no data' {
  if (result.rows.length === 0) return 'no data';
  const value = Number(Object.values(result.rows[0]!)[0]);
  const expression = rule.data.find((d) => d.refId === rule.condition)!.model;
  const { type, params } = expression.conditions[0].evaluator as { type: string; params: number[] };
  const checks: Record<string, () => boolean> = {
    gt: () => value > params[0]!,
    lt: () => value < params[0]!,
    within_range: () => value > params[0]! && value < params[1]!,
    outside_range: () => value < params[0]! || value > params[1]!,
  };
  return checks[type]!();
}

const isNumeric = (type: string) => /^(Nullable\()?(U?Int\d+|Float\d+|Decimal|Bool)/.test(type);
const isTime = (type: string) => /^(Nullable\()?(DateTime|Date)/.test(type);
const isText = (type: string) => /^(Nullable\(|LowCardinality\()*(String|FixedString|Enum)/.test(type);
const finite = (v: unknown) => v !== null && Number.isFinite(Number(v));

/** What would stop the panel type from drawing this result; empty when it can. */
export function shapeProblems(panelType: string, { columns, rows }: QueryResult): string[] {
  const problems: string[] = [];
  if (rows.length === 0) problems.push('no rows');
  const [first, ...rest] = columns;
  if (!first) return [...problems, 'no columns'];
  const numericRest = rest.length > 0 && rest.every((c) => isNumeric(c.type));
  switch (panelType) {
    case 'timeseries': {
      if (!isTime(first.type)) problems.push(`first column ${first.name} is ${first.type}, not a time`);
      if (!numericRest) problems.push('every column after the time must be numeric');
      const times = rows.map((r) => String(r[first.name]));
      if (times.some((t, i) => i > 0 && t < times[i - 1]!)) problems.push('rows are not in time order');
      break;
    }
    case 'stat':
    case 'gauge':
      if (rows.length !== 1) problems.push(`expected one row, got ${rows.length}`);
      if (!columns.every((c) => isNumeric(c.type))) problems.push('every column must be numeric');
      if (rows.some((r) => columns.some((c) => !finite(r[c.name])))) problems.push('value is not a finite number');
      break;
    case 'barchart':
    case 'piechart':
      if (!isText(first.type) && !isNumeric(first.type)) problems.push(`first column ${first.name} is ${first.type}, not a label`);
      if (!numericRest) problems.push('every column after the label must be numeric');
      break;
    case 'table':
      break;
    default:
      problems.push(`no shape rule for panel type ${panelType}`);
  }
  return problems;
}

/** Grafana's relative times as the dashboards use them: now, now-30d, now-24h. */
export function relativeRange(d: Dashboard, now: number): TimeRange {
  const at = (text: string) => (text === 'now' ? now : now - parseDuration(text.replace(/^now-/, '')));
  return { fromMs: at(d.time.from), toMs: at(d.time.to) };
}

const LATEST = /\(\s*SELECT\s+session_key,\s+max\(decision_time\) AS decided_at((?:,\s*[^\n]+)*)\s+FROM ine_audit\.decision_facts\s+WHERE decision_time >= \$__fromTime_ms( AND [^\n]+)?\s+GROUP BY session_key\s+HAVING decided_at <= \$__toTime_ms( AND [^\n]+)?\s*\)/g;

/** The panel's question put to the un-aggregated views instead of the pre-aggregates; null when it reads no pre-aggregate. */
export function baselineSql(sql: string): string | null {
  if (!/decision_facts|consent_verdicts/.test(sql)) return null;
  return sql
    .replace(LATEST, (_m, columns: string, where = '', having = '') => {
      const select = columns.replace(/argMax\((.+?), latest_key\)/g, '$1').replace(/any\((\w+)\)/g, '$1');
      return `(SELECT session_id AS session_key, decision_time AS decided_at${select} FROM ine_audit.decisions_latest WHERE $__timeFilter_ms(decision_time)${where}${having})`;
    })
    .replace(/FROM ine_audit\.consent_verdicts\b/g, 'FROM ine_audit.consent_audit')
    .replace(/FROM ine_audit\.decision_facts/g, 'FROM ine_audit.decisions')
    .replace(/GROUP BY decision_key/g, 'GROUP BY decision_id');
}

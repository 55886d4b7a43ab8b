import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type Panel,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { clickhouse } from './datasource.js';

/** What every INE audit dashboard shares: folder tag, UTC, read-only, the link menu, the integration picker. */

export const DASHBOARD_TAG = 'ine-audit';

/**
 * SQL as written in the modules: the common indentation and the surrounding blank lines removed; a
 * multi-line value keeps the indentation of the line it is placed on.
 */
export function sql(strings: TemplateStringsArray, ...values: string[]): string {
  const text = strings.reduce((out, s, i) => {
    const sofar = out + s;
    const column = /(?:^|\n)( *)[^\n]*$/.exec(sofar)![1]!;
    return sofar + (values[i] ?? '').replace(/\n/g, `\n${column}`);
  }, '');
  const lines = text.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const margin = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(margin)).join('\n');
}

/** The plugin's frontend macro: no filter when "All" is selected, else the selected integrations. */
export const byIntegration = '$__conditionalAll(integration IN (${integration:singlequote}), $integration)';

const integrationSql = "SELECT DISTINCT integration FROM ine_audit.deliveries WHERE $__timeFilter_ms(received_at) AND integration != '' ORDER BY integration";

export const integrationVariable = (): QueryVariableBuilder =>
  new QueryVariableBuilder('integration')
    .label('Integration')
    .description('Veriff integration(s) to show: those that sent anything in the selected time range. "All" shows every integration (and rejected requests whose integration is unknown).')
    .datasource({ ...clickhouse })
    .query({ refId: 'integration', queryType: 'sql', rawSql: integrationSql })
    .definition(integrationSql)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allowCustomValue(false)
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .sort(VariableSort.AlphabeticalAsc)
    .hide(VariableHide.DontHide);

export interface AuditDashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** Relative start of the default range, e.g. now-30d. */
  from: string;
  refresh: string;
  panels: Array<Builder<Panel>>;
  variables?: Array<Builder<VariableModel>>;
}

export function auditDashboard(spec: AuditDashboardSpec): DashboardBuilder {
  const dashboard = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([DASHBOARD_TAG, 'compliance'])
    .timezone('utc')
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: spec.from, to: 'now' })
    .refresh(spec.refresh)
    .version(1)
    .link(
      new DashboardLinkBuilder('INE audit')
        .type(DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .icon('external link')
        .targetBlank(false),
    );
  for (const variable of spec.variables ?? [integrationVariable()]) dashboard.withVariable(variable);
  for (const panel of spec.panels) dashboard.withPanel(panel);
  return dashboard;
}

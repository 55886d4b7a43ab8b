import * as common from '@grafana/grafana-foundation-sdk/common';
import { FieldColorBuilder, FieldColorModeId, ThresholdsConfigBuilder, ThresholdsMode, type DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarChart } from '@grafana/grafana-foundation-sdk/barchart';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQueryBuilder } from './clickhouse-query.js';
import { clickhouse } from './datasource.js';

/** The four panel shapes the INE audit dashboards use, each with the house style fixed in one place. */

/** [x, y, w, h] on Grafana's 24-column grid. */
export type At = [number, number, number, number];
/** Threshold steps, lowest first; the first has no value. */
export type Steps = Array<[number | null, string]>;
export type Override = [field: string, properties: DynamicConfigValue[]];

export interface PanelSpec {
  id: number;
  title: string;
  description: string;
  at: At;
  sql: string;
  unit: string;
  steps?: Steps;
  decimals?: number;
  min?: number;
  max?: number;
  interval?: string;
  overrides?: Override[];
}

type AnyPanel = Stat | Table | TimeSeries | BarChart;

const thresholds = (steps: Steps) => new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));

export const fixedColor = (color: string): DynamicConfigValue => ({ id: 'color', value: { mode: 'fixed', fixedColor: color } });
export const displayName = (name: string): DynamicConfigValue => ({ id: 'displayName', value: name });
export const unit = (u: string): DynamicConfigValue => ({ id: 'unit', value: u });

function common_<P extends AnyPanel>(panel: P, spec: PanelSpec, queryType: 'table' | 'timeseries'): P {
  const [x, y, w, h] = spec.at;
  panel
    .id(spec.id)
    .title(spec.title)
    .description(spec.description)
    .gridPos({ x, y, w, h })
    .datasource({ ...clickhouse })
    .withTarget(new ClickHouseQueryBuilder(spec.sql, queryType))
    .unit(spec.unit)
    .thresholds(thresholds(spec.steps ?? [[null, 'blue']]));
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.interval !== undefined) panel.interval(spec.interval);
  for (const [field, properties] of spec.overrides ?? []) panel.overrideByName(field, properties);
  return panel;
}

const legend = () => new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true);
const colors = (mode: FieldColorModeId) => new FieldColorBuilder().mode(mode);

export const stat = (spec: PanelSpec): Stat =>
  common_(new Stat(), spec, 'table')
    .colorScheme(colors(FieldColorModeId.Thresholds))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .justifyMode(common.BigValueJustifyMode.Auto)
    .orientation(common.VizOrientation.Auto)
    .textMode(common.BigValueTextMode.Value);

export const table = (spec: PanelSpec): Table =>
  common_(new Table(), spec, 'table')
    .colorScheme(colors(FieldColorModeId.Thresholds))
    .align(common.FieldTextAlignment.Auto)
    .filterable(true)
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm)
    .footer(new common.TableFooterOptionsBuilder().show(false));

/** Daily stacked bars (a count per kind) or lines (a rate), both with the legend below. */
export function timeseries(spec: PanelSpec & { style: 'bars' | 'lines'; thresholdsStyle?: common.GraphThresholdsStyleMode }): TimeSeries {
  const panel = common_(new TimeSeries(), spec, 'timeseries')
    .colorScheme(colors(FieldColorModeId.PaletteClassic))
    .legend(legend())
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.None))
    .spanNulls(false);
  if (spec.style === 'bars') {
    panel.drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80).lineWidth(1).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group('A'));
  } else {
    panel.drawStyle(common.GraphDrawStyle.Line).lineWidth(2).fillOpacity(10).pointSize(5).showPoints(common.VisibilityMode.Auto).axisSoftMin(0);
  }
  if (spec.thresholdsStyle) panel.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(spec.thresholdsStyle));
  return panel;
}

/** Horizontal bars for a top list, vertical stacked bars for a distribution, or grouped by a label column. */
export function barchart(spec: PanelSpec & { style: 'top' | 'distribution' | 'grouped'; xField?: string }): BarChart {
  const panel = common_(new BarChart(), spec, 'table').colorScheme(colors(FieldColorModeId.PaletteClassic)).legend(legend()).showValue(common.VisibilityMode.Auto);
  if (spec.style === 'grouped') return panel.orientation(common.VizOrientation.Horizontal).stacking(common.StackingMode.Normal).xField(spec.xField!);
  panel.fillOpacity(80).lineWidth(1).gradientMode(common.GraphGradientMode.None).groupWidth(0.7).barWidth(0.9).tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single));
  return spec.style === 'top'
    ? panel.orientation(common.VizOrientation.Horizontal).stacking(common.StackingMode.None).xTickLabelRotation(0)
    : panel.orientation(common.VizOrientation.Vertical).stacking(common.StackingMode.Normal).xTickLabelRotation(-45);
}

/** A link on each row's session id to the session investigation dashboard, keeping the time range. */
export const investigateSession = (dashboardUid: string, variable: string): DynamicConfigValue => ({
  id: 'links',
  value: [{ title: 'Investigate this session', url: `/d/${dashboardUid}?var-${variable}=\${__value.raw}&\${__url_time_range}` }],
});

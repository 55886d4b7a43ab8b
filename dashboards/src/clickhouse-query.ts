import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { CLICKHOUSE_PLUGIN_VERSION, clickhouse } from './datasource.js';

/**
 * The grafana-clickhouse-datasource query model (src/types/sql.ts, CHSqlQuery, at the pinned plugin
 * version), for the SDK, which ships none: its "custom query type" recipe.
 */
export type EditorType = 'sql' | 'builder';
export type QueryType = 'table' | 'logs' | 'timeseries' | 'traces';

/** The plugin's mapQueryTypeToGrafanaFormat (src/data/utils.ts): what the backend frames the rows as. */
export const formatOf: Record<QueryType, number> = { table: 1, logs: 2, timeseries: 0, traces: 3 };

export interface ClickHouseSqlQuery {
  refId?: string;
  hide?: boolean;
  datasource: { type: string; uid: string };
  pluginVersion: string;
  editorType: EditorType;
  queryType: QueryType;
  format: number;
  rawSql: string;
  _implementsDataqueryVariant(): void;
}

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseSqlQuery;

  constructor(rawSql: string, queryType: QueryType = 'table') {
    this.internal = {
      refId: 'A',
      datasource: { ...clickhouse },
      pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
      editorType: 'sql',
      queryType,
      format: formatOf[queryType],
      rawSql,
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }

  build(): ClickHouseSqlQuery {
    return this.internal;
  }
}

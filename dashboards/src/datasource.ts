/** The ClickHouse plugin the stack pins (docker-compose.yml installs exactly this version) and its datasource. */
export const CLICKHOUSE_PLUGIN_ID = 'grafana-clickhouse-datasource';
export const CLICKHOUSE_PLUGIN_VERSION = '4.20.0';

/** Provisioned with this uid (provisioning/datasources, provisioning-embedded/datasources). */
export const clickhouse = { type: CLICKHOUSE_PLUGIN_ID, uid: 'clickhouse' } as const;

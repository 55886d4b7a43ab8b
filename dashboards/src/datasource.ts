/** The ClickHouse plugin the stack pins (docker-compose.yml installs exactly this version) and its datasource. */
export const CLICKHOUSE_PLUGIN_ID = 'grafana-clickhouse-datasource';
export const CLICKHOUSE_PLUGIN_VERSION = '4.20.0';
/** Its src/plugin.json at that tag: dependencies.grafanaDependency. */
export const PLUGIN_GRAFANA_DEPENDENCY = '11.6.0';

/** Provisioned with this uid (provisioning/datasources, provisioning-embedded/datasources). */
export const clickhouse = { type: CLICKHOUSE_PLUGIN_ID, uid: 'clickhouse' } as const;

export interface ClickHouseEndpoint {
  name: string;
  host: string;
  port: number;
  protocol: 'native' | 'http';
  /** Environment variable holding the grafana user's password where Grafana runs. */
  passwordEnv: string;
}

/** docker-compose: the ClickHouse server, native protocol. */
export const composeServer: ClickHouseEndpoint = { name: 'ClickHouse (INE audit)', host: 'clickhouse', port: 9000, protocol: 'native', passwordEnv: 'GRAFANA_CLICKHOUSE_PASSWORD' };
/** Beside `npm start`: the embedded store's SQL door, ClickHouse's HTTP interface on the host's loopback. */
export const embeddedDoor: ClickHouseEndpoint = { name: 'ClickHouse (INE audit, embedded door)', host: '127.0.0.1', port: 8123, protocol: 'http', passwordEnv: 'GRAFANA_PASSWORD' };

/** A provisioning file for the datasource every dashboard and alert rule references by uid. */
export const datasourceFile = (endpoint: ClickHouseEndpoint) => ({
  apiVersion: 1,
  datasources: [
    {
      name: endpoint.name,
      uid: clickhouse.uid,
      type: clickhouse.type,
      orgId: 1,
      isDefault: true,
      editable: false,
      jsonData: {
        host: endpoint.host,
        port: endpoint.port,
        protocol: endpoint.protocol,
        secure: false,
        username: 'grafana',
        defaultDatabase: 'ine_audit',
        dialTimeout: 10,
        queryTimeout: 60,
      },
      secureJsonData: { password: `$__env{${endpoint.passwordEnv}}` },
    },
  ],
});

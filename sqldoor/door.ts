import { rmSync, writeFileSync } from 'node:fs';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { doorFile } from '../lib/local-secrets.js';
import { createAccessLog } from './access-log.js';
import { openDoorEngine } from './engine.js';
import { buildDoorApp } from './http.js';

export interface Door {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves the embedded store's SQL door for the process that owns DATA_DIR. `config` carries the
 * local secrets (withLocalSecrets). stop() cancels running queries first, so shutdown never waits on one.
 */
export async function startDoor(deps: { config: Config; client: ClickHouseClient; log: Logger; host?: string; port?: number; announce?: boolean; settled?: () => Promise<void> }): Promise<Door> {
  const { config, log } = deps;
  const engine = await openDoorEngine(config.dataDir);
  const accessLog = createAccessLog(deps.client, log.child({ component: 'sqldoor' }));
  const { analyst, grafana } = config.sqlDoor.passwords;
  const app = await buildDoorApp({
    engine,
    credentials: { analyst: analyst!, grafana: grafana!, operator: config.adminToken! },
    limits: config.sqlDoor.limits,
    maxConcurrentQueries: config.sqlDoor.maxConcurrentQueries,
    log,
    record: accessLog.record,
    settled: deps.settled,
  });
  const url = await app.listen({ host: deps.host ?? config.sqlDoor.host, port: deps.port ?? config.sqlDoor.port });
  const announce = deps.announce ?? true;
  if (announce) {
    writeFileSync(doorFile(config.dataDir), JSON.stringify({ url, pid: process.pid }), { mode: 0o600 });
    log.info(
      {
        url,
        users: ['analyst', 'grafana', 'operator'],
        passwords: { ...config.sqlDoor.passwordSources, operator: 'the admin token (ADMIN_TOKEN or DATA_DIR/admin-token)' },
      },
      'sql door listening (ClickHouse HTTP interface, read-only)',
    );
  }
  return {
    url,
    async stop() {
      await engine.cancelAll();
      await app.close();
      await accessLog.stop();
      await engine.close();
      if (announce) rmSync(doorFile(config.dataDir), { force: true });
    },
  };
}

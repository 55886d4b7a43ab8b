import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../lib/config.js';
import { createClickHouse, isEmbedded, type ClickHouseClient } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrate.js';

// npm run migrate: the deployment step that applies pending migrations, under a lock in ClickHouse
// (two migrators at once: one applies, the other waits and finds nothing left to do).
const config = loadConfig();
for (const warning of config.deprecations) console.warn(warning);

/** One process owns an embedded data directory: wait a while for whoever holds it (another migrator). */
async function openStore(): Promise<ClickHouseClient> {
  const deadline = Date.now() + 120_000;
  for (let waited = false; ; ) {
    try {
      return createClickHouse(config);
    } catch (err) {
      if (!isEmbedded(config) || (err as { code?: string }).code !== 'CHDB_CONNECTION' || Date.now() > deadline) throw err;
      if (!waited) console.error(`${config.dataDir} is held by another process; waiting for it (a running service migrates its own embedded store)`);
      waited = true;
      await sleep(250);
    }
  }
}

let client: ClickHouseClient | null = null;
try {
  client = await openStore();
  const applied = await migrate(client, { rawRetentionDays: config.rawRetentionDays, cluster: config.clickhouse.cluster });
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
} catch (err) {
  console.error(`migration failed: ${(err as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  await client?.close();
}

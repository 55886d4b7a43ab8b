import { loadConfig } from '../lib/config.js';
import { createClickHouse } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrate.js';

// npm run migrate: the deployment step that applies pending migrations, under a lock in ClickHouse
// (two migrators at once: one applies, the other waits and finds nothing left to do).
const config = loadConfig();
for (const warning of config.deprecations) console.warn(warning);
const client = createClickHouse(config);
try {
  const applied = await migrate(client, { rawRetentionDays: config.rawRetentionDays, cluster: config.clickhouse.cluster });
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}

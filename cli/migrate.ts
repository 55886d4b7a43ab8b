import { loadConfig } from '../lib/config.js';
import { createClickHouse } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrate.js';

// npm run migrate: apply pending ClickHouse migrations (services also do this at start-up).
const config = loadConfig();
const client = createClickHouse(config);
try {
  const applied = await migrate(client, { rawRetentionDays: config.rawRetentionDays });
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}

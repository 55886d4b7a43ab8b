import { createClickHouse, queryRows } from '../lib/clickhouse.ts';
import { migrate } from '../lib/migrate.ts';
const c = createClickHouse({ clickhouse: { url: undefined, user: undefined, password: undefined }, dataDir: '/tmp/exp/mig' } as any);
await migrate(c, { rawRetentionDays: 90 });
console.log(JSON.stringify(await queryRows(c, "SELECT name, engine FROM system.tables WHERE database='ine_audit' ORDER BY name")));
console.log(JSON.stringify(await queryRows(c, "SELECT table, groupArray(name) FROM system.columns WHERE database='ine_audit' AND table IN ('dead_letters','quarantine','raw_payloads','deliveries','rejection_log') GROUP BY table")));
await c.close();

import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.js';
import { openReadOnly, type SqlUser } from './admin-client.js';

// npm run sql -- "<query>" [--param name=value ...] [--user operator]: result rows as JSON lines, read-only,
// through the SQL door (or CLICKHOUSE_URL) as analyst; the operator is the explicit, logged way to everything.
const { values, positionals } = parseArgs({ allowPositionals: true, options: { param: { type: 'string', multiple: true }, user: { type: 'string', default: 'analyst' } } });
const query = positionals.join(' ').trim();
if (!query || !['analyst', 'operator'].includes(values.user!)) {
  console.error('usage: npm run sql -- "<query>" [--param name=value ...] [--user analyst|operator]');
  process.exit(2);
}
const params = Object.fromEntries((values.param ?? []).map((p) => [p.slice(0, p.indexOf('=') >>> 0), p.slice(p.indexOf('=') + 1)]));
const db = await openReadOnly(loadConfig(), values.user as SqlUser);
try {
  for (const row of await db.run(query, params)) process.stdout.write(JSON.stringify(row) + '\n');
} catch (err) {
  const e = err as Error & { code?: string; type?: string };
  console.error(`query failed: ${e.type ? `Code: ${e.code} (${e.type}). ` : ''}${e.message.trim()}`);
  process.exitCode = 1;
} finally {
  await db.close();
}

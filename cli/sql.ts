import { loadConfig } from '../lib/config.js';
import { openReadOnly } from './admin-client.js';

// npm run sql -- "<query>" [--param name=value ...]: result rows as JSON lines, read-only.
const args = process.argv.slice(2);
const query = args.find((a) => !a.startsWith('--param') && !args[args.indexOf(a) - 1]?.startsWith('--param'));
if (!query) {
  console.error('usage: npm run sql -- "<query>" [--param name=value ...]');
  process.exit(2);
}
const params: Record<string, string> = {};
args.forEach((a, i) => {
  if (a === '--param' && args[i + 1]) {
    const [k, ...v] = args[i + 1]!.split('=');
    params[k!] = v.join('=');
  }
});
const db = await openReadOnly(loadConfig());
try {
  for (const row of await db.run(query, params)) process.stdout.write(JSON.stringify(row) + '\n');
} catch (err) {
  console.error(`query failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}

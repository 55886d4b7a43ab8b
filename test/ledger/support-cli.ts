import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { ClickHouseClient } from '../../lib/clickhouse.js';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { withLocalSecrets } from '../../lib/local-secrets.js';
import { loadLedgerKey } from '../../ledger/keys.js';
import { startDoor, type Door } from '../../sqldoor/door.js';
import { testDataDir } from '../helpers/clickhouse.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** One of the project's CLIs (cli/<name>.ts) in a child process, as `npm run <name>` starts it; never throws. */
export function cliRun(name: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsx, `cli/${name}.ts`, ...args], { cwd: repoRoot, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * The environment a CLI child needs to reach this process's store as `npm start` would serve it: the
 * running service's SQL door over the test's chdb directory (or CLICKHOUSE_URL), with a ledger key in DATA_DIR.
 */
export async function cliAgainstTestStore(client: ClickHouseClient, extra: Record<string, string> = {}) {
  const clickhouseUrl = inject('services')?.clickhouseUrl ?? null;
  const dataDir = clickhouseUrl ? mkdtempSync(join(tmpdir(), 'ine-audit-ledger-')) : testDataDir();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...extra };
  if (clickhouseUrl) env.CLICKHOUSE_URL = clickhouseUrl;
  const config = withLocalSecrets(loadConfig(env), { integrations: false });
  const key = loadLedgerKey(config, { create: true });
  const door: Door | null = clickhouseUrl ? null : await startDoor({ config, client, log: createLogger('silent'), port: 0 });
  return { env, config, key, door, stop: async () => door?.stop() };
}

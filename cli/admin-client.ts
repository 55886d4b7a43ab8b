import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../lib/config.js';
import { createClickHouse, isEmbedded, queryRows } from '../lib/clickhouse.js';
import { adminFile } from '../lib/local-secrets.js';

export type RunQuery = (query: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>[]>;

/**
 * Read-only queries from a CLI: a ClickHouse server directly; the embedded store through the running
 * service that owns it (admin endpoint), or directly when nobody holds it.
 */
export async function openReadOnly(config: Config): Promise<{ run: RunQuery; close: () => Promise<void>; via: string }> {
  if (isEmbedded(config) && existsSync(adminFile(config.dataDir))) {
    const { url } = JSON.parse(readFileSync(adminFile(config.dataDir), 'utf8')) as { url: string };
    const token = config.adminToken ?? readFileSync(join(config.dataDir, 'admin-token'), 'utf8').trim();
    const alive = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (alive) {
      const run: RunQuery = async (query, params = {}) => {
        const res = await fetch(`${url}/sql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin-token': token }, body: JSON.stringify({ query, params }) });
        const body = (await res.json()) as { rows?: Record<string, unknown>[]; message?: string };
        if (!res.ok) throw new Error(body.message ?? `admin endpoint answered ${res.status}`);
        return body.rows ?? [];
      };
      return { run, close: async () => {}, via: url };
    }
  }
  const client = createClickHouse(config);
  return {
    run: (query, params = {}) => queryRows(client, query, params, { readonly: 1 }),
    close: () => client.close(),
    via: config.clickhouse.url ?? 'chdb',
  };
}

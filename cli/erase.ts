import { existsSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createClickHouse, isEmbedded } from '../lib/clickhouse.js';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { adminFile, withLocalSecrets } from '../lib/local-secrets.js';
import { migrate } from '../lib/migrate.js';
import { erase, type Receipt } from '../erasure/erase.js';
import { ErasureRequestError, parseErasureRequest, type ErasureRequest } from '../erasure/request.js';
import { erasureDeps } from '../erasure/service.js';

/*
 * npm run erase -- --session <id> | --person <CURP> --reason "<text>" --requested-by "<who>" [--full] [--dry-run]
 * Exit codes: 0 done (or dry run) · 1 failed · 2 usage error.
 */
const usage = 'usage: npm run erase -- --session <id> | --person <CURP> --reason "<text>" --requested-by "<who>" [--full] [--dry-run]';

type Outcome = Awaited<ReturnType<typeof erase>>;

/** The running service that owns the embedded store erases (it holds chdb); otherwise this process does. */
async function viaRunningService(config: Config, request: ErasureRequest): Promise<Outcome | null> {
  if (!isEmbedded(config) || !existsSync(adminFile(config.dataDir))) return null;
  const { url } = JSON.parse(readFileSync(adminFile(config.dataDir), 'utf8')) as { url: string };
  if (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) return null;
  const res = await fetch(`${url}/erase`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin-token': config.adminToken! }, body: JSON.stringify(request) });
  const answer = (await res.json()) as Outcome & { message?: string };
  if (!res.ok) throw new Error(answer.message ?? `running service answered ${res.status}`);
  return answer;
}

async function directly(config: Config, request: ErasureRequest): Promise<Outcome> {
  const client = createClickHouse(config);
  try {
    await migrate(client, { rawRetentionDays: config.rawRetentionDays });
    return await erase(erasureDeps(client, config), request);
  } finally {
    await client.close();
  }
}

function print({ receipt, plan }: Outcome, dryRun: boolean): void {
  const lines = plan.map((p) => `  ${p.table.padEnd(14)} ${String(p.rows).padStart(7)} rows  ${p.what}`);
  const sessions = `${receipt.session_ids.length} session${receipt.session_ids.length === 1 ? '' : 's'}`;
  process.stdout.write(`${dryRun ? 'DRY RUN, nothing removed. Would remove' : `Erased, receipt ${receipt.erasure_id}. Removed`} for ${receipt.scope} (${sessions}):\n${lines.join('\n')}\n`);
  process.stdout.write(`Kept: the compliance record (session ids, INE results, consent verdicts, times)${receipt.full ? ', without pseudonyms' : ' and its pseudonyms (--full removes them)'}; the ledger's leaves (hashes, no bodies).\n`);
  process.stdout.write(receipt.kafka_copies_expire_at ? `Kafka copies expire by ${receipt.kafka_copies_expire_at} (KAFKA_RETENTION_HOURS).\n` : 'No Kafka copies (embedded mode).\n');
  // A dry run writes no receipt, so it names none.
  const { erasure_id, ...counts } = summary(receipt);
  process.stdout.write(`${JSON.stringify(dryRun ? { dryRun: true, ...counts } : { erasure_id, ...counts })}\n`);
}

const summary = (r: Receipt) => ({ erasure_id: r.erasure_id, scope: r.scope, full: r.full, sessions: r.session_ids.length, deliveries: r.delivery_ids.length, rows_removed: r.rows_removed, kafka_copies_expire_at: r.kafka_copies_expire_at });

export async function main(argv: string[]): Promise<number> {
  let request: ErasureRequest;
  let config: Config;
  try {
    const { values } = parseArgs({ args: argv, strict: true, options: {
      session: { type: 'string' }, person: { type: 'string' }, reason: { type: 'string' }, 'requested-by': { type: 'string' }, full: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false },
    } });
    request = parseErasureRequest({ session: values.session, person: values.person, reason: values.reason ?? '', requestedBy: values['requested-by'] ?? '', runBy: `${userInfo().username}@${hostname()}`, full: values.full, dryRun: values['dry-run'] });
    config = withLocalSecrets(loadConfig(), { integrations: false });
  } catch (err) {
    const known = err instanceof ErasureRequestError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${known ? (err as Error).message : `erase failed: ${(err as Error).message}`}\n${usage}\n`);
    return known ? 2 : 1;
  }
  try {
    const outcome = (await viaRunningService(config, request)) ?? (await directly(config, request));
    print(outcome, request.dryRun);
    return 0;
  } catch (err) {
    process.stderr.write(`erase failed: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

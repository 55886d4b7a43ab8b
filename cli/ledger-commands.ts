import type { Config } from '../lib/config.js';
import { parseIsoInstant } from '../audits/params.js';
import { takeOption, UsageError } from '../audits/cli-args.js';
import { LedgerKeyError, loadLedgerKey } from '../ledger/keys.js';
import { verifyStore, type RunRows } from '../ledger/verify-store.js';

/** `npm run audit -- verify-store` and `-- ledger-key`: what they print, apart from cli/audit.ts's wiring. */

export class LedgerUsageError extends Error {
  override name = 'LedgerUsageError';
}

function instantOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseIsoInstant(text);
  } catch (err) {
    throw new LedgerUsageError(`--${name}: ${(err as Error).message}`);
  }
}

const ledgerKeyText = (config: Config): string => loadLedgerKey(config, { create: false }).publicKeyPem;

/** What an evidence pack needs of the ledger, or undefined where no key exists (a store that never sealed). */
export function packLedgerKey(config: Config): { publicKeyPem: string; lateWindowMs: number } | undefined {
  try {
    return { publicKeyPem: loadLedgerKey(config, { create: false }).publicKeyPem, lateWindowMs: config.ledger.lateWindowMs };
  } catch (err) {
    if (err instanceof LedgerKeyError && !config.ledger.signingKey) return undefined;
    throw err;
  }
}

export const isLedgerCommand = (command: string): command is 'verify-store' | 'ledger-key' => command === 'verify-store' || command === 'ledger-key';

interface LedgerCommandDeps {
  config: Config;
  /** The CLIs' way into the store (cli/admin-client.ts openReadOnly). */
  open: (config: Config, user: 'operator') => Promise<{ run: RunRows; close: () => Promise<void> }>;
  out: (text: string) => void;
}

/** `verify-store [--from T --to T]` and `ledger-key`; the exit code. */
export async function ledgerCommand(command: 'verify-store' | 'ledger-key', options: Map<string, string>, deps: LedgerCommandDeps): Promise<number> {
  const range = command === 'verify-store' ? { from: takeOption(options, 'from'), to: takeOption(options, 'to') } : {};
  if (options.size) throw new UsageError(`${command} takes no option --${[...options.keys()][0]}`);
  if (command === 'ledger-key') return deps.out(ledgerKeyText(deps.config)), 0;
  // The operator: checking raw copies reads raw_payloads (only hashes leave the store).
  const db = await deps.open(deps.config, 'operator');
  try {
    return await verifyStoreCommand(db.run, deps.config, range, (line) => deps.out(`${line}\n`));
  } finally {
    await db.close();
  }
}

/** Prints one line per finding; exit code 0 when nothing is tampered, 1 otherwise. */
async function verifyStoreCommand(run: RunRows, config: Config, range: { from?: string; to?: string }, out: (line: string) => void): Promise<number> {
  const fromMs = instantOption('from', range.from);
  const toMs = instantOption('to', range.to);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw new LedgerUsageError('--from must be before --to');
  const key = loadLedgerKey(config, { create: false });
  const started = performance.now();
  const result = await verifyStore(run, key, { fromMs, toMs, lateWindowMs: config.ledger.lateWindowMs, rawRetentionDays: config.rawRetentionDays });
  const count = (kind: string) => result.findings.filter((f) => f.kind === kind).length;
  for (const f of result.findings) out(`${f.kind === 'tampered' ? 'TAMPERED' : f.kind === 'erased' ? 'ERASED' : 'UNSEALED'} ${f.interval}: ${f.what}`);
  const summary = `${result.digests} digests, ${result.leaves} sealed leaves, ${count('erased')} raw copies erased with a receipt, ${count('unsealed')} leaves awaiting their digest (${Math.round(performance.now() - started)} ms; key ${key.keyId.slice(0, 16)}…)`;
  const tampered = count('tampered');
  out(tampered ? `FAILED: ${tampered} finding${tampered === 1 ? '' : 's'}; ${summary}` : `OK: ${summary}`);
  return tampered ? 1 : 0;
}

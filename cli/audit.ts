import { existsSync, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { loadCatalog, type AuditQuery } from '../audits/catalog.js';
import { csvHeader, csvValues, formatRows, formats, type Format } from '../audits/format.js';
import { verifyPack } from '../audits/manifest.js';
import { isoOf, optionName, ParamError, paramName, parseParams } from '../audits/params.js';
import { parseArgv, takeOption as take, UsageError } from '../audits/cli-args.js';
import { buildEvidencePack, reportParams } from '../audits/report.js';
import { describeQuery, runAudit } from '../audits/runner.js';
import { isEmbedded } from '../lib/clickhouse.js';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { openReadOnly } from './admin-client.js';
import { isLedgerCommand, ledgerCommand, LedgerUsageError, packLedgerKey } from './ledger-commands.js';

/*
 * npm run audit -- list [--format json]
 * npm run audit -- <query> --from <ISO> --to <ISO> [--integration <name>] [--session <id>] [--format table|csv|json]
 * npm run audit -- report --from <ISO> --to <ISO> [--integration <name>] --out <dir>
 * npm run audit -- verify <dir> [--fingerprint <sha256>]
 * Exit codes: 0 ok · 1 query failed or pack tampered · 2 usage error.
 */

const usage = `usage:
  npm run audit -- list [--format json]
  npm run audit -- <query> --from <ISO date|instant> --to <ISO date|instant> [--integration <name>] [--format table|csv|json]
  npm run audit -- session-timeline --session <session id> [--format table|csv|json]
  npm run audit -- report --from <ISO> --to <ISO> [--integration <name>] --out <new folder>
  npm run audit -- verify <pack folder> [--fingerprint <sha256 of SHA256SUMS>]
  npm run audit -- verify-store [--from <ISO> --to <ISO>]     (the signed ledger against the stored rows)
  npm run audit -- ledger-key                                 (the ledger's public key, PEM)
The period is [from, to): --from 2025-06-01 --to 2025-07-01 is June 2025 (UTC). Instants need an offset (Z, -06:00).`;

function formatOf(options: Map<string, string>): Format {
  const f = take(options, 'format') ?? 'table';
  if (!(formats as readonly string[]).includes(f)) throw new UsageError(`--format must be one of ${formats.join(', ')}`);
  return f as Format;
}

const rawParams = (options: Map<string, string>) => Object.fromEntries([...options].map(([k, v]) => [paramName(k), v]));

function describeParam(p: AuditQuery['params'][number]): string {
  const flag = `--${optionName(p.name)} <${p.type}>`;
  const need = p.required ? 'required' : p.defaultValue !== undefined ? `optional, default ${p.defaultValue}` : 'optional';
  return `    ${flag.padEnd(40)} ${need.padEnd(22)} ${p.description}`;
}

function wrap(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + word.length + 1 > width) lines.push(indent + line), (line = '');
    line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

function listCommand(catalog: Map<string, AuditQuery>, options: Map<string, string>): void {
  const format = take(options, 'format');
  if (options.size) throw new UsageError(`list takes no option --${[...options.keys()][0]}`);
  if (format === 'json') {
    const out = [...catalog.values()].map(({ name, title, description, params }) => ({ name, title, description, params }));
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  if (format !== undefined) throw new UsageError('list supports only --format json');
  const blocks = [...catalog.values()].map((q) => [`${q.name} — ${q.title}`, ...q.params.map(describeParam), wrap(q.description, '    ')].join('\n'));
  process.stdout.write(`Audit queries (${catalog.size}):\n\n${blocks.join('\n\n')}\n\n${usage}\n`);
}

/** Where the data comes from, for humans and the manifest; never with credentials. */
function storeLabel(config: Config, via: string): string {
  if (isEmbedded(config)) return via.startsWith('chdb') ? 'embedded chdb through this command\'s own SQL door (read-only)' : 'embedded chdb through the running service (read-only)';
  const url = new URL(config.clickhouse.url!);
  url.username = '';
  url.password = '';
  return `ClickHouse server ${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
}

async function withStore<T>(fn: (db: Awaited<ReturnType<typeof openReadOnly>>, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openReadOnly(config);
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

async function queryCommand(query: AuditQuery, options: Map<string, string>): Promise<void> {
  const format = formatOf(options);
  const params = parseParams(query, rawParams(options));
  if (format === 'csv') return withStore((db) => streamCsv(db, query, params));
  const result = await withStore((db) => runAudit(db.run, query, params));
  if (format === 'table') {
    const period = typeof params.from === 'string' && typeof params.to === 'string' ? ` · [${isoOf(params.from)}, ${isoOf(params.to)})` : '';
    const scope = query.params.some((p) => p.name === 'integration') ? ` · ${params.integration === null ? 'all integrations' : `integration ${params.integration}`}` : '';
    process.stdout.write(`# ${query.name}${period}${scope}\n`);
  }
  process.stdout.write(formatRows(format, result.columns, result.rows));
}

/** CSV as the rows arrive, a batch at a time: a year's listing never sits in memory whole. */
async function streamCsv(db: Awaited<ReturnType<typeof openReadOnly>>, query: AuditQuery, params: ReturnType<typeof parseParams>): Promise<void> {
  const columns = await describeQuery(db.run, query.sql, params);
  const write = async (text: string) => {
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  };
  await write(csvHeader(columns));
  for await (const batch of db.stream(query.sql, params)) await write(batch.map(csvValues).join(''));
}

async function reportCommand(catalog: Map<string, AuditQuery>, options: Map<string, string>): Promise<void> {
  const out = take(options, 'out');
  const [from, to, integration] = [take(options, 'from'), take(options, 'to'), take(options, 'integration')];
  if (options.size) throw new UsageError(`report takes no option --${[...options.keys()][0]}`);
  if (!out) throw new UsageError('report needs --out <new folder>');
  if (!from || !to) throw new UsageError('report needs --from and --to');
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) throw new UsageError(`${out} exists and is not an empty folder`);
  reportParams(catalog, { from, to, integration });
  const pack = await withStore((db, config) => buildEvidencePack({ run: db.run, stream: db.stream, catalog, store: storeLabel(config, db.via), ledger: packLedgerKey(config) }, { from, to, integration, outDir: out }));
  if (!pack.manifest.ledger) process.stdout.write('no ledger key here (LEDGER_SIGNING_KEY or DATA_DIR): the pack carries no ledger digests\n');
  const rows = pack.manifest.queries.map((q) => `  ${q.name.padEnd(26)} ${String(q.rows).padStart(7)} rows`).join('\n');
  process.stdout.write(`evidence pack written to ${out}\n  period [${pack.manifest.period.from}, ${pack.manifest.period.to})\n${rows}\n` +
    `fingerprint (sha256 of SHA256SUMS): ${pack.fingerprint}\nRecord the fingerprint with the hand-over; check later with: npm run audit -- verify ${out} --fingerprint ${pack.fingerprint}\n`);
}

async function verifyCommand(positionals: string[], options: Map<string, string>): Promise<number> {
  const fingerprint = take(options, 'fingerprint');
  if (options.size) throw new UsageError(`verify takes no option --${[...options.keys()][0]}`);
  if (positionals.length !== 1) throw new UsageError('verify needs exactly one pack folder');
  const dir = positionals[0]!;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  if (fingerprint !== undefined && !/^[0-9a-fA-F]{64}$/.test(fingerprint)) throw new UsageError('--fingerprint must be 64 hex digits');
  const result = await verifyPack(dir, fingerprint);
  if (result.ok) {
    const files = (result.manifest?.files.length ?? 0) + 2;
    process.stdout.write(`OK ${dir}: ${files} files match their SHA-256; period [${result.manifest?.period.from}, ${result.manifest?.period.to}), generated ${result.manifest?.generatedAt} by ${result.manifest?.software.name} ${result.manifest?.software.version}\nfingerprint ${result.fingerprint}${fingerprint ? ' (matches the recorded one)' : ''}\n`);
    return 0;
  }
  for (const p of result.problems) process.stdout.write(`TAMPERED ${p.file}: ${p.problem}\n`);
  process.stdout.write(`FAILED ${dir}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { positionals, options, help } = parseArgv(argv);
    const catalog = loadCatalog();
    const [command, ...rest] = positionals;
    if (help || !command) {
      (help ? process.stdout : process.stderr).write(`${usage}\nRun "npm run audit -- list" for the queries and their parameters.\n`);
      return help ? 0 : 2;
    }
    if (command === 'verify') return await verifyCommand(rest, options);
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (command === 'list') return listCommand(catalog, options), 0;
    if (command === 'report') return await reportCommand(catalog, options), 0;
    if (isLedgerCommand(command)) return await ledgerCommand(command, options, { config: loadConfig(), open: openReadOnly, out: (line) => process.stdout.write(line) });
    const query = catalog.get(command);
    if (!query) throw new UsageError(`unknown command or query "${command}" (see: npm run audit -- list)`);
    await queryCommand(query, options);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ParamError || err instanceof ConfigError || err instanceof LedgerUsageError) {
      process.stderr.write(`${err.message}\n\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`audit failed: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { csvReader } from './format.js';
import { packLedgerSchema, verifyPackLedger } from '../ledger/pack.js';

/**
 * Integrity of an evidence pack. manifest.json lists every file with its SHA-256 (and the period,
 * generation time, software version and row counts); SHA256SUMS seals every file *including*
 * manifest.json in the format `sha256sum -c` reads, so an auditor can check a pack without our tools.
 * The pack's fingerprint is the SHA-256 of SHA256SUMS: record it at hand-over, and a pack rebuilt
 * wholesale (files and sums changed together) no longer matches it.
 */

export const MANIFEST = 'manifest.json';
export const SUMS = 'SHA256SUMS';
export const PACK_FORMAT = 'ine-audit-evidence-pack/1';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const fileEntry = z.strictObject({ path: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const manifestSchema = z.strictObject({
  format: z.literal(PACK_FORMAT),
  title: z.string(),
  period: z.strictObject({ from: z.string(), to: z.string(), toExclusive: z.literal(true) }),
  integration: z.string().nullable(),
  generatedAt: z.string(),
  software: z.strictObject({ name: z.string(), version: z.string(), node: z.string() }),
  source: z.strictObject({ store: z.string(), clickhouseVersion: z.string() }),
  queries: z.array(
    z.strictObject({
      name: z.string(),
      title: z.string(),
      sql: z.string(),
      csv: z.string(),
      params: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
      columns: z.array(z.strictObject({ name: z.string(), type: z.string() })),
      rows: z.number().int().nonnegative(),
    }),
  ),
  ledger: packLedgerSchema.optional(),
  files: z.array(fileEntry),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestDraft = Omit<Manifest, 'files'>;

export interface PackFile {
  /** POSIX path relative to the pack root. */
  path: string;
  /** The bytes, or chunks of them as they come (a listing streamed from ClickHouse). */
  content: string | Buffer | AsyncIterable<string | Buffer>;
}

const manifestText = (m: Manifest): string => JSON.stringify(m, null, 2) + '\n';
const sumsText = (entries: Array<{ path: string; sha256: string }>): string =>
  [...entries].sort((a, b) => (a.path < b.path ? -1 : 1)).map((e) => `${e.sha256}  ${e.path}\n`).join('');

/** Writes one file, hashing and counting what passes: memory stays flat however large it is. */
async function writeHashed(target: string, content: PackFile['content']): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const chunks = typeof content === 'string' || Buffer.isBuffer(content) ? [content] : content;
  async function* counted() {
    for await (const chunk of chunks) {
      const buffer = Buffer.from(chunk);
      hash.update(buffer);
      bytes += buffer.length;
      yield buffer;
    }
  }
  await pipeline(Readable.from(counted()), createWriteStream(target));
  return { bytes, sha256: hash.digest('hex') };
}

/** Writes the files, then manifest.json, then SHA256SUMS; returns the pack fingerprint. */
export async function writePack(dir: string, files: PackFile[], draft: ManifestDraft | (() => ManifestDraft)): Promise<{ manifest: Manifest; fingerprint: string }> {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: an evidence pack needs a new or empty folder`);
  const entries: Array<{ path: string; bytes: number; sha256: string }> = [];
  for (const f of files) {
    const target = join(dir, ...f.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    entries.push({ path: f.path, ...(await writeHashed(target, f.content)) });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  // A draft may depend on what the streams counted (row counts), so it can be asked for last.
  const manifest: Manifest = { ...(typeof draft === 'function' ? draft() : draft), files: entries };
  const mText = manifestText(manifest);
  writeFileSync(join(dir, MANIFEST), mText);
  const sums = sumsText([...entries, { path: MANIFEST, sha256: sha256(mText) }]);
  writeFileSync(join(dir, SUMS), sums);
  return { manifest, fingerprint: sha256(sums) };
}

export interface Problem {
  file: string;
  problem: string;
}

export interface VerifyResult {
  ok: boolean;
  problems: Problem[];
  /** SHA-256 of SHA256SUMS, when it could be read. */
  fingerprint: string | null;
  manifest: Manifest | null;
}

/** Every regular file under dir, as POSIX relative paths; anything else (symlink, socket) is reported. */
function listFiles(dir: string, prefix = '', odd: string[] = []): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    if (st.isDirectory()) out.push(...listFiles(dir, rel, odd));
    else if (st.isFile()) out.push(rel);
    else odd.push(rel);
  }
  return out;
}

const safePath = (p: string) => p !== '' && !p.startsWith('/') && posix.normalize(p) === p && !p.split('/').includes('..');

function parseSums(text: string, problems: Problem[]): Map<string, string> | null {
  const sums = new Map<string, string>();
  for (const line of text.split('\n').slice(0, -1)) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m || !safePath(m[2]!) || sums.has(m[2]!)) {
      problems.push({ file: SUMS, problem: `malformed line: ${JSON.stringify(line.slice(0, 120))}` });
      return null;
    }
    sums.set(m[2]!, m[1]!);
  }
  // Byte-for-byte canonical, so a change in spacing or order is caught too.
  if (sumsText([...sums].map(([path, sha]) => ({ path, sha256: sha }))) !== text) {
    problems.push({ file: SUMS, problem: 'not in canonical form (sorted "<sha256>  <path>" lines ending in a newline)' });
    return null;
  }
  return sums;
}

function readManifest(dir: string, problems: Problem[]): Manifest | null {
  try {
    const text = readFileSync(join(dir, MANIFEST), 'utf8');
    const manifest = manifestSchema.parse(JSON.parse(text));
    if (manifestText(manifest) !== text) problems.push({ file: MANIFEST, problem: 'not in canonical form' });
    return manifest;
  } catch (err) {
    problems.push({ file: MANIFEST, problem: `unreadable: ${(err as Error).message.split('\n')[0]}` });
    return null;
  }
}

/**
 * A file whose SHA-256 is not the one SHA256SUMS lists: the manifest is the second witness. If the
 * manifest agrees with the file, the SHA256SUMS line was altered; if it agrees with SHA256SUMS, the file was.
 */
function blameMismatch(path: string, actual: string, listed: string, manifest: Manifest | null): Problem[] {
  const witness = manifest?.files.find((f) => f.path === path)?.sha256;
  if (witness === actual) return [{ file: SUMS, problem: `its line for ${path} was altered` }];
  if (witness === listed) return [{ file: path, problem: 'SHA-256 differs: file was altered' }];
  return [
    { file: path, problem: 'SHA-256 differs from SHA256SUMS' },
    { file: SUMS, problem: `its line for ${path} does not match the file (one of the two was altered)` },
  ];
}

/** SHA-256 of a file, read a chunk at a time. */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Records (header included) of a CSV file, counted a chunk at a time. */
async function csvRecords(path: string): Promise<number> {
  let records = 0;
  const reader = csvReader(() => records++);
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) reader.push(chunk as string);
  reader.end();
  return records;
}

/** The manifest agrees with SHA256SUMS, lists every file, and its row counts match the CSVs. */
async function crossCheck(dir: string, manifest: Manifest, sums: Map<string, string>, actual: Map<string, string>, problems: Problem[]): Promise<void> {
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const f of manifest.files) {
    if (!sums.has(f.path)) problems.push({ file: SUMS, problem: `does not list ${f.path}, which the manifest does` });
    // Agreeing with neither the file nor SHA256SUMS, the manifest's own entry was altered.
    else if (f.sha256 !== sums.get(f.path) && f.sha256 !== (actual.get(f.path) ?? null)) problems.push({ file: MANIFEST, problem: `its SHA-256 for ${f.path} matches neither the file nor SHA256SUMS` });
    else if (actual.has(f.path) && statSync(join(dir, f.path)).size !== f.bytes) problems.push({ file: f.path, problem: 'size differs from the manifest' });
  }
  for (const path of sums.keys()) if (path !== MANIFEST && !listed.has(path)) problems.push({ file: SUMS, problem: `lists ${path}, which the manifest does not` });
  for (const q of manifest.queries) {
    for (const path of [q.sql, q.csv]) if (!listed.has(path)) problems.push({ file: MANIFEST, problem: `query ${q.name} refers to ${path}, which it does not list` });
    if (!listed.has(q.csv) || !actual.has(q.csv)) continue;
    try {
      const records = await csvRecords(join(dir, q.csv));
      if (records - 1 !== q.rows) problems.push({ file: q.csv, problem: `${records - 1} rows, manifest says ${q.rows}` });
    } catch (err) {
      problems.push({ file: q.csv, problem: `not valid CSV: ${(err as Error).message}` });
    }
  }
}

/**
 * Checks a pack: every file's SHA-256, no file added or removed, manifest consistent with SHA256SUMS
 * and with the CSV row counts, and (when given) the fingerprint recorded at hand-over. Files are read
 * as streams, so memory does not grow with the pack.
 */
export async function verifyPack(dir: string, expectedFingerprint?: string): Promise<VerifyResult> {
  const problems: Problem[] = [];
  if (!existsSync(join(dir, SUMS))) return { ok: false, problems: [{ file: SUMS, problem: 'missing' }], fingerprint: null, manifest: null };
  const sumsBytes = readFileSync(join(dir, SUMS));
  const fingerprint = sha256(sumsBytes);
  const sums = parseSums(sumsBytes.toString('utf8'), problems);
  const odd: string[] = [];
  const present = new Set(listFiles(dir, '', odd));
  for (const f of odd) problems.push({ file: f, problem: 'not a regular file' });
  const manifest = present.has(MANIFEST) ? readManifest(dir, problems) : null;
  const actual = new Map<string, string>();
  for (const path of present) if (path !== SUMS) actual.set(path, await fileSha256(join(dir, path)));
  if (sums) {
    for (const f of present) if (f !== SUMS && !sums.has(f)) problems.push({ file: f, problem: 'added: not listed in SHA256SUMS' });
    for (const [path, listed] of sums) {
      const hash = actual.get(path);
      if (hash === undefined) problems.push({ file: path, problem: 'missing' });
      else if (hash !== listed) problems.push(...blameMismatch(path, hash, listed, manifest));
    }
    if (!sums.has(MANIFEST)) problems.push({ file: SUMS, problem: 'does not seal manifest.json' });
    if (manifest) await crossCheck(dir, manifest, sums, actual, problems);
  }
  if (manifest?.ledger) problems.push(...verifyPackLedger(dir, manifest.ledger));
  if (expectedFingerprint !== undefined && expectedFingerprint.toLowerCase() !== fingerprint) {
    problems.push({ file: SUMS, problem: `fingerprint ${fingerprint} is not the recorded ${expectedFingerprint}` });
  }
  return { ok: problems.length === 0, problems, fingerprint, manifest };
}

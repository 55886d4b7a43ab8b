import { createPublicKey, hash, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalDigest, keyIdOf, type DigestFields } from './digest.js';
import type { RunRows } from './verify-store.js';
import { digestColumns, digestFromRow } from './store.js';

/**
 * The ledger in an evidence pack: the public key and, per digest covering the period, its canonical
 * bytes (ledger/digests/<seq>.json) and raw Ed25519 signature (<seq>.sig), so `openssl pkeyutl
 * -verify -rawin` and `openssl dgst -sha256` check signatures and links with nothing of ours.
 */

export const PUBLIC_KEY_FILE = 'ledger/public-key.pem';
const digestFile = (seq: number) => `ledger/digests/${String(seq).padStart(6, '0')}.json`;
const signatureFile = (seq: number) => `ledger/digests/${String(seq).padStart(6, '0')}.sig`;

export const packLedgerSchema = z.strictObject({
  publicKey: z.string(),
  keyId: z.string(),
  /** Digests whose interval meets [from, to): the period, plus lateWindow for deliveries that reached ClickHouse after it. */
  covers: z.strictObject({ from: z.string(), to: z.string() }),
  digests: z.array(z.strictObject({ seq: z.number().int(), interval_start: z.string(), interval_end: z.string(), leaf_count: z.number().int(), file: z.string(), signature: z.string() })),
});
export type PackLedger = z.infer<typeof packLedgerSchema>;

export async function ledgerPackFiles(run: RunRows, key: { publicKeyPem: string; lateWindowMs: number }, period: { from: string; to: string }) {
  const covers = { from: period.from, to: new Date(Date.parse(period.to) + key.lateWindowMs).toISOString() };
  const rows = await run(
    `SELECT ${digestColumns}
     FROM ine_audit.ledger_digests
     WHERE interval_end > parseDateTime64BestEffort({from:String}, 3, 'UTC') AND interval_start < parseDateTime64BestEffort({to:String}, 3, 'UTC')
     ORDER BY interval_start, seq`,
    covers,
  );
  const files: Array<{ path: string; content: string | Buffer }> = [{ path: PUBLIC_KEY_FILE, content: key.publicKeyPem }];
  const digests: PackLedger['digests'] = [];
  for (const fields of rows.map(digestFromRow)) {
    files.push({ path: digestFile(fields.seq), content: canonicalDigest(fields) }, { path: signatureFile(fields.seq), content: Buffer.from(fields.signature, 'base64') });
    digests.push({ seq: fields.seq, interval_start: fields.interval_start, interval_end: fields.interval_end, leaf_count: fields.leaf_count, file: digestFile(fields.seq), signature: signatureFile(fields.seq) });
  }
  const manifest: PackLedger = { publicKey: PUBLIC_KEY_FILE, keyId: keyIdOf(createPublicKey(key.publicKeyPem)), covers, digests };
  return { files, manifest };
}

const readIn = (dir: string, path: string): Buffer | null => (existsSync(join(dir, path)) ? readFileSync(join(dir, path)) : null);

/** The pack's digests against its public key and each other: canonical bytes, signatures, links, contiguity. */
export function verifyPackLedger(dir: string, ledger: PackLedger): Array<{ file: string; problem: string }> {
  const problems: Array<{ file: string; problem: string }> = [];
  const pem = readIn(dir, ledger.publicKey);
  if (!pem) return [{ file: ledger.publicKey, problem: 'missing: the ledger digests cannot be checked' }];
  const publicKey = createPublicKey(pem);
  if (keyIdOf(publicKey) !== ledger.keyId) problems.push({ file: ledger.publicKey, problem: 'not the key the manifest names' });
  let previous: { fields: DigestFields; bytes: Buffer } | null = null;
  for (const entry of ledger.digests) {
    const bytes = readIn(dir, entry.file);
    const signature = readIn(dir, entry.signature);
    if (!bytes || !signature) {
      problems.push({ file: bytes ? entry.signature : entry.file, problem: 'missing' });
      previous = null;
      continue;
    }
    let fields: DigestFields;
    try {
      fields = JSON.parse(bytes.toString('utf8')) as DigestFields;
    } catch {
      problems.push({ file: entry.file, problem: 'not JSON' });
      continue;
    }
    if (!canonicalDigest(fields).equals(bytes)) problems.push({ file: entry.file, problem: 'not a canonical digest' });
    if (fields.key_id !== ledger.keyId) problems.push({ file: entry.file, problem: 'signed by another key' });
    else if (signature.length !== 64 || !verify(null, bytes, publicKey, signature)) problems.push({ file: entry.signature, problem: `bad signature for digest #${entry.seq}` });
    if (fields.seq !== entry.seq || fields.interval_start !== entry.interval_start || fields.leaf_count !== entry.leaf_count) problems.push({ file: entry.file, problem: 'differs from the manifest' });
    if (previous && previous.fields.seq + 1 === fields.seq && fields.previous_digest_hash !== hash('sha256', previous.bytes, 'hex')) problems.push({ file: entry.file, problem: `broken link: previous_digest_hash is not the SHA-256 of digest #${previous.fields.seq}` });
    if (previous && (previous.fields.seq + 1 !== fields.seq || previous.fields.interval_end !== fields.interval_start)) problems.push({ file: entry.file, problem: `digest missing between #${previous.fields.seq} and #${fields.seq}` });
    previous = { fields, bytes };
  }
  return problems;
}

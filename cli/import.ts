import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../lib/config.js';
import { sha256Hex } from '../lib/hash.js';
import type { FieldError } from '../schemas/validation.js';
import type { AcceptedMessage, PayloadKind } from '../schemas/messages.js';
import { payloadContracts, recordIdOf } from '../pipeline/contract.js';
import { validatePayload } from '../pipeline/payloads.js';
import { openIntake, type Intake } from './intake.js';

/**
 * npm run import -- <file.ndjson> [--integration NAME] [--batch N]
 * Backfills decisions (as GET /sessions/{id}/decision returns them), session events and consent records,
 * one JSON document a line, through the same validation and topics as live traffic.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { integration: { type: 'string', default: 'import' }, batch: { type: 'string', default: '5000' } },
});
const file = positionals[0];
const batchSize = Number(values.batch);
if (!file || !Number.isInteger(batchSize) || batchSize < 1) {
  console.error('usage: npm run import -- <file.ndjson> [--integration NAME] [--batch N]');
  process.exit(2);
}

interface Pending {
  kind: PayloadKind;
  recordId: string;
  key: string;
  message: AcceptedMessage;
}

const summary = { lines: 0, accepted: 0, duplicate: 0, rejected: 0 };
const rejectedLines: Array<{ line: number; errors: FieldError[] }> = [];
const reasons = new Map<string, number>();
const seen = new Set<string>();

async function alreadyStored(intake: Intake, batch: Pending[]): Promise<Set<string>> {
  if (!intake.query || batch.length === 0) return new Set();
  const rows = await intake.query(
    'SELECT DISTINCT record_id FROM ine_audit.deliveries WHERE kind IN {kinds:Array(String)} AND record_id IN {ids:Array(String)}',
    { kinds: [...new Set(batch.map((b) => b.kind))], ids: batch.map((b) => b.recordId) },
  );
  return new Set(rows.map((r) => String(r.record_id)));
}

async function flush(intake: Intake, batch: Pending[]): Promise<void> {
  const stored = await alreadyStored(intake, batch);
  const fresh = batch.filter((b) => !stored.has(b.recordId));
  summary.duplicate += batch.length - fresh.length;
  for (const kind of ['decision', 'event', 'consent'] as const) {
    const ofKind = fresh.filter((b) => b.kind === kind);
    if (ofKind.length) await intake.accept(payloadContracts[kind].topic, ofKind.map(({ key, message }) => ({ key, message })));
  }
  summary.accepted += fresh.length;
}

const intake = await openIntake(loadConfig());
const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} bytes | accepted {accepted} duplicate {duplicate} rejected {rejected}' }, cliProgress.Presets.shades_classic) : null;
bar?.start(statSync(file).size, 0, summary);
const receivedAt = new Date().toISOString();
let bytes = 0;
let batch: Pending[] = [];
// One batch in flight while the next is parsed; batches still land one after another.
let inFlight: Promise<void> = Promise.resolve();
try {
  for await (const text of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    bytes += Buffer.byteLength(text) + 1;
    if (text.trim() === '') continue;
    const line = ++summary.lines;
    const validated = validatePayload(text, ['decision', 'event', 'consent'], 'decision');
    if (!validated.ok) {
      summary.rejected++;
      if (rejectedLines.length < 20) rejectedLines.push({ line, errors: validated.errors.slice(0, 3) });
      for (const e of validated.errors) reasons.set(`${e.path}: ${e.message}`, (reasons.get(`${e.path}: ${e.message}`) ?? 0) + 1);
      continue;
    }
    const recordId = recordIdOf(validated.kind, validated.payload);
    if (seen.has(recordId)) {
      summary.duplicate++;
      continue;
    }
    seen.add(recordId);
    const bodySha256 = sha256Hex(text);
    batch.push({
      kind: validated.kind,
      recordId,
      key: validated.sessionId,
      // Deterministic delivery id: importing the same file twice records no new deliveries.
      message: { v: 1, kind: validated.kind, deliveryId: `import:${bodySha256}`, integration: values.integration!, receivedAt, source: 'import', bodySha256, body: text },
    });
    if (batch.length >= batchSize) {
      await inFlight;
      inFlight = flush(intake, batch);
      inFlight.catch(() => {}); // surfaced by the next await, not as an unhandled rejection
      batch = [];
      bar?.update(bytes, summary);
    }
  }
  await inFlight;
  await flush(intake, batch);
  bar?.update(bytes, summary);
} finally {
  bar?.stop();
  await intake.close();
}

console.log(`imported ${file} via ${intake.via}`);
console.log(`lines ${summary.lines} | accepted ${summary.accepted} | duplicate ${summary.duplicate} | rejected ${summary.rejected}`);
for (const [reason, count] of [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  rejected ${count}× ${reason}`);
for (const r of rejectedLines) console.log(`  line ${r.line}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
console.log(JSON.stringify({ summary: { ...summary, file } }));

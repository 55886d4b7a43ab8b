import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.js';
import { toClickHouseTime } from '../lib/time.js';
import { decodeUtf8 } from '../ingest/body.js';
import type { AcceptedMessage, PayloadKind } from '../schemas/messages.js';
import { payloadContracts } from '../pipeline/contract.js';
import { validatePayload } from '../pipeline/payloads.js';
import { openIntake, type Intake } from './intake.js';
import { erasedInRange, quarantineErasures } from '../erasure/replay-note.js';

/**
 * npm run replay -- --quarantined          re-validate quarantined bodies; those that now pass enter the normal path once
 * npm run replay -- --from T --to T         re-derive normalized tables from the raw copies received in [from, to)
 */
const { values } = parseArgs({
  options: { quarantined: { type: 'boolean', default: false }, from: { type: 'string' }, to: { type: 'string' }, page: { type: 'string', default: '2000' } },
});
const page = Number(values.page);
const asIso = (chTime: string) => `${chTime.replace(' ', 'T')}Z`;

interface StoredBody {
  delivery_id: string;
  kind: PayloadKind;
  integration: string;
  received_text: string;
  body_sha256: string;
  body: string;
}

async function acceptAll(intake: Intake, items: Array<{ kind: PayloadKind; key: string; message: AcceptedMessage }>) {
  for (const kind of ['decision', 'event', 'consent'] as const) {
    const ofKind = items.filter((i) => i.kind === kind);
    if (ofKind.length) await intake.accept(payloadContracts[kind].topic, ofKind.map(({ key, message }) => ({ key, message })));
  }
}

async function replayQuarantined(intake: Intake): Promise<void> {
  const rows = (await intake.query!(
    'SELECT delivery_id, kind, integration, toString(received_at) AS received_text, body_sha256, body, body_encoding FROM ine_audit.quarantine_pending ORDER BY received_at, delivery_id',
  )) as unknown as Array<StoredBody & { body_encoding: string }>;
  const passing: Array<{ kind: PayloadKind; key: string; message: AcceptedMessage }> = [];
  let stillInvalid = 0;
  for (const q of rows) {
    const text = q.body_encoding === 'base64' ? decodeUtf8(Buffer.from(q.body, 'base64')) : q.body;
    const allowed: PayloadKind[] = q.kind === 'consent' ? ['consent'] : ['decision', 'event'];
    const validated = text === null ? null : validatePayload(text, allowed, q.kind);
    if (!validated?.ok) {
      stillInvalid++;
      console.log(`still invalid ${q.delivery_id}: ${validated ? validated.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : 'body is not valid UTF-8'}`);
      continue;
    }
    passing.push({
      kind: validated.kind,
      key: validated.sessionId,
      // The original delivery id: replaying again finds nothing pending, and a concurrent replay collapses.
      message: { v: 1, kind: validated.kind, deliveryId: q.delivery_id, integration: q.integration, receivedAt: asIso(q.received_text), source: 'quarantine_replay', bodySha256: q.body_sha256, body: text! },
    });
  }
  await acceptAll(intake, passing);
  const erased = await quarantineErasures(intake.query!);
  if (erased.bodies) console.log(`skipped ${erased.bodies} quarantined bodies removed by ${erased.receipts} erasure receipts`);
  console.log(JSON.stringify({ quarantined: rows.length, replayed: passing.length, stillInvalid, erasedSkipped: erased.bodies }));
}

async function rederive(intake: Intake, from: string, to: string): Promise<void> {
  const counts: Record<string, number> = { decision: 0, event: 0, consent: 0 };
  let after = { at: '1970-01-01 00:00:00.000', id: '' };
  for (;;) {
    const rows = (await intake.query!(
      `SELECT delivery_id, kind, integration, source, toString(received_at) AS received_text, body_sha256, body
       FROM ine_audit.raw_payloads FINAL
       WHERE received_at >= {from:DateTime64(3, 'UTC')} AND received_at < {to:DateTime64(3, 'UTC')}
         AND (received_at, delivery_id) > ({afterAt:DateTime64(3, 'UTC')}, {afterId:String})
       ORDER BY received_at, delivery_id
       LIMIT {page:UInt32}`,
      { from, to, afterAt: after.at, afterId: after.id, page },
    )) as unknown as Array<StoredBody & { source: AcceptedMessage['source'] }>;
    if (rows.length === 0) break;
    await acceptAll(
      intake,
      rows.map((r) => ({
        kind: r.kind,
        key: '',
        message: { v: 1, kind: r.kind, deliveryId: r.delivery_id, integration: r.integration, receivedAt: asIso(r.received_text), source: r.source, bodySha256: r.body_sha256, body: r.body },
      })),
    );
    for (const r of rows) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    const last = rows[rows.length - 1]!;
    after = { at: last.received_text, id: last.delivery_id };
  }
  // Erased raw copies are gone from raw_payloads, so the loop never saw them; say how many and by which receipts.
  const erased = await erasedInRange(intake.query!, from, to);
  if (erased.deliveries) console.log(`skipped ${erased.deliveries} erased deliveries (receipts ${erased.receipts.join(', ')}): their normalized rows stay as they are`);
  console.log(JSON.stringify({ rederived: counts, from, to, erasedSkipped: erased.deliveries }));
}

if (values.quarantined === Boolean(values.from || values.to) || (!values.quarantined && !(values.from && values.to)) || !Number.isInteger(page) || page < 1) {
  console.error('usage: npm run replay -- --quarantined | --from <ISO time> --to <ISO time>');
  process.exit(2);
}
const intake = await openIntake(loadConfig());
try {
  if (!intake.query) throw new Error('no read access to ClickHouse from here (set CLICKHOUSE_URL, or run next to the service that owns DATA_DIR)');
  if (values.quarantined) await replayQuarantined(intake);
  else await rederive(intake, toClickHouseTime(values.from!), toClickHouseTime(values.to!));
} catch (err) {
  console.error(`replay failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await intake.close();
}

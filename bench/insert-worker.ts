import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { compose } from '../cli/composition.js';
import { loadConfig } from '../lib/config.js';
import { decodeBody } from '../processors/decode.js';
import { deriveAccepted } from '../processors/derive.js';
import { mergeRows } from '../pipeline/contract.js';
import { createRowWriter } from '../processors/writer.js';
import type { AcceptedMessage } from '../schemas/messages.js';
import type { TableRows } from '../schemas/rows.js';
import { decisionBody, ownCpuMs, sha256 } from './lib.js';

/**
 * The processor benchmark's insert floor, in a process of its own (chdb: one store per process):
 * the rows of BENCH_ROWS decisions, normalized beforehand (untimed), inserted in batches of
 * BATCH_MAX_ROWS decisions through the same RowWriter. Prints {"eps": decisions per second, "cpuUsPerDecision" (all threads), "msPerTable"}.
 */
const rows = Number(process.env.BENCH_ROWS ?? 10_000);
const config = loadConfig();
const parts = compose(config, pino({ level: 'warn' }));
await parts.prepareStore('migrate');
const deps = parts.deriveDeps();

const batches: TableRows[] = [];
for (let i = 0; i < rows; i += config.batch.maxRows) {
  const batch: TableRows = {};
  for (let j = i; j < Math.min(rows, i + config.batch.maxRows); j++) {
    const body = decisionBody(j);
    const message: AcceptedMessage = { v: 1, kind: 'decision', deliveryId: randomUUID(), integration: 'bench', receivedAt: new Date().toISOString(), source: 'webhook', bodySha256: sha256(body), body };
    const decoded = decodeBody(message);
    if (!decoded.ok) throw new Error(decoded.error);
    mergeRows(batch, deriveAccepted(decoded.value, deps));
  }
  batches.push(batch);
}

const perTable: Record<string, number> = {};
const writer = createRowWriter(parts.store(), pino({ level: 'warn' }), (table, _n, ms) => void (perTable[table] = (perTable[table] ?? 0) + ms));
const started = performance.now();
const cpuAtStart = ownCpuMs();
for (const batch of batches) await writer.write(batch);
const ms = performance.now() - started;
const cpuMsUsed = ownCpuMs() - cpuAtStart;
await parts.close();
console.log(JSON.stringify({ eps: (rows / ms) * 1000, cpuUsPerDecision: (cpuMsUsed * 1000) / rows, msPerTable: Object.fromEntries(Object.entries(perTable).map(([t, v]) => [t, Math.round(v)])) }));
process.exit(0);

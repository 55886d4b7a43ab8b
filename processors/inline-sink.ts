import type { ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import { mergeRows, type AcceptedBatchItem, type AcceptedDelivery, type Sink } from '../pipeline/contract.js';
import type { TableRows } from '../schemas/rows.js';
import { decodeBody } from './decode.js';
import { derive, deriveAccepted, type DeriveDeps } from './derive.js';
import type { Journal } from './journal.js';

/** Ingest validated the body with the same schema; what it hands over needs no second parse. */
function acceptedOf({ message, payload }: AcceptedBatchItem): AcceptedDelivery {
  if (payload !== undefined) return { kind: message.kind, message, payload } as AcceptedDelivery;
  const decoded = decodeBody(message);
  // Import and replay send messages whose bodies they checked too: a failure here is a bug (500), not data.
  if (!decoded.ok) throw new Error(`embedded handling failed: ${decoded.error}`);
  return decoded.value;
}

/**
 * Embedded mode: no broker. Ingest hands each message straight to the derivation a processor runs
 * after decoding, and its promise resolves once the rows are in the journal (processors/journal.ts),
 * which inserts them into ClickHouse.
 */
export function createInlineSink(deps: { journal: Journal; deriveDeps: DeriveDeps; client: ClickHouseClient; log: Logger }): Sink {
  const { journal, deriveDeps, log } = deps;
  const submit = (rows: TableRows): Promise<void> => journal.append(rows);

  return {
    accept: (_topic, messages) => submit(messages.reduce<TableRows>((rows, m) => mergeRows(rows, deriveAccepted(acceptedOf(m), deriveDeps)), {})),
    quarantine: (_key, message) => submit(derive({ topic: 'quarantine', message }, deriveDeps)),
    async reject(message) {
      try {
        await submit(derive({ topic: 'rejections', message }, deriveDeps));
      } catch (err) {
        log.warn({ err, endpoint: message.endpoint, reason: message.reason }, 'rejection record not stored');
      }
    },
    async ready() {
      return { clickhouse: (await deps.client.ping()).success };
    },
  };
}

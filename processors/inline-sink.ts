import type { ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import { UnavailableError } from '../lib/errors.js';
import { mergeRows, type AcceptedBatchItem, type AcceptedDelivery, type Sink } from '../pipeline/contract.js';
import type { TableRows } from '../schemas/rows.js';
import { decodeBody } from './decode.js';
import { derive, deriveAccepted, type DeriveDeps } from './derive.js';
import { InsertGaveUpError, type Batcher } from './writer.js';

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
 * after decoding, and its promise resolves only after the rows are committed in ClickHouse.
 */
export function createInlineSink(deps: { batcher: Batcher; deriveDeps: DeriveDeps; client: ClickHouseClient; log: Logger; retryAfterSeconds: number }): Sink {
  const { batcher, deriveDeps, log } = deps;

  async function submit(rows: TableRows): Promise<void> {
    try {
      await batcher.submit(rows);
    } catch (err) {
      if (err instanceof InsertGaveUpError) throw new UnavailableError('ClickHouse unavailable', deps.retryAfterSeconds, { cause: err });
      throw err;
    }
  }

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

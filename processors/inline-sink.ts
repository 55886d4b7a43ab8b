import type { ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import type { Sink } from '../ingest/sink.js';
import type { TopicKind } from '../schemas/topics.js';
import { handleMessage, mergeRows, type HandleDeps } from './handle.js';
import type { Batcher } from './writer.js';
import { InsertGaveUpError } from './writer.js';
import { UnavailableError } from '../lib/errors.js';

/**
 * Embedded mode: no broker. Ingest hands each message to the same handle/insert code a processor
 * runs, and its promise resolves only after the rows are committed in ClickHouse.
 */
export function createInlineSink(deps: { batcher: Batcher; handleDeps: HandleDeps; client: ClickHouseClient; log: Logger; retryAfterSeconds: number }): Sink {
  const { batcher, handleDeps, log } = deps;

  async function submit(topic: TopicKind, values: string[]): Promise<void> {
    const rows = {};
    for (const value of values) {
      const outcome = handleMessage(topic, value, handleDeps);
      // Ingest validated the body with the same schema, so this is a bug: fail loudly (500), don't ack.
      if (outcome.type === 'dlq') throw new Error(`embedded handling failed: ${outcome.error}`);
      mergeRows(rows, outcome.rows);
    }
    try {
      await batcher.submit(rows);
    } catch (err) {
      if (err instanceof InsertGaveUpError) throw new UnavailableError('ClickHouse unavailable', deps.retryAfterSeconds, { cause: err });
      throw err;
    }
  }

  return {
    accept: (topic, messages) => submit(topic, messages.map((m) => JSON.stringify(m.message))),
    quarantine: (_key, message) => submit('quarantine', [JSON.stringify(message)]),
    async reject(message) {
      try {
        await submit('rejections', [JSON.stringify(message)]);
      } catch (err) {
        log.warn({ err, endpoint: message.endpoint, reason: message.reason }, 'rejection record not stored');
      }
    },
    async ready() {
      return { clickhouse: (await deps.client.ping()).success };
    },
  };
}

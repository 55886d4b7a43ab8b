import type { Logger } from '../lib/logger.js';
import { isRetryable } from '../lib/clickhouse.js';
import { mergeRows, type ConsumedTopic } from '../pipeline/contract.js';
import type { DeadLetterMessage } from '../schemas/messages.js';
import type { TableRows } from '../schemas/rows.js';
import { decode } from './decode.js';
import { derive, type DeriveDeps } from './derive.js';
import { deadLetterOf, normalizeDeadLetter, type Position } from './dead-letters/dead-letters.normalize.js';
import type { RowWriter } from './writer.js';

/** The parts of a kafkajs eachBatch payload the handler uses. */
export interface BatchPayload {
  batch: { topic: string; partition: number; messages: Array<{ offset: string; key: Buffer | null; value: Buffer | null }> };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface BatchHandlerDeps {
  /** Which contract a topic name carries; undefined for a topic this processor does not handle. */
  topicOf(name: string): ConsumedTopic | undefined;
  deriveDeps: DeriveDeps;
  writer: RowWriter;
  publishDeadLetters(letters: DeadLetterMessage[]): Promise<void>;
  /** Commits the next offset to read (one past the last handled message). */
  commit(topic: string, partition: number, nextOffset: string): Promise<void>;
  maxRows: number;
  log: Logger;
  onChunk?: (topic: string, messages: number, deadLetters: number) => void;
}

type Message = BatchPayload['batch']['messages'][number];

const positionOf = (at: { topic: string; partition: number }, m: Message): Position => ({ ...at, offset: m.offset, key: m.key?.toString('utf8') ?? null });

const deadLetterRows = (letters: DeadLetterMessage[]): TableRows => ({ dead_letters: letters.map(normalizeDeadLetter) });

/** Decode and derive each message; what cannot be handled becomes a dead letter instead of blocking its partition. */
function deriveAll(topic: ConsumedTopic, at: { topic: string; partition: number }, messages: Message[], deps: DeriveDeps): { rows: TableRows; deadLetters: DeadLetterMessage[] } {
  const rows: TableRows = {};
  const deadLetters: DeadLetterMessage[] = [];
  for (const m of messages) {
    const value = m.value?.toString('utf8') ?? '';
    const decoded = decode(topic, value);
    if (!decoded.ok) {
      deadLetters.push(deadLetterOf(positionOf(at, m), value, decoded.error));
      continue;
    }
    try {
      mergeRows(rows, derive(decoded.value, deps));
    } catch (err) {
      // A normalizer throwing is a bug or a payload we did not foresee: dead-letter it, keep the partition moving.
      deadLetters.push(deadLetterOf(positionOf(at, m), value, `normalization failed: ${(err as Error).message}`));
    }
  }
  return { rows, deadLetters };
}

/**
 * One Kafka batch: derive → write (isolating a message ClickHouse refuses) → publish dead letters →
 * resolve → commit, chunk by chunk. Offsets are committed only after their rows landed.
 */
export function createBatchHandler(deps: BatchHandlerDeps): (payload: BatchPayload) => Promise<void> {
  const { writer, log } = deps;

  async function writeOrIsolate(topic: ConsumedTopic, payload: BatchPayload, messages: Message[]): Promise<DeadLetterMessage[]> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const at = { topic: batch.topic, partition: batch.partition };
    const derived = deriveAll(topic, at, messages, deps.deriveDeps);
    const keepTrying = () => isRunning() && !isStale();
    try {
      await writer.write(mergeRows(derived.rows, deadLetterRows(derived.deadLetters)), { keepTrying, onRetry: heartbeat });
      return derived.deadLetters;
    } catch (err) {
      if (isRetryable(err)) throw err;
      if (messages.length === 1) {
        const m = messages[0]!;
        const letter = deadLetterOf(positionOf(at, m), m.value?.toString('utf8') ?? '', `insert rejected: ${(err as Error).message}`);
        await writer.write(deadLetterRows([letter]), { keepTrying, onRetry: heartbeat });
        return [letter];
      }
      // ClickHouse refused the batch for its content: find the offending messages one by one.
      log.warn({ err, topic: batch.topic, partition: batch.partition, messages: messages.length }, 'batch insert rejected, isolating messages');
      const letters: DeadLetterMessage[] = [];
      for (const m of messages) letters.push(...(await writeOrIsolate(topic, payload, [m])));
      return letters;
    }
  }

  return async (payload) => {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const topic = deps.topicOf(batch.topic);
    if (!topic) return;
    for (let i = 0; i < batch.messages.length; i += deps.maxRows) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + deps.maxRows);
      const letters = await writeOrIsolate(topic, payload, chunk);
      if (letters.length) {
        await deps.publishDeadLetters(letters);
        log.warn({ topic: batch.topic, partition: batch.partition, count: letters.length, errors: [...new Set(letters.map((l) => l.error))].slice(0, 3) }, 'messages dead-lettered');
      }
      const last = chunk[chunk.length - 1]!;
      if (!isRunning() || isStale()) return;
      resolveOffset(last.offset);
      await deps.commit(batch.topic, batch.partition, (BigInt(last.offset) + 1n).toString());
      await heartbeat();
      deps.onChunk?.(batch.topic, chunk.length, letters.length);
    }
  };
}

import type { KafkaBus, Consumer, EachBatchPayload, PartitionLag } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { isRetryable } from '../lib/clickhouse.js';
import { nowClickHouse } from '../lib/time.js';
import type { DeadLetterMessage } from '../schemas/messages.js';
import type { TableRows } from '../schemas/rows.js';
import type { TopicKind, Topics } from '../schemas/topics.js';
import { handleMessage, mergeRows, type HandleDeps } from './handle.js';
import type { RowWriter } from './writer.js';

export interface ProcessorDeps {
  bus: KafkaBus;
  topics: Topics;
  writer: RowWriter;
  handleDeps: HandleDeps;
  log: Logger;
  groupId: string;
  maxRows: number;
  maxWaitMs: number;
  onBatch?: (topic: string, messages: number, deadLetters: number) => void;
  /** Consumer lag per partition, measured every lagIntervalMs (0 or absent: never). */
  onLag?: (lags: PartitionLag[]) => void;
  lagIntervalMs?: number;
}

const PARTITIONS_CONCURRENTLY = 3;

/** Topics a processor consumes: everything ingest publishes. */
export const consumedKinds: TopicKind[] = ['decisions', 'events', 'consents', 'quarantine', 'rejections'];

type KafkaMessage = EachBatchPayload['batch']['messages'][number];

interface Derived {
  rows: TableRows;
  deadLetters: DeadLetterMessage[];
}

function derive(kind: TopicKind, topic: string, partition: number, messages: KafkaMessage[], deps: HandleDeps): Derived {
  const rows: TableRows = {};
  const deadLetters: DeadLetterMessage[] = [];
  for (const m of messages) {
    const value = m.value?.toString('utf8') ?? '';
    const outcome = handleMessage(kind, value, deps);
    if (outcome.type === 'ok') mergeRows(rows, outcome.rows);
    else deadLetters.push(deadLetterOf(topic, partition, m, value, outcome.error));
  }
  return { rows, deadLetters };
}

const deadLetterOf = (topic: string, partition: number, m: KafkaMessage, value: string, error: string): DeadLetterMessage => ({
  v: 1,
  topic,
  partition,
  offset: m.offset,
  key: m.key?.toString('utf8') ?? null,
  value,
  error,
  at: new Date().toISOString(),
});

const deadLetterRows = (letters: DeadLetterMessage[]): TableRows => ({
  dead_letters: letters.map((d) => ({ topic: d.topic, partition: d.partition, offset: d.offset, key: d.key, value: d.value, error: d.error, at: nowClickHouse() })),
});

/**
 * Consumer → normalize → insert → commit. Offsets are committed only after the insert landed;
 * a message that cannot be handled goes to the dead-letter topic and table, never blocking its partition.
 */
export async function startProcessor(deps: ProcessorDeps): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const { bus, topics, writer, log } = deps;
  const kindByTopic = new Map(consumedKinds.map((k) => [topics[k], k] as const));
  await bus.ensureTopics([...kindByTopic.keys(), topics.deadLetters]);
  const consumer = bus.consumer({ groupId: deps.groupId, maxWaitMs: deps.maxWaitMs });
  await consumer.connect();
  await consumer.subscribe({ topics: [...kindByTopic.keys()], fromBeginning: true });

  async function writeOrIsolate(kind: TopicKind, payload: EachBatchPayload, messages: KafkaMessage[]): Promise<DeadLetterMessage[]> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const derived = derive(kind, batch.topic, batch.partition, messages, deps.handleDeps);
    const keepTrying = () => isRunning() && !isStale();
    try {
      await writer.write(mergeRows(derived.rows, deadLetterRows(derived.deadLetters)), { keepTrying, onRetry: heartbeat });
      return derived.deadLetters;
    } catch (err) {
      if (isRetryable(err) || messages.length === 1) {
        if (messages.length === 1 && !isRetryable(err)) {
          const m = messages[0]!;
          const letter = deadLetterOf(batch.topic, batch.partition, m, m.value?.toString('utf8') ?? '', `insert rejected: ${(err as Error).message}`);
          await writer.write(deadLetterRows([letter]), { keepTrying, onRetry: heartbeat });
          return [letter];
        }
        throw err;
      }
      // ClickHouse refused the batch for its content: find the offending messages one by one.
      log.warn({ err, topic: batch.topic, partition: batch.partition, messages: messages.length }, 'batch insert rejected, isolating messages');
      const letters: DeadLetterMessage[] = [];
      for (const m of messages) letters.push(...(await writeOrIsolate(kind, payload, [m])));
      return letters;
    }
  }

  await consumer.run({
    // Partitions are independent (each resolves and commits only its own offsets): while one waits
    // for ClickHouse, another normalizes.
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    eachBatchAutoResolve: false,
    autoCommit: false,
    eachBatch: async (payload) => {
      const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
      const kind = kindByTopic.get(batch.topic);
      if (!kind) return;
      for (let i = 0; i < batch.messages.length; i += deps.maxRows) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages.slice(i, i + deps.maxRows);
        const letters = await writeOrIsolate(kind, payload, chunk);
        if (letters.length) {
          await bus.publish(topics.deadLetters, letters.map((d) => ({ key: d.key, value: JSON.stringify(d) })));
          log.warn({ topic: batch.topic, partition: batch.partition, count: letters.length, errors: [...new Set(letters.map((l) => l.error))].slice(0, 3) }, 'messages dead-lettered');
        }
        const last = chunk[chunk.length - 1]!;
        if (!isRunning() || isStale()) return;
        resolveOffset(last.offset);
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
        await heartbeat();
        deps.onBatch?.(batch.topic, chunk.length, letters.length);
      }
    },
  });
  log.info({ groupId: deps.groupId, topics: [...kindByTopic.keys()] }, 'processor consuming');
  const stopLag = watchLag(deps, [...kindByTopic.keys()]);
  return {
    consumer,
    stop: async () => {
      stopLag();
      await consumer.disconnect();
    },
  };
}

/** Periodic lag measurement from the group's committed offsets; one slow or failed poll never overlaps the next. */
function watchLag(deps: ProcessorDeps, topicNames: string[]): () => void {
  const { onLag, lagIntervalMs } = deps;
  if (!onLag || !lagIntervalMs) return () => {};
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const tick = async () => {
    try {
      onLag(await deps.bus.groupLag(deps.groupId, topicNames));
    } catch (err) {
      deps.log.debug({ err }, 'consumer lag not measured');
    }
    if (!stopped) timer = setTimeout(() => void tick(), lagIntervalMs).unref();
  };
  timer = setTimeout(() => void tick(), Math.min(lagIntervalMs, 1000)).unref();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

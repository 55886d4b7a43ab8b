import type { KafkaBus, Consumer, PartitionLag } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { consumedTopics, type Topics } from '../pipeline/contract.js';
import { createBatchHandler } from './batch.js';
import type { DeriveDeps } from './derive.js';
import type { RowWriter } from './writer.js';

export interface ProcessorDeps {
  bus: KafkaBus;
  topics: Topics;
  writer: RowWriter;
  deriveDeps: DeriveDeps;
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

/**
 * Consumer → batch handler (decode, derive, insert, commit). Offsets are committed only after the
 * insert landed; a message that cannot be handled goes to the dead-letter topic and table.
 */
export async function startProcessor(deps: ProcessorDeps): Promise<{ consumer: Consumer; stop: () => Promise<void> }> {
  const { bus, topics, log } = deps;
  const topicByName = new Map(consumedTopics.map((k) => [topics[k], k] as const));
  await bus.ensureTopics([...topicByName.keys(), topics.deadLetters]);
  const consumer = bus.consumer({ groupId: deps.groupId, maxWaitMs: deps.maxWaitMs });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topicByName.keys()], fromBeginning: true });
  const eachBatch = createBatchHandler({
    topicOf: (name) => topicByName.get(name),
    deriveDeps: deps.deriveDeps,
    writer: deps.writer,
    publishDeadLetters: (letters) => bus.publish(topics.deadLetters, letters.map((d) => ({ key: d.key, value: JSON.stringify(d) }))),
    commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
    maxRows: deps.maxRows,
    log,
    onChunk: deps.onBatch,
  });
  // Partitions are independent (each resolves and commits only its own offsets): while one waits
  // for ClickHouse, another derives.
  await consumer.run({ partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY, eachBatchAutoResolve: false, autoCommit: false, eachBatch });
  log.info({ groupId: deps.groupId, topics: [...topicByName.keys()] }, 'processor consuming');
  const stopLag = watchLag(deps, [...topicByName.keys()]);
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

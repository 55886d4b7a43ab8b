import { Kafka, Partitioners, logLevel, type Consumer, type EachBatchPayload, type Producer, type Admin } from 'kafkajs';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { UnavailableError } from './errors.js';

/**
 * The only module that touches kafkajs (unmaintained; keeping it here keeps a swap cheap):
 * connect, ensure topics, publish with acks=all, consume batches, commit, disconnect.
 */

export interface OutgoingMessage {
  key: string | null;
  value: string;
}

export interface KafkaBus {
  ensureTopics(topics: string[]): Promise<void>;
  connectProducer(): Promise<void>;
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  ping(timeoutMs?: number): Promise<boolean>;
  consumer(options: { groupId: string; maxWaitMs: number; sessionTimeoutMs?: number }): Consumer;
  /** Per partition: messages written but not yet committed by the group (the whole log when nothing is committed). */
  groupLag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  disconnect(): Promise<void>;
}

export type { Consumer, EachBatchPayload };

/** Raw bodies in Kafka expire (erasure receipts say when): retention, and segments no longer than an hour so it applies on time. */
export const segmentMsFor = (retentionHours: number): number => Math.min(retentionHours, 1) * 3_600_000;
export const topicRetention = (hours: number) => [
  { name: 'retention.ms', value: String(hours * 3_600_000) },
  { name: 'segment.ms', value: String(segmentMsFor(hours)) },
];

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export function createKafkaBus(config: Config, log: Logger): KafkaBus {
  const brokers = config.kafka.brokers;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set');
  const kafkaLog = log.child({ component: 'kafkajs' });
  const kafka = new Kafka({
    clientId: config.kafka.clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry;
      // kafkajs reports every broker outage as an error; the service decides what is an error, so cap at warn.
      kafkaLog[levelNames[level] === 'error' ? 'warn' : levelNames[level] ?? 'debug']({ ...rest, namespace }, message);
    },
    logLevel: logLevel.WARN,
  });

  let producer: Producer | null = null;
  let connecting: Promise<Producer> | null = null;

  const ensureProducer = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 } });
      try {
        await p.connect();
        producer = p;
        return p;
      } finally {
        connecting = null;
      }
    })();
    return connecting;
  };

  /**
   * kafkajs rolls the idempotent sequence numbers back whenever a send fails, also when the broker did
   * append the batch and only the answer was lost (broker stopping, timeout). The next batch would then
   * reuse those numbers and the broker would drop it as a duplicate while acknowledging it: accepted
   * webhooks lost. So a failed send retires its producer (its connections close, which also ends its
   * background retries); the next publish connects a new one with a fresh producer id.
   */
  const retireProducer = (p: Producer) => {
    if (producer !== p) return;
    producer = null;
    p.disconnect().catch((err) => log.debug({ err }, 'retired producer did not disconnect cleanly'));
  };
  let admin: Admin | null = null;
  const consumers: Consumer[] = [];

  const getAdmin = async () => {
    if (!admin) {
      const a = kafka.admin();
      await a.connect();
      admin = a;
    }
    return admin;
  };

  return {
    async ensureTopics(topics) {
      const a = await getAdmin();
      // A broker that just started (or is still loading many partitions) may refuse metadata or
      // creation for a while ("does not host this topic-partition"): retry until every partition
      // of every topic has a leader.
      const deadline = Date.now() + 60_000;
      for (let attempt = 1; ; attempt++) {
        try {
          const existing = new Set(await a.listTopics());
          const missing = topics.filter((t) => !existing.has(t));
          if (missing.length > 0) {
            await a.createTopics({ waitForLeaders: false, topics: missing.map((topic) => ({ topic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor, configEntries: topicRetention(config.kafkaRetentionHours) })) });
            log.info({ topics: missing }, 'topics created');
          }
          const { topics: meta } = await a.fetchTopicMetadata({ topics });
          if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
          if (Date.now() > deadline) throw new Error(`topics still without a leader: ${topics.join(', ')}`);
        } catch (err) {
          if (Date.now() > deadline) throw err;
          log.warn({ err, attempt }, 'topics not ready yet, retrying');
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * attempt)));
      }
    },

    async connectProducer() {
      await ensureProducer();
    },

    async publish(topic, messages) {
      let p: Producer;
      try {
        p = await timeout(ensureProducer(), config.kafka.publishTimeoutMs, 'producer connect');
      } catch (err) {
        throw new UnavailableError('Kafka producer not connected', config.kafka.retryAfterSeconds, { cause: err });
      }
      try {
        await timeout(
          p.send({ topic, acks: -1, timeout: config.kafka.publishTimeoutMs, messages: messages.map((m) => ({ key: m.key, value: m.value })) }),
          config.kafka.publishTimeoutMs,
          'publish',
        );
      } catch (err) {
        retireProducer(p);
        throw new UnavailableError(`Kafka publish to ${topic} failed`, config.kafka.retryAfterSeconds, { cause: err });
      }
    },

    async ping(timeoutMs = 2000) {
      try {
        const a = await timeout(getAdmin(), timeoutMs, 'admin connect');
        const cluster = await timeout(a.describeCluster(), timeoutMs, 'describe cluster');
        return cluster.brokers.length > 0;
      } catch {
        return false;
      }
    },

    consumer({ groupId, maxWaitMs, sessionTimeoutMs = config.kafka.sessionTimeoutMs }) {
      const c = kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: maxWaitMs,
        // Batches as large as the writer inserts at once (~2-3 KB a decision): kafkajs's 1 MiB default
        // hands over a few hundred messages per partition, and ClickHouse pays per insert, not per row.
        maxBytesPerPartition: 16 * 1024 * 1024,
        maxBytes: 48 * 1024 * 1024,
        sessionTimeout: sessionTimeoutMs,
        heartbeatInterval: Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
      });
      consumers.push(c);
      return c;
    },

    async groupLag(groupId, topics) {
      const a = await getAdmin();
      const [committed, ends] = await Promise.all([
        a.fetchOffsets({ groupId, topics }),
        Promise.all(topics.map(async (topic) => ({ topic, partitions: await a.fetchTopicOffsets(topic) }))),
      ]);
      const committedAt = new Map(committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, Number(p.offset)] as const)));
      return ends.flatMap(({ topic, partitions }) =>
        partitions.map((p) => {
          const at = committedAt.get(`${topic}/${p.partition}`) ?? -1;
          return { topic, partition: p.partition, lag: Math.max(0, Number(p.high) - (at >= 0 ? at : Number(p.low))) };
        }),
      );
    },

    async disconnect() {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await connecting?.catch(() => null);
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
      producer = null;
      admin = null;
    },
  };
}

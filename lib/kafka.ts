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
  disconnect(): Promise<void>;
}

export type { Consumer, EachBatchPayload };

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
      const existing = new Set(await a.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      await a.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor })),
      });
      log.info({ topics: missing }, 'topics created');
    },

    async connectProducer() {
      if (producer) return;
      const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 } });
      await p.connect();
      producer = p;
    },

    async publish(topic, messages) {
      if (!producer) throw new UnavailableError('producer not connected', config.kafka.retryAfterSeconds);
      try {
        await timeout(
          producer.send({ topic, acks: -1, timeout: config.kafka.publishTimeoutMs, messages: messages.map((m) => ({ key: m.key, value: m.value })) }),
          config.kafka.publishTimeoutMs,
          'publish',
        );
      } catch (err) {
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

    consumer({ groupId, maxWaitMs, sessionTimeoutMs = 30_000 }) {
      const c = kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: maxWaitMs,
        sessionTimeout: sessionTimeoutMs,
        heartbeatInterval: Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
      });
      consumers.push(c);
      return c;
    },

    async disconnect() {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
      producer = null;
      admin = null;
    },
  };
}

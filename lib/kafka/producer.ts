import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '../logger.js';
import { UnavailableError } from '../errors.js';
import { timeout } from './client.js';

export interface OutgoingMessage {
  key: string | null;
  value: string;
}

export interface PublisherOptions {
  publishTimeoutMs: number;
  retryAfterSeconds: number;
}

export interface Publisher {
  connect(): Promise<void>;
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The idempotent producer (acks=all). kafkajs rolls the idempotent sequence numbers back whenever a
 * send fails, also when the broker did append the batch and only the answer was lost (broker stopping,
 * timeout). The next batch would then reuse those numbers and the broker would drop it as a duplicate
 * while acknowledging it: accepted webhooks lost. So a failed send retires its producer (its
 * connections close, which also ends its background retries); the next publish connects a new one
 * with a fresh producer id.
 */
export function createPublisher(kafka: Pick<Kafka, 'producer'>, options: PublisherOptions, log: Logger): Publisher {
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

  const retire = (p: Producer) => {
    if (producer !== p) return;
    producer = null;
    p.disconnect().catch((err) => log.debug({ err }, 'retired producer did not disconnect cleanly'));
  };

  return {
    async connect() {
      await ensureProducer();
    },
    async publish(topic, messages) {
      let p: Producer;
      try {
        p = await timeout(ensureProducer(), options.publishTimeoutMs, 'producer connect');
      } catch (err) {
        throw new UnavailableError('Kafka producer not connected', options.retryAfterSeconds, { cause: err });
      }
      try {
        await timeout(
          p.send({ topic, acks: -1, timeout: options.publishTimeoutMs, messages: messages.map((m) => ({ key: m.key, value: m.value })) }),
          options.publishTimeoutMs,
          'publish',
        );
      } catch (err) {
        retire(p);
        throw new UnavailableError(`Kafka publish to ${topic} failed`, options.retryAfterSeconds, { cause: err });
      }
    },
    async disconnect() {
      await connecting?.catch(() => null);
      await producer?.disconnect();
      producer = null;
    },
  };
}

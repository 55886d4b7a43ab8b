import type { KafkaBus, OutgoingMessage } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { UnavailableError } from '../lib/errors.js';
import type { Topics } from '../schemas/topics.js';
import { acceptedMessageSchema, quarantineMessageSchema, rejectionMessageSchema } from '../schemas/messages.js';
import type { Sink } from './sink.js';

export interface KafkaSinkOptions {
  /** A request that could not even be handed to Kafka within this long is refused (503), never sent. */
  publishTimeoutMs: number;
  retryAfterSeconds: number;
  /** Upper bound of one produce request (Kafka refuses record batches over message.max.bytes, 1 MiB by default). */
  maxBatchBytes: number;
}

const defaults: KafkaSinkOptions = { publishTimeoutMs: 5000, retryAfterSeconds: 30, maxBatchBytes: 512 * 1024 };

interface Waiting {
  messages: OutgoingMessage[];
  bytes: number;
  queuedAt: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the producer. The idempotent producer sends one request at a time, so one send per
 * HTTP request would cap ingest at one broker round trip per webhook. Per topic, whatever arrives
 * while a send is in flight goes out together in the next one: no added delay when idle, and every
 * caller still resolves only once its own messages are acknowledged (acks=all), or rejects with them.
 */
export function batchingPublisher(bus: KafkaBus, options: KafkaSinkOptions) {
  const queues = new Map<string, { waiting: Waiting[]; sending: boolean }>();

  async function drain(topic: string, queue: { waiting: Waiting[]; sending: boolean }): Promise<void> {
    queue.sending = true;
    while (queue.waiting.length) {
      const batch: Waiting[] = [];
      let bytes = 0;
      while (queue.waiting.length && (batch.length === 0 || bytes + queue.waiting[0]!.bytes <= options.maxBatchBytes)) {
        const next = queue.waiting.shift()!;
        // Too late to be worth sending: refuse it unsent, so a 503 really means "not written".
        if (Date.now() - next.queuedAt > options.publishTimeoutMs) {
          next.reject(new UnavailableError(`Kafka publish to ${topic} queued too long`, options.retryAfterSeconds));
          continue;
        }
        batch.push(next);
        bytes += next.bytes;
      }
      if (batch.length === 0) continue;
      try {
        await bus.publish(topic, batch.length === 1 ? batch[0]!.messages : batch.flatMap((w) => w.messages));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    queue.sending = false;
  }

  return (topic: string, messages: OutgoingMessage[]): Promise<void> =>
    new Promise((resolve, reject) => {
      let queue = queues.get(topic);
      if (!queue) queues.set(topic, (queue = { waiting: [], sending: false }));
      const bytes = messages.reduce((n, m) => n + m.value.length + (m.key?.length ?? 0), 0);
      queue.waiting.push({ messages, bytes, queuedAt: Date.now(), resolve, reject });
      if (!queue.sending) void drain(topic, queue);
    });
}

/** Kafka mode: ingest writes only to Kafka; the producer parses every message against its contract. */
export function createKafkaSink(bus: KafkaBus, topics: Topics, log: Logger, options: Partial<KafkaSinkOptions> = {}): Sink {
  const publish = batchingPublisher(bus, { ...defaults, ...options });
  return {
    async accept(topic, messages) {
      await publish(
        topics[topic],
        messages.map(({ key, message }) => ({ key, value: JSON.stringify(acceptedMessageSchema.parse(message)) })),
      );
    },
    async quarantine(key, message) {
      await publish(topics.quarantine, [{ key, value: JSON.stringify(quarantineMessageSchema.parse(message)) }]);
    },
    async reject(message) {
      try {
        await publish(topics.rejections, [{ key: message.bodySha256, value: JSON.stringify(rejectionMessageSchema.parse(message)) }]);
      } catch (err) {
        log.warn({ err, endpoint: message.endpoint, reason: message.reason }, 'rejection record not published');
      }
    },
    async ready() {
      return { kafka: await bus.ping() };
    },
  };
}

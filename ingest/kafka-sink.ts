import type { KafkaBus, OutgoingMessage } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { UnavailableError } from '../lib/errors.js';
import { acceptedMessageSchema, quarantineMessageSchema, rejectionMessageSchema } from '../schemas/messages.js';
import { groupCommit, type GroupCommit } from '../lib/group-commit.js';
import type { Sink, Topics } from '../pipeline/contract.js';

export interface KafkaSinkOptions {
  /** A request that could not even be handed to Kafka within this long is refused (503), never sent. */
  publishTimeoutMs: number;
  retryAfterSeconds: number;
  /** Upper bound of one produce request (Kafka refuses record batches over message.max.bytes, 1 MiB by default). */
  maxBatchBytes: number;
  /** While busy, a produce request waits up to this long for the rest of a burst (0: never). */
  lingerMs: number;
}

const defaults: KafkaSinkOptions = { publishTimeoutMs: 5000, retryAfterSeconds: 30, maxBatchBytes: 512 * 1024, lingerMs: 0 };

/**
 * Group commit for the producer. The idempotent producer sends one request at a time, so one send per
 * HTTP request would cap ingest at one broker round trip per webhook. Per topic, whatever arrives
 * while a send is in flight goes out together in the next one, and every caller still resolves only
 * once its own messages are acknowledged (acks=all), or rejects with them.
 */
export function batchingPublisher(bus: KafkaBus, options: KafkaSinkOptions) {
  const perTopic = new Map<string, GroupCommit<OutgoingMessage[]>>();
  const commitFor = (topic: string) =>
    groupCommit<OutgoingMessage[]>({
      send: (groups) => bus.publish(topic, groups.length === 1 ? groups[0]! : groups.flat()),
      weightOf: (messages) => messages.reduce((n, m) => n + m.value.length + (m.key?.length ?? 0), 0),
      maxWeight: options.maxBatchBytes,
      lingerMs: options.lingerMs,
      expiry: { afterMs: options.publishTimeoutMs, error: () => new UnavailableError(`Kafka publish to ${topic} queued too long`, options.retryAfterSeconds) },
    });
  return (topic: string, messages: OutgoingMessage[]): Promise<void> => {
    let commit = perTopic.get(topic);
    if (!commit) perTopic.set(topic, (commit = commitFor(topic)));
    return commit.submit(messages);
  };
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

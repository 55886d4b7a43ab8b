import type { KafkaBus } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { Topics } from '../schemas/topics.js';
import { acceptedMessageSchema, quarantineMessageSchema, rejectionMessageSchema } from '../schemas/messages.js';
import type { Sink } from './sink.js';

/** Kafka mode: ingest writes only to Kafka; the producer parses every message against its contract. */
export function createKafkaSink(bus: KafkaBus, topics: Topics, log: Logger): Sink {
  return {
    async accept(topic, messages) {
      await bus.publish(
        topics[topic],
        messages.map(({ key, message }) => ({ key, value: JSON.stringify(acceptedMessageSchema.parse(message)) })),
      );
    },
    async quarantine(key, message) {
      await bus.publish(topics.quarantine, [{ key, value: JSON.stringify(quarantineMessageSchema.parse(message)) }]);
    },
    async reject(message) {
      try {
        await bus.publish(topics.rejections, [{ key: message.bodySha256, value: JSON.stringify(rejectionMessageSchema.parse(message)) }]);
      } catch (err) {
        log.warn({ err, endpoint: message.endpoint, reason: message.reason }, 'rejection record not published');
      }
    },
    async ready() {
      return { kafka: await bus.ping() };
    },
  };
}

import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createTopicAdmin, type PartitionLag } from './kafka/admin.js';
export { segmentMsFor } from './kafka/admin.js';
import { kafkaClient } from './kafka/client.js';
import { consumerConfig } from './kafka/consumer.js';
import { createPublisher, type OutgoingMessage } from './kafka/producer.js';

/**
 * The only module the rest of the code uses for Kafka (kafkajs is unmaintained; keeping it behind
 * this keeps a swap cheap). Producer, admin and consumer live apart in ./kafka/ and are tested there.
 */

export type { Consumer, EachBatchPayload, OutgoingMessage, PartitionLag };

export interface KafkaBus {
  ensureTopics(topics: string[]): Promise<void>;
  connectProducer(): Promise<void>;
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  ping(timeoutMs?: number): Promise<boolean>;
  consumer(options: { groupId: string; maxWaitMs: number; sessionTimeoutMs?: number }): Consumer;
  groupLag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  disconnect(): Promise<void>;
}

export function createKafkaBus(config: Config, log: Logger): KafkaBus {
  const kafka = kafkaClient(config, log);
  const publisher = createPublisher(kafka, { publishTimeoutMs: config.kafka.publishTimeoutMs, retryAfterSeconds: config.retryAfterSeconds }, log);
  const admin = createTopicAdmin(kafka, { partitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor, retentionHours: config.kafkaRetentionHours }, log);
  const consumers: Consumer[] = [];
  return {
    ensureTopics: admin.ensureTopics,
    connectProducer: publisher.connect,
    publish: publisher.publish,
    ping: admin.ping,
    groupLag: admin.groupLag,
    consumer({ groupId, maxWaitMs, sessionTimeoutMs = config.kafka.sessionTimeoutMs }) {
      const c = kafka.consumer(consumerConfig({ groupId, maxWaitMs, sessionTimeoutMs }));
      consumers.push(c);
      return c;
    },
    async disconnect() {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await Promise.allSettled([publisher.disconnect(), admin.disconnect()]);
    },
  };
}

import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createKafkaBus } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';

/** Raw bodies in Kafka expire: topics are created with KAFKA_RETENTION_HOURS (erasure receipts rely on it). */
describe('Kafka topics created at start-up', () => {
  it('carry retention.ms from KAFKA_RETENTION_HOURS and segments of at most an hour', async () => {
    const brokers = inject('services')!.kafkaBrokers;
    const topic = `retention-${randomUUID()}`;
    const bus = createKafkaBus(loadConfig({ KAFKA_BROKERS: brokers, KAFKA_RETENTION_HOURS: '5', KAFKA_TOPIC_PARTITIONS: '1' }), createLogger('silent'));
    const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await bus.ensureTopics([topic]);
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'segment.ms'] }] });
      const entries = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries).toEqual({ 'retention.ms': String(5 * 3_600_000), 'segment.ms': '3600000' });
      expect(loadConfig({}).kafkaRetentionHours).toBe(168);
      expect(() => loadConfig({ KAFKA_RETENTION_HOURS: '0' })).toThrow(/KAFKA_RETENTION_HOURS/);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      await bus.disconnect();
    }
  });
});

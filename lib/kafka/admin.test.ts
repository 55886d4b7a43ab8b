import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Admin, Kafka } from 'kafkajs';
import { createTopicAdmin, lagOf } from './admin.js';

const log = pino({ level: 'silent' });

describe('the topic admin', () => {
  it('creates only missing topics and waits until every partition has a leader', async () => {
    const created: string[][] = [];
    let metadataCalls = 0;
    const admin = {
      connect: async () => {},
      listTopics: async () => ['exists', ...created.flat().map((t) => t.split('/')[0]!)],
      createTopics: async ({ topics }: { topics: Array<{ topic: string; numPartitions: number }> }) => void created.push(topics.map((t) => `${t.topic}/${t.numPartitions}`)),
      // The first answer has a partition without a leader yet, as a broker that just started gives.
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
        topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: ++metadataCalls <= 2 ? -1 : 1 }] })),
      }),
    } as unknown as Admin;
    const topics = createTopicAdmin({ admin: () => admin } as Pick<Kafka, 'admin'>, { partitions: 6, replicationFactor: 1, retentionHours: 168 }, log);
    await topics.ensureTopics(['exists', 'new']);
    expect(created).toEqual([['new/6']]);
    expect(metadataCalls).toBeGreaterThan(2);
  });

  it('gives up with the topics named once its deadline passed', async () => {
    const admin = {
      connect: async () => {},
      listTopics: async () => ['a'],
      fetchTopicMetadata: async () => ({ topics: [{ name: 'a', partitions: [{ partitionId: 0, leader: -1 }] }] }),
    } as unknown as Admin;
    const topics = createTopicAdmin({ admin: () => admin } as Pick<Kafka, 'admin'>, { partitions: 1, replicationFactor: 1, retentionHours: 168 }, log, { readyWithinMs: 50 });
    await expect(topics.ensureTopics(['a'])).rejects.toThrow('topics still without a leader: a');
  });

  it('measures lag from committed offsets, or from the log start when nothing is committed', () => {
    const lags = lagOf(
      [{ topic: 't', partitions: [{ partition: 0, offset: '40', metadata: null }, { partition: 1, offset: '-1', metadata: null }] }],
      [{ topic: 't', partitions: [{ partition: 0, offset: '100', high: '100', low: '0' }, { partition: 1, offset: '30', high: '30', low: '10' }, { partition: 2, offset: '5', high: '5', low: '5' }] }],
    );
    expect(lags).toEqual([{ topic: 't', partition: 0, lag: 60 }, { topic: 't', partition: 1, lag: 20 }, { topic: 't', partition: 2, lag: 0 }]);
  });
});

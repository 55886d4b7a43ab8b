import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../logger.js';
import { timeout } from './client.js';

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  retentionHours: number;
}

/** Raw bodies in Kafka expire (erasure receipts say when): retention, and segments no longer than an hour so it applies on time. */
export const segmentMsFor = (retentionHours: number): number => Math.min(retentionHours, 1) * 3_600_000;
export const topicRetention = (hours: number) => [
  { name: 'retention.ms', value: String(hours * 3_600_000) },
  { name: 'segment.ms', value: String(segmentMsFor(hours)) },
];

export interface TopicAdmin {
  ensureTopics(topics: string[]): Promise<void>;
  ping(timeoutMs?: number): Promise<boolean>;
  /** Per partition: messages written but not yet committed by the group (the whole log when nothing is committed). */
  groupLag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  disconnect(): Promise<void>;
}

type Committed = Awaited<ReturnType<Admin['fetchOffsets']>>;
type Ends = Array<{ topic: string; partitions: Awaited<ReturnType<Admin['fetchTopicOffsets']>> }>;

/** Lag per partition from the group's committed offsets and the log's ends. Pure. */
export function lagOf(committed: Committed, ends: Ends): PartitionLag[] {
  const committedAt = new Map(committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, Number(p.offset)] as const)));
  return ends.flatMap(({ topic, partitions }) =>
    partitions.map((p) => {
      const at = committedAt.get(`${topic}/${p.partition}`) ?? -1;
      return { topic, partition: p.partition, lag: Math.max(0, Number(p.high) - (at >= 0 ? at : Number(p.low))) };
    }),
  );
}

/** Topic creation, broker health and consumer lag, on one lazily connected kafkajs admin. */
export function createTopicAdmin(kafka: Pick<Kafka, 'admin'>, settings: TopicSettings, log: Logger, options: { readyWithinMs?: number } = {}): TopicAdmin {
  let admin: Admin | null = null;
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
      const deadline = Date.now() + (options.readyWithinMs ?? 60_000);
      for (let attempt = 1; ; attempt++) {
        try {
          const existing = new Set(await a.listTopics());
          const missing = topics.filter((t) => !existing.has(t));
          if (missing.length > 0) {
            await a.createTopics({ waitForLeaders: false, topics: missing.map((topic) => ({ topic, numPartitions: settings.partitions, replicationFactor: settings.replicationFactor, configEntries: topicRetention(settings.retentionHours) })) });
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
    async ping(timeoutMs = 2000) {
      try {
        const a = await timeout(getAdmin(), timeoutMs, 'admin connect');
        const cluster = await timeout(a.describeCluster(), timeoutMs, 'describe cluster');
        return cluster.brokers.length > 0;
      } catch {
        return false;
      }
    },
    async groupLag(groupId, topics) {
      const a = await getAdmin();
      const [committed, ends] = await Promise.all([
        a.fetchOffsets({ groupId, topics }),
        Promise.all(topics.map(async (topic) => ({ topic, partitions: await a.fetchTopicOffsets(topic) }))),
      ]);
      return lagOf(committed, ends);
    },
    async disconnect() {
      await admin?.disconnect();
      admin = null;
    },
  };
}

import { Kafka, logLevel } from 'kafkajs';

/** Messages ever written to a topic (sum of high watermarks); 0 when the topic does not exist. */
export async function topicMessageCount(brokers: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

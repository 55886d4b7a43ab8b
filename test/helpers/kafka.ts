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

/** Put messages on a topic directly, as a misbehaving producer (or an older ingest) would. */
export async function publishRaw(brokers: string, topic: string, messages: Array<{ key: string | null; value: string }>): Promise<void> {
  const producer = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

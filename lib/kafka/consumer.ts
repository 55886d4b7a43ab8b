import type { ConsumerConfig } from 'kafkajs';

export interface ConsumerOptions {
  groupId: string;
  maxWaitMs: number;
  sessionTimeoutMs: number;
}

/** How a processor's consumer fetches: batches as large as one insert, a session that survives a slow insert. */
export function consumerConfig({ groupId, maxWaitMs, sessionTimeoutMs }: ConsumerOptions): ConsumerConfig {
  return {
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: maxWaitMs,
    // Batches as large as the writer inserts at once (~2-3 KB a decision): kafkajs's 1 MiB default
    // hands over a few hundred messages per partition, and ClickHouse pays per insert, not per row.
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 48 * 1024 * 1024,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
  };
}

import { describe, expect, it } from 'vitest';
import { consumerConfig } from './consumer.js';

describe('the consumer config', () => {
  it('heartbeats at least three times per session and fetches batches as large as an insert', () => {
    const c = consumerConfig({ groupId: 'g', maxWaitMs: 200, sessionTimeoutMs: 6000 });
    expect([c.groupId, c.maxWaitTimeInMs, c.sessionTimeout, c.heartbeatInterval, c.allowAutoTopicCreation]).toEqual(['g', 200, 6000, 2000, false]);
    expect(c.maxBytesPerPartition).toBeGreaterThanOrEqual(5000 * 3000);
    expect(consumerConfig({ groupId: 'g', maxWaitMs: 0, sessionTimeoutMs: 30_000 }).heartbeatInterval).toBe(3000);
  });
});

import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Kafka, Producer } from 'kafkajs';
import { UnavailableError } from '../errors.js';
import { createPublisher } from './producer.js';

/** kafkajs producers whose sends fail while `failing` says so; records which producer sent what. */
function fakeKafka(behaviour: { failing: boolean; connectMs?: number }) {
  const producers: Array<{ id: number; sent: string[]; disconnected: boolean }> = [];
  const kafka: Pick<Kafka, 'producer'> = {
    producer: () => {
      const me = { id: producers.length + 1, sent: [] as string[], disconnected: false };
      producers.push(me);
      return {
        connect: () => new Promise<void>((r) => setTimeout(r, behaviour.connectMs ?? 0)),
        send: async ({ topic, messages }: { topic: string; messages: Array<{ value: string }> }) => {
          if (behaviour.failing) throw new Error('broker gone');
          me.sent.push(...messages.map((m) => `${topic}:${m.value}`));
          return [];
        },
        disconnect: async () => void (me.disconnected = true),
      } as unknown as Producer;
    },
  };
  return { kafka, producers };
}

const log = pino({ level: 'silent' });
const options = { publishTimeoutMs: 200, retryAfterSeconds: 9 };

describe('the publisher', () => {
  it('retires a producer whose send failed, so the next publish gets a fresh producer id', async () => {
    const behaviour = { failing: true };
    const { kafka, producers } = fakeKafka(behaviour);
    const publisher = createPublisher(kafka, options, log);
    const failed = await publisher.publish('t', [{ key: null, value: 'a' }]).catch((e) => e);
    expect(failed).toBeInstanceOf(UnavailableError);
    expect(failed.retryAfterSeconds).toBe(9);
    behaviour.failing = false;
    await publisher.publish('t', [{ key: null, value: 'b' }]);
    await publisher.publish('t', [{ key: null, value: 'c' }]);
    expect(producers.map((p) => [p.id, p.sent, p.disconnected])).toEqual([[1, [], true], [2, ['t:b', 't:c'], false]]);
  });

  it('answers 503-style when the producer cannot connect within the publish timeout', async () => {
    const { kafka } = fakeKafka({ failing: false, connectMs: 1000 });
    const err = await createPublisher(kafka, options, log).publish('t', [{ key: null, value: 'a' }]).catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe('Kafka producer not connected');
  });

  it('connects one producer for concurrent first publishes', async () => {
    const { kafka, producers } = fakeKafka({ failing: false, connectMs: 20 });
    const publisher = createPublisher(kafka, options, log);
    await Promise.all(['a', 'b', 'c'].map((v) => publisher.publish('t', [{ key: null, value: v }])));
    expect(producers).toHaveLength(1);
  });
});

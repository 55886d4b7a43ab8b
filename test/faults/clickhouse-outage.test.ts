import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../../lib/clickhouse.js';
import { loadConfig } from '../../lib/config.js';
import { createKafkaBus, type KafkaBus } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';
import { deriveDepsFor } from '../../processors/derive.js';
import { startProcessor } from '../../processors/run.js';
import { createRowWriter } from '../../processors/writer.js';
import { topicsFor } from '../../pipeline/contract.js';
import { testClickHouse } from '../helpers/clickhouse.js';
import { decisionFixtureNames, makeDecision } from '../helpers/fixtures.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';
import { offsetReader } from '../helpers/processes.js';
import { deliverAll } from '../helpers/send.js';

/**
 * ClickHouse unreachable for a while. The embedded chdb store has no server to kill, so the outage is
 * injected where a server outage surfaces: the ClickHouse client's insert() throws what the HTTP client
 * throws when nothing listens (ECONNREFUSED) for as long as the test says. Everything else is real: the
 * processor's consumer and offset handling (processors/run.ts), the RowWriter's retry and backoff, the
 * broker, and chdb (or the server of CLICKHOUSE_URL) once the outage ends.
 */

const BEFORE = 400;
const DURING = 1000;

function faultyInserts(client: ClickHouseClient) {
  const failures: number[] = [];
  // Attempts per chunk (its first row): partitions retry concurrently, each with its own backoff.
  const attempts = new Map<string, number[]>();
  const state = { down: false, failures, attempts };
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'insert') {
        return async (...args: Parameters<ClickHouseClient['insert']>) => {
          if (state.down) {
            const chunk = JSON.stringify((args[0] as unknown as { values?: unknown[] }).values?.[0] ?? null);
            attempts.set(chunk, [...(attempts.get(chunk) ?? []), Date.now()]);
            failures.push(Date.now());
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
          }
          return target.insert(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client: proxy, state };
}

describe('ClickHouse unreachable for a while', () => {
  let ingest: TestPipeline;
  let bus: KafkaBus;
  let stopProcessor: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    ingest = await startPipeline('kafka', { roles: { ingest: true, processor: false } });
  });
  afterAll(async () => {
    await stopProcessor?.();
    await bus?.disconnect();
    await ingest?.stop();
  });

  it('retries with backoff, commits no offset, keeps its consumer, and catches up exactly once afterwards', async () => {
    const config = loadConfig({ ...ingest.env, KAFKA_SESSION_TIMEOUT_MS: '6000' });
    const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error');
    const real = await testClickHouse();
    const faulty = faultyInserts(real);
    bus = createKafkaBus(config, log);
    const topics = topicsFor(config.kafka.topicPrefix);
    const processor = await startProcessor({
      bus, topics, log, groupId: config.kafka.groupId, maxRows: 200, maxWaitMs: 100,
      writer: createRowWriter(faulty.client, log),
      deriveDeps: deriveDepsFor(config.pseudonymPepper!),
    });
    stopProcessor = processor.stop;
    const { consumer } = processor;
    const events = { crashes: 0, joins: 0 };
    consumer.on(consumer.events.CRASH, () => events.crashes++);
    consumer.on(consumer.events.GROUP_JOIN, () => events.joins++);

    const offsets = await offsetReader(config.kafka.brokers!.join(','));
    const committed = async () => (await offsets.committed(config.kafka.groupId, [topics.decisions]))[topics.decisions] ?? 0;
    const stored = async () => (await real.query({ query: 'SELECT count() AS n, uniqExact(session_id) AS s FROM ine_audit.decisions WHERE integration = {i:String}', query_params: { i: ingest.integration.name }, format: 'JSONEachRow' }).then((r) => r.json<{ n: number; s: number }>()))[0]!;
    const send = async (n: number) => {
      const bodies = Array.from({ length: n }, (_, i) => makeDecision(decisionFixtureNames[i % decisionFixtureNames.length]!));
      const answers = await deliverAll(ingest.url, '/webhooks/veriff/decision', bodies, ingest.integration, 32);
      expect(answers.every((a) => a.status === 200)).toBe(true);
    };

    try {
      await send(BEFORE);
      await pollUntil(committed, (c) => c === BEFORE, { timeoutMs: 60_000, what: 'the first decisions committed' });
      expect(await stored()).toEqual({ n: BEFORE, s: BEFORE });
      const joinsBefore = events.joins;

      faulty.state.down = true;
      await send(DURING);
      // Six failed attempts span about 6 s of backoff (0.2, 0.4, 0.8, 1.6, 3.2 s): longer than the 6 s session.
      const longest = () => [...faulty.state.attempts.values()].sort((a, b) => b.length - a.length)[0] ?? [];
      await pollUntil(async () => longest().length, (n) => n >= 6, { timeoutMs: 30_000, what: 'repeated insert attempts of one chunk' });
      expect(await committed()).toBe(BEFORE);
      expect(await stored()).toEqual({ n: BEFORE, s: BEFORE });
      const retried = longest();
      const gaps = retried.slice(1).map((t, i) => t - retried[i]!);
      expect(gaps.at(-1)!).toBeGreaterThan(4 * gaps[0]!);
      expect(events).toEqual({ crashes: 0, joins: joinsBefore });

      faulty.state.down = false;
      await pollUntil(committed, (c) => c === BEFORE + DURING, { timeoutMs: 60_000, what: 'caught up after the outage' });
      expect(await stored()).toEqual({ n: BEFORE + DURING, s: BEFORE + DURING });
      expect(events).toEqual({ crashes: 0, joins: joinsBefore });
      console.log(`[clickhouse-outage] ${faulty.state.failures.length} failed inserts, gaps ${gaps.join(', ')} ms`);
    } finally {
      await offsets.close();
    }
  });
});

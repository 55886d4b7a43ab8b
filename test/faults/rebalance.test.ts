import { Kafka, logLevel } from 'kafkajs';
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
 * Two processor instances in one consumer group, with rebalances in the middle of batches.
 * Both run in this process (two kafkajs clients, two group members) against one ClickHouse, as two
 * processors share one ClickHouse server in production; chdb allows one store per process, and two
 * stores would make "exactly once" a question about their union instead.
 * A gate in front of ClickHouse inserts holds A inside a batch while the group changes, so each
 * rebalance lands inside a batch instead of wherever the timing happens to put it.
 */
const N = 3000;
const FIRST = 1500;

/** Inserts pass while the gate is open and wait while it is closed; waiting is counted per member. */
function insertGate(client: ClickHouseClient) {
  let closed: { promise: Promise<void>; open: () => void } | null = null;
  const waiting: Record<string, number> = {};
  const inserted: Record<string, number> = {};
  const clientFor = (member: string) =>
    new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'insert') {
          return async (...args: Parameters<ClickHouseClient['insert']>) => {
            while (closed) {
              waiting[member] = (waiting[member] ?? 0) + 1;
              await closed.promise;
              waiting[member]! -= 1;
            }
            const result = await target.insert(...args);
            const { table, values } = args[0];
            if (Array.isArray(values)) inserted[table] = (inserted[table] ?? 0) + values.length;
            return result;
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return {
    clientFor,
    inserted,
    waiting: (member: string) => waiting[member] ?? 0,
    close() {
      if (closed) return;
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      closed = { promise, open };
    },
    open() {
      const c = closed;
      closed = null;
      c?.open();
    },
  };
}

describe('two processors in one group, rebalanced mid-batch', () => {
  let ingest: TestPipeline;
  const buses: KafkaBus[] = [];
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    ingest = await startPipeline('kafka', { roles: { ingest: true, processor: false } });
  });
  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => {});
    for (const bus of buses) await bus.disconnect();
    await ingest?.stop();
  });

  it(`stores ${N} decisions exactly once while a member joins and another leaves`, async () => {
    const config = loadConfig({ ...ingest.env, KAFKA_SESSION_TIMEOUT_MS: '20000' });
    const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'error');
    const topics = topicsFor(config.kafka.topicPrefix);
    const real = await testClickHouse();
    const gate = insertGate(real);
    const start = (member: string) => {
      const bus = createKafkaBus(config, log);
      buses.push(bus);
      return startProcessor({
        bus, topics, log, groupId: config.kafka.groupId, maxRows: 200, maxWaitMs: 100,
        writer: createRowWriter(gate.clientFor(member), log),
        deriveDeps: deriveDepsFor(config.pseudonymPepper!),
      });
    };
    const brokers = config.kafka.brokers!.join(',');
    const offsets = await offsetReader(brokers);
    const admin = new Kafka({ brokers: config.kafka.brokers!, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const group = async () => (await admin.describeGroups([config.kafka.groupId])).groups[0]!;
    const committed = async () => (await offsets.committed(config.kafka.groupId, [topics.decisions]))[topics.decisions] ?? 0;
    const q = async <T>(query: string) => (await real.query({ query, query_params: { i: ingest.integration.name }, format: 'JSONEachRow' })).json<T>();

    try {
      const bodies = Array.from({ length: N }, (_, i) => makeDecision(decisionFixtureNames[i % decisionFixtureNames.length]!));
      const send = async (part: unknown[]) => expect((await deliverAll(ingest.url, '/webhooks/veriff/decision', part, ingest.integration, 32)).every((a) => a.status === 200)).toBe(true);
      await send(bodies.slice(0, FIRST));

      const a = await start('A');
      stops.push(a.stop);
      await pollUntil(committed, (c) => c >= 400, { timeoutMs: 60_000, what: 'member A under way' });

      // Rebalance 1: B joins while A is stuck inside a batch.
      gate.close();
      await pollUntil(async () => gate.waiting('A'), (n) => n >= 1, { timeoutMs: 30_000, what: 'A inside a batch' });
      const atJoin = await committed();
      const joining = start('B');
      await pollUntil(async () => (await group()).state, (s) => s === 'PreparingRebalance', { timeoutMs: 30_000, what: 'B joining' });
      gate.open();
      const b = await joining;
      stops.push(b.stop);

      // Rebalance 2: A leaves while inside a batch. The second half of the stream
      // arrives with the gate closed; members held at the gate send no heartbeats, so A leaves well
      // within their session.
      gate.close();
      const sending = send(bodies.slice(FIRST));
      await pollUntil(async () => gate.waiting('A'), (n) => n >= 1, { timeoutMs: 30_000, intervalMs: 20, what: 'A inside a batch again' });
      const shared = await group();
      expect({ state: shared.state, members: shared.members.length }).toEqual({ state: 'Stable', members: 2 });
      const atLeave = await committed();
      const leaving = a.stop();
      gate.open();
      await leaving;
      stops.splice(stops.indexOf(a.stop), 1);
      await sending;

      await pollUntil(committed, (c) => c === N, { timeoutMs: 60_000, what: 'B finished the stream' });
      expect(atJoin).toBeLessThan(N);
      expect(atLeave).toBeLessThan(N);
      const [decisions] = await q<{ n: number; s: number }>('SELECT count() AS n, uniqExact(session_id) AS s FROM ine_audit.decisions WHERE integration = {i:String}');
      expect(decisions).toEqual({ n: N, s: N });
      const [latest] = await q<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions_latest WHERE integration = {i:String}');
      expect(latest!.n).toBe(N);
      const [deliveries] = await q<{ n: number }>("SELECT count() AS n FROM ine_audit.deliveries FINAL WHERE integration = {i:String} AND kind = 'decision'");
      expect(deliveries!.n).toBe(N);
      console.log(`[rebalance] committed at join ${atJoin}, at leave ${atLeave}; decision rows inserted ${gate.inserted['ine_audit.decision_rows']} for ${N} decisions`);
    } finally {
      gate.open();
      await offsets.close();
      await admin.disconnect();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { pino } from 'pino';
import { loadConfig } from '../lib/config.js';
import { createKafkaBus } from '../lib/kafka.js';
import { topicsFor } from '../pipeline/contract.js';
import { cpuMs, decisionBody, figure, freePort, ownCpuMs, serviceEnv, sha256, spawnEntry, type BenchContext, type Figure } from './lib.js';

/**
 * Processor: decisions per second from Kafka into ClickHouse (parse, validate, normalize, batch insert),
 * against its two floors measured in the same run: the same kafkajs consumer doing nothing, and the
 * same rows inserted directly (bench/insert-worker.ts). The baseline is the time of both back to back.
 */

export function acceptedMessage(i: number): { key: string; value: string } {
  const sessionId = randomUUID();
  const body = decisionBody(i, sessionId);
  const message = { v: 1, kind: 'decision', deliveryId: randomUUID(), integration: 'bench', receivedAt: new Date().toISOString(), source: 'webhook', bodySha256: sha256(body), body };
  return { key: sessionId, value: JSON.stringify(message) };
}

/** Loads N accepted decision messages into the decisions topic (untimed). */
async function preload(brokers: string, topic: string, n: number): Promise<void> {
  const producer = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i += 1000) {
    const messages = Array.from({ length: Math.min(1000, n - i) }, (_, j) => acceptedMessage(i + j));
    const p = producer.send({ topic, acks: 1, compression: CompressionTypes.None, messages }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await producer.disconnect();
}

async function committed(admin: ReturnType<Kafka['admin']>, groupId: string, topic: string): Promise<number> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return t!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

interface Rate {
  perSecond: number;
  /** CPU time per message or decision, all threads of the process doing the work. */
  cpuUs: number;
}

/**
 * The same consumer settings as the processor (lib/kafka.ts), eachBatch doing nothing but commit.
 * CPU per message is this process's own: it does nothing else meanwhile.
 */
async function bareConsumer(brokers: string, prefix: string, topic: string, n: number): Promise<Rate> {
  const config = loadConfig({ KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_GROUP_ID: `bare-${randomUUID().slice(0, 8)}` });
  const bus = createKafkaBus(config, pino({ level: 'silent' }));
  const consumer = bus.consumer({ groupId: config.kafka.groupId, maxWaitMs: config.kafka.fetchMaxWaitMs });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  // The clock starts when the group is joined, so the first fetch counts.
  let first = 0;
  let firstCpu = 0;
  const start = () => {
    if (first) return;
    first = performance.now();
    firstCpu = ownCpuMs();
  };
  consumer.on(consumer.events.GROUP_JOIN, start);
  let resolveDone!: (rate: Rate) => void;
  const done = new Promise<Rate>((resolve) => (resolveDone = resolve));
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      start();
      for (const m of batch.messages) void m.value?.length;
      const last = batch.messages.at(-1);
      if (!last) return;
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      await heartbeat();
      seen += batch.messages.length;
      if (seen >= n) resolveDone({ perSecond: (n / (performance.now() - first)) * 1000, cpuUs: ((ownCpuMs() - firstCpu) * 1000) / n });
    },
  });
  const rate = await done;
  await bus.disconnect();
  return rate;
}

async function directInsert(n: number, batchRows: number, log: (m: string) => void): Promise<Rate> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ine-bench-insert-'));
  try {
    const child = await spawnEntry('bench/insert-worker.ts', serviceEnv({ DATA_DIR: dataDir, BENCH_ROWS: String(n), BATCH_MAX_ROWS: String(batchRows) }));
    const code = await child.exited;
    const line = child.output().trim().split('\n').reverse().find((l) => l.startsWith('{"eps"'));
    if (code !== 0 || !line) throw new Error(`insert worker failed:\n${child.output()}`);
    const result = JSON.parse(line) as { eps: number; cpuUsPerDecision: number; msPerTable: Record<string, number> };
    log(`direct insert time per table (ms): ${JSON.stringify(result.msPerTable)}`);
    return { perSecond: result.eps, cpuUs: result.cpuUsPerDecision };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** ClickHouse's Kafka engine and a materialized view on the same topic (bench/peer-worker.ts). */
async function kafkaEnginePeer(ctx: BenchContext, topic: string, n: number): Promise<Rate> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ine-bench-peer-'));
  try {
    const child = await spawnEntry('bench/peer-worker.ts', serviceEnv({ DATA_DIR: dataDir, BENCH_ROWS: String(n), BENCH_TOPIC: topic, KAFKA_BROKERS: ctx.brokers, KAFKA_GROUP_ID: `peer-${randomUUID().slice(0, 8)}` }));
    const code = await child.exited;
    const line = child.output().trim().split('\n').reverse().find((l) => l.startsWith('{"eps"'));
    if (code !== 0 || !line) throw new Error(`Kafka engine peer failed:\n${child.output()}`);
    const result = JSON.parse(line) as { eps: number; cpuUsPerDecision: number; sample: string };
    ctx.log(`Kafka engine peer: a row it extracted: ${result.sample}`);
    return { perSecond: result.eps, cpuUs: result.cpuUsPerDecision };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function processor(ctx: BenchContext, prefix: string, topic: string, n: number, extraEnv: Record<string, string> = {}): Promise<Rate> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ine-bench-processor-'));
  const groupId = `proc-${randomUUID().slice(0, 8)}`;
  const admin = new Kafka({ brokers: ctx.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const child = await spawnEntry('cli/processor.ts', serviceEnv({ KAFKA_BROKERS: ctx.brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_GROUP_ID: groupId, DATA_DIR: dataDir, PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), ...extraEnv }));
  try {
    // Steady state only: the rate between the first commits past 10% and past 90% of the messages.
    // From the first commit on, other partitions' batches are already half done, which at small sizes
    // would count work done before the clock started; at 10% and 90% as much is in flight.
    let from: { at: number; done: number; cpu: number } | null = null;
    const deadline = Date.now() + 600_000;
    for (;;) {
      const done = await committed(admin, groupId, topic);
      const at = performance.now();
      if (!from && done >= n * 0.1) from = { at, done, cpu: await cpuMs(child.child.pid!) };
      if (from && done >= n * 0.9 && done > from.done) {
        const cpu = await cpuMs(child.child.pid!);
        return { perSecond: ((done - from.done) / (at - from.at)) * 1000, cpuUs: ((cpu - from.cpu) * 1000) / (done - from.done) };
      }
      if (Date.now() > deadline || child.child.exitCode !== null) throw new Error(`processor did not finish (${done}/${n}):\n${child.output()}`);
      // Each poll costs the broker and this process CPU the processor would otherwise have; the rate uses
      // the exact committed counts at both polls, so a coarser poll costs no accuracy.
      await sleep(250);
    }
  } finally {
    await child.stop();
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchProcessor(ctx: BenchContext): Promise<Figure[]> {
  // At least 20 batches of 5,000: with fewer, commits come in lumps that no clock can time.
  const n = Math.max(100_000, Math.round(200_000 * ctx.scale));
  const prefix = `bench-${randomUUID().slice(0, 8)}.`;
  const topics = topicsFor(prefix);
  const bus = createKafkaBus(loadConfig({ KAFKA_BROKERS: ctx.brokers }), pino({ level: 'silent' }));
  await bus.ensureTopics(Object.values(topics));
  await bus.disconnect();
  const t0 = Date.now();
  await preload(ctx.brokers, topics.decisions, n);
  ctx.log(`preloaded ${n} decisions in ${Date.now() - t0} ms`);

  const consume = await bareConsumer(ctx.brokers, prefix, topics.decisions, n);
  ctx.log(`bare consumer: ${Math.round(consume.perSecond)} msg/s, ${consume.cpuUs.toFixed(1)} µs CPU/msg`);
  const batchRows = loadConfig({}).batch.maxRows;
  const insert = await directInsert(n, batchRows, ctx.log);
  ctx.log(`direct insert of the same rows: ${Math.round(insert.perSecond)} decisions/s, ${insert.cpuUs.toFixed(1)} µs CPU/decision`);
  const run = await processor(ctx, prefix, topics.decisions, n);
  ctx.log(`processor: ${Math.round(run.perSecond)} decisions/s, ${run.cpuUs.toFixed(1)} µs CPU/decision`);
  const peer = await kafkaEnginePeer(ctx, topics.decisions, n);
  ctx.log(`Kafka engine peer: ${Math.round(peer.perSecond)} decisions/s, ${peer.cpuUs.toFixed(1)} µs CPU/decision`);
  const baseline = 1 / (1 / consume.perSecond + 1 / insert.perSecond);
  const note = `${n} decisions, 3 partitions, batches of ${batchRows}`;
  const peerNote = 'ClickHouse Kafka engine + materialized view extracting the same INE fields: no HMAC pseudonyms, validation, quarantine, dead letters, raw copies or delivery records; offsets committed before the insert is durable';
  return [
    figure('processor_eps', run.perSecond, 'decisions/s', baseline, { goal: '≥ 0.5 × baseline, ≥ 20,000/s', met: run.perSecond >= 0.5 * baseline && run.perSecond >= 20_000, note }),
    figure('processor_bare_consume_eps', consume.perSecond, 'msg/s', null, { note: 'baseline part: kafkajs consumer doing nothing' }),
    figure('processor_direct_insert_eps', insert.perSecond, 'decisions/s', null, { note: 'baseline part: the same rows inserted directly' }),
    // 20,000 decisions/s on 2 cores leaves at most 100 µs of CPU per decision, for everything on the machine.
    figure('processor_cpu_us', run.cpuUs, 'µs CPU/decision', consume.cpuUs + insert.cpuUs, { goal: '≤ 1.25 × baseline', met: run.cpuUs <= 1.25 * (consume.cpuUs + insert.cpuUs), note: 'all threads of the processor (chdb included); baseline: bare consumer + direct insert' }),
    figure('peer_kafka_engine_eps', run.perSecond, 'decisions/s', peer.perSecond, { note: `value: processor; baseline: the peer. ${peerNote}` }),
    figure('peer_kafka_engine_cpu_us', run.cpuUs, 'µs CPU/decision', peer.cpuUs, { note: 'value: processor; baseline: the peer, all threads of its process' }),
  ];
}

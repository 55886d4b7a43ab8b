import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { topicsFor } from '../pipeline/contract.js';
import { doorSql } from '../test/helpers/processes.js';
import { benchAdminToken, benchIntegration, decisionBody, figure, freePort, keepAliveAgent, percentile, post, serviceEnv, sign, spawnEntry, type BenchContext, type Figure } from './lib.js';

/**
 * End to end: the delay from ingest's 200 to the row being visible in decisions_latest, at a steady
 * 500 webhooks/s, through a real ingest process, the broker and a processor process. Baseline, same
 * traffic: the delay until a bare kafkajs consumer has the message (the broker's share).
 */

const RATE = 500;

export async function benchE2e(ctx: BenchContext): Promise<Figure[]> {
  const seconds = Math.max(5, Math.round(30 * ctx.scale));
  const prefix = `bench-${randomUUID().slice(0, 8)}.`;
  const topics = topicsFor(prefix);
  const dataDir = mkdtempSync(join(tmpdir(), 'ine-bench-e2e-'));
  const kafkaEnv = { KAFKA_BROKERS: ctx.brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_GROUP_ID: `e2e-${prefix}` };
  const ingestPort = await freePort();
  const adminPort = await freePort();
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const doorPort = await freePort();
  const doorUrl = `http://127.0.0.1:${doorPort}`;
  const ingest = await spawnEntry('cli/ingest.ts', serviceEnv({ ...kafkaEnv, PORT: String(ingestPort), DATA_DIR: join(dataDir, 'ingest') }), { readyUrl: `${ingestUrl}/readyz` });
  const processor = await spawnEntry('cli/processor.ts', serviceEnv({ ...kafkaEnv, PORT: String(await freePort()), ADMIN_PORT: String(adminPort), CLICKHOUSE_HTTP_PORT: String(doorPort), DATA_DIR: join(dataDir, 'processor') }), { readyUrl: `${adminUrl}/healthz`, readyTimeoutMs: 90_000 });

  const acknowledged = new Map<string, number>();
  const seenByConsumer = new Map<string, number>();
  const visible = new Map<string, number>();
  const bare = new Kafka({ brokers: ctx.brokers.split(','), logLevel: logLevel.NOTHING }).consumer({ groupId: `bare-${prefix}`, maxWaitTimeInMs: 100 });
  await bare.connect();
  await bare.subscribe({ topic: topics.decisions, fromBeginning: true });
  await bare.run({ eachMessage: async ({ message }) => void seenByConsumer.set(message.key!.toString(), Date.now()) });

  // Readers poll decisions_latest every 50 ms for rows newer than the cursor (minus a margin, since
  // inserted_at is taken when an insert starts, not when it becomes visible).
  let polling = true;
  let cursor = '1970-01-01 00:00:00.000';
  const poller = (async () => {
    while (polling) {
      const rows = await doorSql(doorUrl, benchAdminToken)<{ session_id: string; inserted_at: string }>( "SELECT session_id, inserted_at FROM ine_audit.decisions_latest WHERE integration = 'bench' AND inserted_at > {c:DateTime64(3, 'UTC')} - INTERVAL 2 SECOND", { c: cursor }).catch(() => []);
      const now = Date.now();
      for (const r of rows) {
        if (!visible.has(r.session_id)) visible.set(r.session_id, now);
        if (r.inserted_at > cursor) cursor = r.inserted_at;
      }
      await sleep(50);
    }
  })();

  const agent = keepAliveAgent(64);
  const total = RATE * seconds;
  const sends: Array<Promise<void>> = [];
  // Delays count from the send: the bare consumer can see a message before its 200 is back, so
  // counting from the answer gave it a negative delay (p50 -1 ms, ratio -1200).
  const sentAt = new Map<string, number>();
  const failures: number[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sessionId = randomUUID();
    const body = decisionBody(i, sessionId);
    sentAt.set(sessionId, Date.now());
    sends.push(
      post(`${ingestUrl}/webhooks/veriff/decision`, body, { 'content-type': 'application/json', 'x-auth-client': benchIntegration.apiKey, 'x-hmac-signature': sign(body) }, agent).then(
        (status) => void (status === 200 ? acknowledged.set(sessionId, Date.now()) : failures.push(status)),
        () => void failures.push(0),
      ),
    );
  }
  await Promise.all(sends);
  const achieved = total / ((performance.now() - started) / 1000);
  const deadline = Date.now() + 120_000;
  while ((visible.size < acknowledged.size || seenByConsumer.size < acknowledged.size) && Date.now() < deadline) await sleep(100);
  polling = false;
  await poller;
  await bare.disconnect();
  agent.destroy();
  await ingest.stop();
  await processor.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const delays = (seen: Map<string, number>) => [...acknowledged.keys()].map((s) => (seen.get(s) ?? Number.NaN) - sentAt.get(s)!).filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
  const e2e = delays(visible);
  const broker = delays(seenByConsumer);
  ctx.log(`e2e: ${acknowledged.size} acknowledged at ${Math.round(achieved)}/s, ${e2e.length} visible, ${failures.length} failed; p50 ${percentile(e2e, 50)} ms, p99 ${percentile(e2e, 99)} ms; bare consumer p50 ${percentile(broker, 50)} ms, p99 ${percentile(broker, 99)} ms`);
  const note = `${acknowledged.size} webhooks at ${Math.round(achieved)}/s; ${acknowledged.size - e2e.length} never visible; delays from the send; baseline = bare consumer delay`;
  return [
    figure('e2e_p50_ms', percentile(e2e, 50), 'ms', percentile(broker, 50), { note }),
    figure('e2e_p99_ms', percentile(e2e, 99), 'ms', percentile(broker, 99), { goal: '< 2000 ms', met: percentile(e2e, 99) < 2000 && e2e.length === acknowledged.size }),
  ];
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLogger } from '../lib/logger.js';
import type { Config } from '../lib/config.js';
import { createClickHouse, isEmbedded, queryRows } from '../lib/clickhouse.js';
import { createKafkaBus } from '../lib/kafka.js';
import { adminFile, withLocalSecrets } from '../lib/local-secrets.js';
import { migrate } from '../lib/migrate.js';
import { handleDepsFor } from '../processors/handle.js';
import type { AcceptedMessage } from '../schemas/messages.js';
import { topicsFor } from '../schemas/topics.js';
import { createKafkaSink } from '../ingest/kafka-sink.js';
import type { AcceptedTopic } from '../ingest/sink.js';
import { createBatcher, createRowWriter } from '../processors/writer.js';
import { createInlineSink } from '../processors/inline-sink.js';
import type { RunQuery } from './admin-client.js';

export interface Intake {
  /** Durable when resolved, through the same path as live webhooks. */
  accept(topic: AcceptedTopic, messages: Array<{ key: string; message: AcceptedMessage }>): Promise<void>;
  /** Read access where available (duplicate checks, replay sources). */
  query: RunQuery | null;
  via: string;
  close(): Promise<void>;
}


/**
 * For import and replay: Kafka when KAFKA_BROKERS is set; otherwise the running service that owns
 * the embedded store (admin /accept), or the store itself when nobody holds it.
 */
export async function openIntake(base: Config): Promise<Intake> {
  const config = withLocalSecrets(base, { integrations: false });
  // A CLI's stdout is its result; its logs go to stderr, and only from warn unless asked for more.
  const log = createLogger(['debug', 'trace'].includes(config.logLevel) ? config.logLevel : 'warn', pino.destination(2));
  if (config.kafka.brokers) {
    const bus = createKafkaBus(config, log);
    const topics = topicsFor(config.kafka.topicPrefix);
    await bus.ensureTopics(Object.values(topics));
    await bus.connectProducer();
    const sink = createKafkaSink(bus, topics, log);
    const { openReadOnly } = await import('./admin-client.js');
    const reader = await openReadOnly(config, 'operator').catch(() => null);
    return { accept: sink.accept, query: reader?.run ?? null, via: `kafka ${config.kafka.brokers.join(',')}`, close: async () => { await bus.disconnect(); await reader?.close(); } };
  }
  if (isEmbedded(config) && existsSync(adminFile(config.dataDir))) {
    const { url } = JSON.parse(readFileSync(adminFile(config.dataDir), 'utf8')) as { url: string };
    const token = readFileSync(join(config.dataDir, 'admin-token'), 'utf8').trim();
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) {
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin-token': config.adminToken ?? token }, body: JSON.stringify(body) });
        const answer = (await res.json()) as { message?: string };
        if (!res.ok) throw new Error(answer.message ?? `running service answered ${res.status}`);
        return answer;
      };
      // Replay reads raw copies: the operator's way in through the SQL door, logged like every query.
      const { openReadOnly } = await import('./admin-client.js');
      const reader = await openReadOnly(config, 'operator');
      return {
        accept: async (topic, messages) => void (await post('/accept', { topic, messages })),
        query: reader.run,
        via: `running service ${url}`,
        close: reader.close,
      };
    }
  }
  const client = createClickHouse(config);
  await migrate(client, { rawRetentionDays: config.rawRetentionDays });
  // Nobody holds the store: write through the same inline sink `npm start` uses.
  const batcher = createBatcher(createRowWriter(client, log), { maxRows: config.batch.maxRows, deadlineMs: config.batch.retryMaxMs });
  const handleDeps = handleDepsFor(config.pseudonymPepper!);
  const sink = createInlineSink({ batcher, handleDeps, client, log, retryAfterSeconds: config.kafka.retryAfterSeconds });
  return {
    accept: sink.accept,
    query: (query, params = {}) => queryRows(client, query, params),
    via: config.clickhouse.url ?? `chdb ${config.dataDir}`,
    close: () => client.close(),
  };
}

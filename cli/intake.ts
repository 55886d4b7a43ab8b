import { existsSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { createLogger } from '../lib/logger.js';
import type { Config } from '../lib/config.js';
import { isEmbedded, queryRows } from '../lib/clickhouse.js';
import { adminFile, withLocalSecrets } from '../lib/local-secrets.js';
import type { AcceptedMessage } from '../schemas/messages.js';
import type { AcceptedTopic } from '../pipeline/contract.js';
import { openReadOnly, type RunQuery } from './admin-client.js';
import { compose } from './composition.js';

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
  for (const warning of config.deprecations) log.warn(warning);
  const parts = compose(config, log);
  if (config.kafka.brokers) {
    const sink = await parts.kafkaSink();
    const reader = await openReadOnly(config, 'operator').catch(() => null);
    return { accept: sink.accept, query: reader?.run ?? null, via: `kafka ${config.kafka.brokers.join(',')}`, close: async () => { await parts.close(); await reader?.close(); } };
  }
  if (isEmbedded(config) && existsSync(adminFile(config.dataDir))) {
    const { url } = JSON.parse(readFileSync(adminFile(config.dataDir), 'utf8')) as { url: string };
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) {
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin-token': config.adminToken! }, body: JSON.stringify(body) });
        const answer = (await res.json()) as { message?: string };
        if (!res.ok) throw new Error(answer.message ?? `running service answered ${res.status}`);
        return answer;
      };
      // Replay reads raw copies: the operator's way in through the SQL door, logged like every query.
      const reader = await openReadOnly(config, 'operator');
      return {
        accept: async (topic, messages) => void (await post('/accept', { topic, messages })),
        query: reader.run,
        via: `running service ${url}`,
        close: reader.close,
      };
    }
  }
  // Nobody holds the store: write through the same embedded sink `npm start` uses. A server's schema
  // is the deployment's to migrate; the embedded store is this process's alone.
  await parts.prepareStore(isEmbedded(config) ? 'migrate' : 'require-current');
  const { sink, journal } = await parts.embeddedSink();
  return {
    accept: sink.accept,
    query: (query, params = {}) => queryRows(parts.store(), query, params),
    via: config.clickhouse.url ?? `chdb ${config.dataDir}`,
    close: async () => {
      await journal.close();
      await parts.close();
    },
  };
}

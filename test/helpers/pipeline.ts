import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { startServices, type Services } from '../../cli/services.js';
import { queryRows } from '../../lib/clickhouse.js';
import { integrationEnv, type TestIntegration } from './http.js';
import { migrateStore } from './processes.js';

export type Mode = 'kafka' | 'embedded';

export interface TestPipeline {
  mode: Mode;
  url: string;
  integration: TestIntegration;
  services: Services;
  env: Record<string, string>;
  query<T = any>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  stop(): Promise<void>;
}

/**
 * Ingest + processing in this process, in its own namespace: a fresh data dir, topic prefix,
 * consumer group and integration, so suites share the broker (and a ClickHouse server) safely.
 */
export async function startPipeline(
  mode: Mode,
  options: { roles?: { ingest: boolean; processor: boolean }; env?: Record<string, string>; logDestination?: DestinationStream } = {},
): Promise<TestPipeline> {
  const services = inject('services');
  const suite = randomUUID().slice(0, 8);
  const integration: TestIntegration = { name: `it-${suite}`, apiKey: `key-${suite}`, sharedSecret: `secret-${suite}-0123456789` };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_PORT: '0',
    CLICKHOUSE_HTTP_PORT: '0',
    DATA_DIR: mkdtempSync(join(tmpdir(), `ine-audit-${mode}-`)),
    PSEUDONYM_PEPPER: 'test-pepper-0123456789abcdef',
    KAFKA_TOPIC_PREFIX: `t${suite}.`,
    KAFKA_GROUP_ID: `g${suite}`,
    KAFKA_FETCH_MAX_WAIT_MS: '100',
    ...integrationEnv([integration]),
    ...(mode === 'kafka' ? { KAFKA_BROKERS: services.kafkaBrokers } : {}),
    ...(services.clickhouseUrl ? { CLICKHOUSE_URL: services.clickhouseUrl } : {}),
    ...options.env,
  };
  const roles = options.roles ?? { ingest: true, processor: true };
  if (mode === 'kafka' && roles.processor) await migrateStore(env);
  const running = await startServices(roles, env, { logDestination: options.logDestination });
  return {
    mode,
    url: running.ingestUrl!,
    integration,
    services: running,
    env,
    query: async (sql, params = {}) => {
      await running.settled?.();
      return queryRows(running.clickhouse!, sql, params);
    },
    stop: () => running.stop(),
  };
}

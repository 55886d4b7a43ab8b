import { writeFileSync, rmSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../lib/config.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import { createClickHouse, isEmbedded, type ClickHouseClient } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrate.js';
import { createKafkaBus, type KafkaBus } from '../lib/kafka.js';
import { adminFile, withLocalSecrets } from '../lib/local-secrets.js';
import { topicsFor } from '../schemas/topics.js';
import { buildApp } from '../ingest/app.js';
import { healthRoutes } from '../ingest/routes/health.route.js';
import { createKafkaSink } from '../ingest/kafka-sink.js';
import type { Sink } from '../ingest/sink.js';
import { startProcessor } from '../processors/run.js';
import { createBatcher, createRowWriter } from '../processors/writer.js';
import { createInlineSink } from '../processors/inline-sink.js';
import { handleDepsFor } from '../processors/handle.js';
import { buildAdminApp } from '../admin/admin.app.js';
import { startDoor, type Door } from '../sqldoor/door.js';
import { startLedgerSealer } from '../ledger/sealer.js';
import { erasureDeps, eraseRoute } from '../erasure/service.js';

export interface Services {
  config: Config;
  log: Logger;
  ingestUrl?: string;
  adminUrl?: string;
  /** The embedded store's SQL door (ClickHouse HTTP interface), in the process that owns the store. */
  sqlUrl?: string;
  /** Present in the process that writes to ClickHouse. */
  clickhouse?: ClickHouseClient;
  stop(): Promise<void>;
}

function processorDeps(config: Config, client: ClickHouseClient, log: Logger, metrics: Metrics) {
  const writer = createRowWriter(client, log.child({ component: 'writer' }), (table, rows, ms) => {
    metrics.insertSeconds.observe({ table }, ms / 1000);
    metrics.insertedRows.inc({ table }, rows);
  });
  const handleDeps = handleDepsFor(config.pseudonymPepper!);
  return { writer, handleDeps };
}

/**
 * Composition root. roles: ingest (HTTP), processor (Kafka → ClickHouse). Without KAFKA_BROKERS the
 * ingest hands events straight to the processor code (embedded mode). Whoever holds ClickHouse serves admin SQL.
 */
export async function startServices(
  roles: { ingest: boolean; processor: boolean },
  env: NodeJS.ProcessEnv = process.env,
  options: { logDestination?: DestinationStream } = {},
): Promise<Services> {
  const base = loadConfig(env);
  const kafkaMode = Boolean(base.kafka.brokers);
  const writesClickHouse = roles.processor || !kafkaMode;
  if (writesClickHouse && base.clickhouse.url && !base.pseudonymPepper) {
    throw new Error('PSEUDONYM_PEPPER is required with a ClickHouse server (every processor must hash alike)');
  }
  const config = withLocalSecrets(base, { integrations: roles.ingest });
  const log = createLogger(config.logLevel, options.logDestination);
  const metrics = createMetrics();
  const topics = topicsFor(config.kafka.topicPrefix);
  const bus: KafkaBus | null = kafkaMode ? createKafkaBus(config, log) : null;
  const client = writesClickHouse ? createClickHouse(config) : null;
  const stops: Array<[string, () => Promise<unknown>]> = [];
  const services: Services = { config, log, clickhouse: client ?? undefined, stop: async () => {} };

  if (client) {
    const applied = await migrate(client, { rawRetentionDays: config.rawRetentionDays });
    log.info({ applied: applied.length, store: isEmbedded(config) ? 'chdb' : 'server' }, 'migrations applied');
  }

  let http: FastifyInstance | null = null;
  let inlineSink: Sink | null = null;
  let processorStop: (() => Promise<void>) | null = null;
  let batcher: ReturnType<typeof createBatcher> | null = null;

  if (roles.processor && bus && client) {
    const { writer, handleDeps } = processorDeps(config, client, log, metrics);
    const processor = await startProcessor({
      bus, topics, writer, handleDeps, log: log.child({ component: 'processor' }), groupId: config.kafka.groupId,
      maxRows: config.batch.maxRows, maxWaitMs: config.batch.maxWaitMs,
      onBatch: (topic, n, dead) => {
        metrics.batchSize.observe({ topic }, n);
        if (dead) metrics.deadLetters.inc({ topic }, dead);
      },
      lagIntervalMs: config.kafka.lagIntervalMs,
      onLag: (lags) => lags.forEach(({ topic, partition, lag }) => metrics.consumerLag.set({ topic, partition: String(partition) }, lag)),
    });
    processorStop = processor.stop;
  }

  if (roles.ingest) {
    let sink: Sink;
    if (bus) {
      await bus.ensureTopics(Object.values(topics));
      await bus.connectProducer();
      sink = createKafkaSink(bus, topics, log, { publishTimeoutMs: config.kafka.publishTimeoutMs, retryAfterSeconds: config.kafka.retryAfterSeconds });
    } else {
      const { writer, handleDeps } = processorDeps(config, client!, log, metrics);
      batcher = createBatcher(writer, { maxRows: config.batch.maxRows, deadlineMs: config.kafka.publishTimeoutMs });
      sink = inlineSink = createInlineSink({ batcher, handleDeps, client: client!, log, retryAfterSeconds: config.kafka.retryAfterSeconds });
    }
    http = await buildApp({ config, sink, log, metrics, ready: client && bus ? async () => ({ clickhouse: (await client.ping()).success }) : undefined });
    services.ingestUrl = await http.listen({ host: config.host, port: config.port });
    log.info({ url: services.ingestUrl, mode: kafkaMode ? 'kafka' : 'embedded', integrations: config.integrations.map((i) => i.name) }, 'ingest listening');
  } else if (roles.processor) {
    // A processor alone still answers health and readiness (metrics are on the internal port).
    http = Fastify({ loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger, disableRequestLogging: true });
    healthRoutes(http, { ready: async () => ({ kafka: await bus!.ping(), clickhouse: (await client!.ping()).success }) });
    services.ingestUrl = await http.listen({ host: config.host, port: config.port });
  }

  // The store's owner seals the ledger (with a server, every processor may: one digest per interval wins).
  const stopSealer = client ? startLedgerSealer({ client, config, log }) : null;

  let door: Door | null = null;
  if (client && isEmbedded(config)) {
    door = await startDoor({ config, client, log });
    services.sqlUrl = door.url;
  }

  const ingestApp = roles.ingest ? http : null;
  // The owner of the embedded store erases for `npm run erase` (nobody else may write chdb).
  const routes = client && isEmbedded(config) ? (app: FastifyInstance) => eraseRoute(app, erasureDeps(client, config)) : undefined;
  const admin = await buildAdminApp({ token: config.adminToken!, log, metrics, openApi: ingestApp ? () => ingestApp.swagger() : undefined, accept: inlineSink?.accept, routes });
  services.adminUrl = await admin.listen({ host: config.adminHost, port: config.adminPort });
  if (client && isEmbedded(config)) writeFileSync(adminFile(config.dataDir), JSON.stringify({ url: services.adminUrl, pid: process.pid }), { mode: 0o600 });

  // Shutdown order: cancel SQL door queries → stop HTTP → stop consumers → flush writers → disconnect Kafka → close ClickHouse.
  stops.push(['sqldoor', async () => door?.stop()]);
  stops.push(['http', async () => http?.close()]);
  stops.push(['processor', async () => processorStop?.()]);
  stops.push(['batcher', async () => batcher?.flush()]);
  stops.push(['ledger', async () => stopSealer?.()]);
  stops.push(['kafka', async () => bus?.disconnect()]);
  stops.push(['admin', async () => admin?.close()]);
  stops.push(['clickhouse', async () => {
    await client?.close();
    if (client && isEmbedded(config)) rmSync(adminFile(config.dataDir), { force: true });
  }]);
  services.stop = async () => {
    for (const [name, stop] of stops) {
      try {
        await stop();
      } catch (err) {
        log.warn({ err, step: name }, 'shutdown step failed');
      }
    }
  };
  return services;
}

/** Entrypoint helper: start, then stop in order on SIGINT/SIGTERM with a hard deadline. */
export async function runUntilSignal(roles: { ingest: boolean; processor: boolean }): Promise<void> {
  let services: Services;
  try {
    services = await startServices(roles);
  } catch (err) {
    console.error(`ine-audit failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    services.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      services.log.error('shutdown deadline passed, exiting');
      process.exit(1);
    }, 15_000);
    deadline.unref();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

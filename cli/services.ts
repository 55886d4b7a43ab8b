import { writeFileSync, rmSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../lib/config.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { isEmbedded, type ClickHouseClient } from '../lib/clickhouse.js';
import { adminFile, withLocalSecrets } from '../lib/local-secrets.js';
import type { Sink } from '../pipeline/contract.js';
import { buildApp, buildHealthApp } from '../ingest/app.js';
import { buildAdminApp } from '../admin/admin.app.js';
import { consentSnapshotJob } from '../maintenance/consent-snapshot.js';
import { startScheduledWork } from '../maintenance/schedule.js';
import { compose } from './composition.js';
import { startDoor, type Door } from '../sqldoor/door.js';
import { startLedgerSealer } from '../ledger/sealer.js';
import { erasureDeps, eraseRoute } from '../erasure/service.js';
import type { Journal } from '../processors/journal.js';

export interface Services {
  config: Config;
  log: Logger;
  ingestUrl?: string;
  adminUrl?: string;
  /** The embedded store's SQL door (ClickHouse HTTP interface), in the process that owns the store. */
  sqlUrl?: string;
  /** Present in the process that writes to ClickHouse. */
  clickhouse?: ClickHouseClient;
  /** Embedded mode: resolves once every webhook answered so far is in ClickHouse (bounded by the insert deadline). */
  settled?: () => Promise<void>;
  stop(): Promise<void>;
}

/**
 * The service process. roles: ingest (HTTP), processor (Kafka → ClickHouse). Without KAFKA_BROKERS the
 * ingest hands events straight to the processor code (embedded mode). Parts come from compose().
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
  for (const warning of config.deprecations) log.warn(warning);
  const parts = compose(config, log);
  const client = writesClickHouse ? parts.store() : null;
  const stops: Array<[string, () => Promise<unknown>]> = [];
  const services: Services = { config, log, clickhouse: client ?? undefined, stop: async () => {} };

  // Embedded mode is alone with its store and migrates it; a processor beside others only checks.
  if (client) await parts.prepareStore(kafkaMode ? 'require-current' : 'migrate');

  let http: FastifyInstance | null = null;
  let inlineSink: Sink | null = null;
  let processorStop: (() => Promise<void>) | null = null;
  let journal: Journal | null = null;

  if (roles.processor && kafkaMode && client) processorStop = (await parts.processor()).stop;
  // Scheduled work runs where the store is written, never in a CLI or the SQL door that opens it.
  const scheduled = client ? startScheduledWork(client, [consentSnapshotJob(config.consentSnapshotIntervalMs)], log.child({ component: 'schedule' })) : null;

  if (roles.ingest) {
    let sink: Sink;
    if (kafkaMode) {
      sink = await parts.kafkaSink();
    } else {
      const embedded = await parts.embeddedSink();
      sink = inlineSink = embedded.sink;
      journal = embedded.journal;
    }
    http = await buildApp({ config, sink, log, metrics: parts.metrics, ready: client && kafkaMode ? async () => ({ clickhouse: (await client.ping()).success }) : undefined });
    services.ingestUrl = await http.listen({ host: config.host, port: config.port });
    log.info({ url: services.ingestUrl, mode: kafkaMode ? 'kafka' : 'embedded', integrations: config.integrations.map((i) => i.name) }, 'ingest listening');
  } else if (roles.processor) {
    http = buildHealthApp(log, async () => ({ kafka: await parts.bus().ping(), clickhouse: (await client!.ping()).success }));
    services.ingestUrl = await http.listen({ host: config.host, port: config.port });
  }

  // The store's owner seals the ledger (with a server, every processor may: one digest per interval wins).
  const stopSealer = client ? startLedgerSealer({ client, config, log }) : null;

  const settled = journal ? settledWithin(journal, config.embedded.insertDeadlineMs) : undefined;
  services.settled = settled;
  let door: Door | null = null;
  if (client && isEmbedded(config)) {
    door = await startDoor({ config, client, log, settled });
    services.sqlUrl = door.url;
  }

  const ingestApp = roles.ingest ? http : null;
  // The owner of the embedded store erases for `npm run erase` (nobody else may write chdb).
  const routes = client && isEmbedded(config) ? (app: FastifyInstance) => eraseRoute(app, erasureDeps(client, config), settled && (async () => (await settled(), journal!.backlog() === 0))) : undefined;
  const admin = await buildAdminApp({ token: config.adminToken!, log, metrics: parts.metrics, openApi: ingestApp ? () => ingestApp.swagger() : undefined, accept: inlineSink?.accept, routes });
  services.adminUrl = await admin.listen({ host: config.adminHost, port: config.adminPort });
  if (client && isEmbedded(config)) writeFileSync(adminFile(config.dataDir), JSON.stringify({ url: services.adminUrl, pid: process.pid }), { mode: 0o600 });

  // Shutdown order: cancel SQL door queries → stop HTTP → stop consumers → flush writers → close admin → disconnect Kafka → close ClickHouse.
  stops.push(['sqldoor', async () => door?.stop()]);
  stops.push(['http', async () => http?.close()]);
  stops.push(['processor', async () => processorStop?.()]);
  stops.push(['journal', async () => journal?.close()]);
  stops.push(['scheduled work', async () => scheduled?.stop()]);
  stops.push(['ledger', async () => stopSealer?.()]);
  stops.push(['admin', async () => admin?.close()]);
  stops.push(['kafka and clickhouse', async () => {
    await parts.close();
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

/**
 * Reads in the process that owns the embedded store see every webhook answered before them: they
 * wait for the journal, but no longer than an insert may retry (ClickHouse down: the read goes ahead).
 */
function settledWithin(journal: Journal, ms: number): () => Promise<void> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([journal.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  };
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

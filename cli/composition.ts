import { join } from 'node:path';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import { createClickHouse, isEmbedded, type ClickHouseClient } from '../lib/clickhouse.js';
import { migrate, requireCurrentSchema } from '../lib/migrate.js';
import { createKafkaBus, type KafkaBus } from '../lib/kafka.js';
import { topicsFor, type Sink } from '../pipeline/contract.js';
import { createKafkaSink } from '../ingest/kafka-sink.js';
import { deriveDepsFor, type DeriveDeps } from '../processors/derive.js';
import { createInlineSink } from '../processors/inline-sink.js';
import { startProcessor } from '../processors/run.js';
import { createRowWriter, type RowWriter } from '../processors/writer.js';
import { openJournal, type Journal } from '../processors/journal.js';

/**
 * The composition root: every part of the pipeline for one config, each built once on first use.
 * `npm start`, `npm run ingest`, `npm run processor`, import, replay and the bench all assemble
 * themselves from these, so the two modes cannot drift apart.
 */
export function compose(config: Config, log: Logger, metrics: Metrics = createMetrics()) {
  const topics = topicsFor(config.kafka.topicPrefix);
  let bus: KafkaBus | undefined;
  let store: ClickHouseClient | undefined;
  let writer: RowWriter | undefined;
  let deriveDeps: DeriveDeps | undefined;

  const parts = {
    config,
    log,
    metrics,
    topics,
    kafkaMode: Boolean(config.kafka.brokers),
    bus: (): KafkaBus => (bus ??= createKafkaBus(config, log)),
    store: (): ClickHouseClient => (store ??= createClickHouse(config)),

    /**
     * Migrations are a deployment step (`npm run migrate`); only a process alone with its store
     * (embedded mode, one process per chdb data directory) applies them itself.
     */
    async prepareStore(how: 'migrate' | 'require-current'): Promise<void> {
      if (how === 'require-current') return requireCurrentSchema(parts.store());
      const applied = await migrate(parts.store(), { rawRetentionDays: config.rawRetentionDays, cluster: config.clickhouse.cluster });
      log.info({ applied: applied.length, store: isEmbedded(config) ? 'chdb' : 'server' }, 'migrations applied');
    },

    writer: (): RowWriter =>
      (writer ??= createRowWriter(parts.store(), log.child({ component: 'writer' }), (table, rows, ms) => {
        metrics.insertSeconds.observe({ table }, ms / 1000);
        metrics.insertedRows.inc({ table }, rows);
      })),

    deriveDeps(): DeriveDeps {
      if (!config.pseudonymPepper) throw new Error('PSEUDONYM_PEPPER is not set (withLocalSecrets provides one for the embedded store)');
      return (deriveDeps ??= deriveDepsFor(config.pseudonymPepper));
    },

    /** Embedded mode: accepted messages are derived in this process and go to ClickHouse through the journal in DATA_DIR. */
    async embeddedSink(): Promise<{ sink: Sink; journal: Journal }> {
      const journal = await openJournal({
        dir: join(config.dataDir, 'journal'),
        writer: parts.writer(),
        log: log.child({ component: 'journal' }),
        intervalMs: config.embedded.insertIntervalMs,
        maxRows: config.batch.maxRows,
        maxBacklogRows: config.embedded.maxBacklogRows,
        insertDeadlineMs: config.embedded.insertDeadlineMs,
        retryAfterSeconds: config.retryAfterSeconds,
      });
      metrics.watchJournal(journal.backlog);
      const sink = createInlineSink({ journal, deriveDeps: parts.deriveDeps(), client: parts.store(), log });
      return { sink, journal };
    },

    /** Kafka mode: the topics exist and the producer is connected before the first request. */
    async kafkaSink(): Promise<Sink> {
      const b = parts.bus();
      await b.ensureTopics(Object.values(topics));
      await b.connectProducer();
      return createKafkaSink(b, topics, log, { publishTimeoutMs: config.kafka.publishTimeoutMs, lingerMs: config.kafka.publishLingerMs, retryAfterSeconds: config.retryAfterSeconds });
    },

    processor: () =>
      startProcessor({
        bus: parts.bus(),
        topics,
        writer: parts.writer(),
        deriveDeps: parts.deriveDeps(),
        log: log.child({ component: 'processor' }),
        groupId: config.kafka.groupId,
        maxRows: config.batch.maxRows,
        maxWaitMs: config.kafka.fetchMaxWaitMs,
        onBatch: (topic, n, dead) => {
          metrics.batchSize.observe({ topic }, n);
          if (dead) metrics.deadLetters.inc({ topic }, dead);
        },
        lagIntervalMs: config.kafka.lagIntervalMs,
        onLag: (lags) => lags.forEach(({ topic, partition, lag }) => metrics.consumerLag.set({ topic, partition: String(partition) }, lag)),
      }),

    /** What was built, in dependency order: Kafka first, the store last. */
    async close(): Promise<void> {
      await bus?.disconnect();
      await store?.close();
    },
  };
  return parts;
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; each service registers what it measures. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'ine_audit_http_requests_total', help: 'HTTP requests by route, status and outcome', labelNames: ['route', 'status', 'outcome'] as const, registers: [registry] });
  const rejections = new Counter({ name: 'ine_audit_rejections_total', help: 'Rejected requests by endpoint and reason', labelNames: ['endpoint', 'reason'] as const, registers: [registry] });
  const publishSeconds = new Histogram({ name: 'ine_audit_publish_seconds', help: 'Time until an accepted payload was durable (Kafka ack or embedded journal sync)', labelNames: ['topic'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const batchSize = new Histogram({ name: 'ine_audit_processor_batch_messages', help: 'Messages per processed batch', labelNames: ['topic'] as const, buckets: [1, 10, 50, 100, 500, 1000, 5000], registers: [registry] });
  const insertSeconds = new Histogram({ name: 'ine_audit_clickhouse_insert_seconds', help: 'ClickHouse insert latency by table', labelNames: ['table'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const insertedRows = new Counter({ name: 'ine_audit_clickhouse_rows_total', help: 'Rows inserted into ClickHouse by table', labelNames: ['table'] as const, registers: [registry] });
  const deadLetters = new Counter({ name: 'ine_audit_dead_letters_total', help: 'Messages sent to the dead-letter topic', labelNames: ['topic'] as const, registers: [registry] });
  const consumerLag = new Gauge({ name: 'ine_audit_consumer_lag_messages', help: 'Messages on a partition not yet committed by the processor group', labelNames: ['topic', 'partition'] as const, registers: [registry] });
  let journalBacklog: () => number = () => 0;
  new Gauge({ name: 'ine_audit_journal_backlog_rows', help: 'Embedded mode: rows acknowledged and not yet in ClickHouse', registers: [registry], collect() { this.set(journalBacklog()); } });
  const watchJournal = (backlog: () => number) => void (journalBacklog = backlog);
  return { registry, requests, rejections, publishSeconds, batchSize, insertSeconds, insertedRows, deadLetters, consumerLag, watchJournal };
}
export type Metrics = ReturnType<typeof createMetrics>;

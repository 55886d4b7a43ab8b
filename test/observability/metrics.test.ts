import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicsFor } from '../../pipeline/contract.js';
import { makeDecision } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';
import { deliverAll } from '../helpers/send.js';

/** GET /metrics after real traffic through ingest, Kafka and the processor (one process, both roles). */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`unparseable metrics line: ${line}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** Sum of the samples of a series whose labels include `labels`. */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length ? hits.reduce((n, s) => n + s.value, 0) : undefined;
}

const N = 200;
const path = '/webhooks/veriff/decision';

describe('Prometheus metrics', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline('kafka', { env: { KAFKA_LAG_INTERVAL_MS: '300', RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('counts requests by route and status, rejections by reason, publish and insert latency, batch sizes, dead letters and consumer lag', async () => {
    const answers = await deliverAll(p.url, path, Array.from({ length: N }, () => makeDecision('decision-approved-ine-match')), p.integration);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    for (let i = 0; i < 3; i++) expect((await signedPost(p.url, path, makeDecision('decision-approved-ine-match'), p.integration, { signature: 'ab'.repeat(32) })).status).toBe(401);
    expect((await signedPost(p.url, path, '{"broken"', p.integration)).body.status).toBe('quarantined');
    // A message no processor can handle, written around ingest: it must be dead-lettered and counted.
    const topics = topicsFor(p.env.KAFKA_TOPIC_PREFIX!);
    const producer = new Kafka({ brokers: p.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: topics.decisions, messages: [{ key: 'garbage', value: 'not a message' }] });
    await producer.disconnect();

    await pollUntil(
      async () => (await p.query<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions WHERE integration = {i:String}', { i: p.integration.name }))[0]!.n,
      (n) => n === N,
      { what: 'decisions stored' },
    );
    const scrape = async () => {
      const res = await fetch(`${p.services.adminUrl}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return parseMetrics(await res.text());
    };
    // Lag is measured every 300 ms from committed offsets: wait until it shows the stream consumed.
    const m = await pollUntil(scrape, (s) => metricValue(s, 'ine_audit_consumer_lag_messages', { topic: topics.decisions }) === 0 && (metricValue(s, 'ine_audit_dead_letters_total') ?? 0) >= 1, {
      timeoutMs: 30_000,
      what: 'lag back to 0 and the dead letter counted',
    });

    expect(metricValue(m, 'ine_audit_http_requests_total', { route: path, status: '200', outcome: 'accepted' })).toBe(N);
    expect(metricValue(m, 'ine_audit_http_requests_total', { route: path, status: '200', outcome: 'quarantined' })).toBe(1);
    expect(metricValue(m, 'ine_audit_http_requests_total', { route: path, status: '401' })).toBe(3);
    expect(metricValue(m, 'ine_audit_rejections_total', { endpoint: path, reason: 'bad_signature' })).toBe(3);

    expect(metricValue(m, 'ine_audit_publish_seconds_count', { topic: 'decisions' })).toBe(N);
    expect(metricValue(m, 'ine_audit_publish_seconds_count', { topic: 'quarantine' })).toBe(1);
    const publishMean = metricValue(m, 'ine_audit_publish_seconds_sum', { topic: 'decisions' })! / N;
    expect(publishMean).toBeGreaterThan(0);
    expect(publishMean).toBeLessThan(5);

    expect(metricValue(m, 'ine_audit_processor_batch_messages_sum', { topic: topics.decisions })).toBe(N + 1);
    expect(metricValue(m, 'ine_audit_processor_batch_messages_count', { topic: topics.decisions })).toBeGreaterThanOrEqual(1);
    expect(metricValue(m, 'ine_audit_clickhouse_rows_total', { table: 'decision_rows' })).toBe(N);
    expect(metricValue(m, 'ine_audit_clickhouse_insert_seconds_count', { table: 'decision_rows' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(m, 'ine_audit_clickhouse_insert_seconds_sum', { table: 'decision_rows' })).toBeGreaterThan(0);
    expect(metricValue(m, 'ine_audit_dead_letters_total', { topic: topics.decisions })).toBe(1);

    // One lag gauge per partition of every consumed topic.
    const lagSeries = m.filter((s) => s.name === 'ine_audit_consumer_lag_messages' && s.labels.topic === topics.decisions);
    expect(lagSeries.map((s) => s.labels.partition).sort()).toEqual(['0', '1', '2']);
    expect(metricValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});

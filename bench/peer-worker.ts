import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Session } from 'chdb';
import { ownCpuMs } from './lib.js';

/**
 * The peer a ClickHouse user would pick instead of our processor, in a process of its own (chdb: one
 * store per process): ClickHouse's own Kafka table engine on the same topic, and a materialized view
 * that extracts the same INE fields from the same messages into a MergeTree table. It does no HMAC
 * pseudonyms, no schema validation, no quarantine or dead letters, keeps no raw copy or delivery
 * record, and commits offsets before its insert is durable (at-least-once at best).
 * Prints {"eps": decisions per second, "cpuUsPerDecision" (all threads)} between 10% and 90% of BENCH_ROWS.
 */
const rows = Number(process.env.BENCH_ROWS ?? 10_000);
const brokers = process.env.KAFKA_BROKERS!;
const topic = process.env.BENCH_TOPIC!;
const group = process.env.KAFKA_GROUP_ID!;
const path = resolve(process.env.DATA_DIR!, 'clickhouse');
mkdirSync(path, { recursive: true });
const session = new Session(path);
const run = async (sql: string) => (await session.queryAsync(sql, { format: 'TSV' })).text();

const ine = (field: string, type: string) => `JSONExtract(b, 'verification', 'additionalVerifiedData', 'ineBiometricRegistryValidation', '${field}', '${type}')`;
await run('CREATE DATABASE IF NOT EXISTS peer');
await run(`CREATE TABLE peer.decisions (
  session_id String, status LowCardinality(String), code UInt16, decision_time Nullable(DateTime64(3, 'UTC')),
  ine_face_match Nullable(Bool), ine_face_match_percentage Nullable(UInt8), ine_response_status LowCardinality(Nullable(String)),
  integration LowCardinality(String), received_at DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (session_id)`);
await run(`CREATE TABLE peer.queue (message String) ENGINE = Kafka SETTINGS
  kafka_broker_list = '${brokers}', kafka_topic_list = '${topic}', kafka_group_name = '${group}',
  kafka_format = 'JSONAsString', kafka_num_consumers = 1, kafka_max_block_size = 5000, kafka_flush_interval_ms = 200`);
await run(`CREATE MATERIALIZED VIEW peer.extract TO peer.decisions AS
  WITH JSONExtractString(message, 'body') AS b
  SELECT JSONExtractString(b, 'verification', 'id') AS session_id, JSONExtractString(b, 'verification', 'status') AS status,
    JSONExtractUInt(b, 'verification', 'code') AS code,
    parseDateTime64BestEffortOrNull(JSONExtractString(b, 'verification', 'decisionTime'), 3, 'UTC') AS decision_time,
    ${ine('faceMatch', 'Nullable(Bool)')} AS ine_face_match, ${ine('faceMatchPercentage', 'Nullable(UInt8)')} AS ine_face_match_percentage,
    ${ine('responseStatus', 'Nullable(String)')} AS ine_response_status, JSONExtractString(message, 'integration') AS integration,
    parseDateTime64BestEffort(JSONExtractString(message, 'receivedAt'), 3, 'UTC') AS received_at
  FROM peer.queue`);

const count = async () => Number((await run('SELECT count() FROM peer.decisions')).trim());
let from: { at: number; done: number; cpu: number } | null = null;
const deadline = Date.now() + 600_000;
for (;;) {
  const done = await count();
  const at = performance.now();
  if (!from && done >= rows * 0.1) from = { at, done, cpu: ownCpuMs() };
  if (from && done >= rows * 0.9 && done > from.done) {
    const cpu = ownCpuMs();
    const sample = (await run("SELECT ine_face_match, ine_face_match_percentage FROM peer.decisions WHERE ine_face_match_percentage IS NOT NULL LIMIT 1")).trim();
    console.log(JSON.stringify({ eps: ((done - from.done) / (at - from.at)) * 1000, cpuUsPerDecision: ((cpu - from.cpu) * 1000) / (done - from.done), sample }));
    break;
  }
  if (Date.now() > deadline) throw new Error(`peer did not finish: ${done}/${rows}`);
  await new Promise((r) => setTimeout(r, 250));
}
await run('DROP TABLE peer.queue');
session.close();
process.exit(0);

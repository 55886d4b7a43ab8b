import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { resolveServices, type TestServices } from './helpers/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

/** Debian's Chromium for the evidence-report browser test, as the broker's jars: brought by the run itself. */
async function ensureChromium(): Promise<void> {
  if (existsSync('/usr/bin/chromium')) return;
  console.log('[test services] installing chromium (scripts/ci/install-chromium.sh)');
  await promisify(execFile)('bash', ['scripts/ci/install-chromium.sh'], { timeout: 900_000 }).catch((err: Error) => {
    console.error(`[test services] chromium could not be installed: ${err.message.split('\n')[0]}`);
  });
}

/**
 * Kafka and ClickHouse once for the whole run, in this order of preference:
 * KAFKA_BROKERS / CLICKHOUSE_URL from the environment; otherwise the project's local Apache Kafka
 * broker (scripts/kafka.sh), and a ClickHouse container where a Docker engine answers, else embedded chdb.
 */
export default async function setup(project: TestProject) {
  await ensureChromium();
  const { services, teardown } = await resolveServices();
  project.provide('services', services);
  console.log(`[test services] kafka=${services.kafkaBrokers} (${services.kafkaSource}) clickhouse=${services.clickhouseUrl ?? 'chdb (per test process)'}`);
  return teardown;
}

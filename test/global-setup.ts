import type { TestProject } from 'vitest/node';
import { resolveServices, type TestServices } from './helpers/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

/**
 * Kafka and ClickHouse once for the whole run, in this order of preference:
 * KAFKA_BROKERS / CLICKHOUSE_URL from the environment; testcontainers where a Docker engine answers;
 * otherwise the project's local Apache Kafka broker (scripts/kafka.sh) and embedded chdb.
 */
export default async function setup(project: TestProject) {
  const { services, teardown } = await resolveServices();
  project.provide('services', services);
  console.log(`[test services] kafka=${services.kafkaBrokers} (${services.kafkaSource}) clickhouse=${services.clickhouseUrl ?? 'chdb (per test process)'}`);
  return teardown;
}

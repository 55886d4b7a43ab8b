import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defaultLimits, roles, type Limits, type Role } from '../schemas/access.js';

/** The only place that reads process.env: parsed once at start-up, then frozen. */

const integrationSchema = z.object({
  name: z.string().min(1),
  apiKey: z.string().min(1),
  sharedSecret: z.string().min(8),
});
export type Integration = z.infer<typeof integrationSchema>;

const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const boolFromEnv = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  HOST: z.string().default('0.0.0.0'),
  PORT: intFromEnv(3000),
  ADMIN_PORT: intFromEnv(3001),
  // The internal port (metrics, OpenAPI, import and replay); 0.0.0.0 only inside a private network.
  ADMIN_HOST: z.string().default('127.0.0.1'),
  ADMIN_TOKEN: z.string().min(16).optional(),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  VERIFF_API_KEY: z.string().min(1).optional(),
  VERIFF_SHARED_SECRET: z.string().min(8).optional(),
  VERIFF_INTEGRATION_NAME: z.string().min(1).default('default'),
  VERIFF_INTEGRATIONS: z.string().optional(),
  VERIFF_INTEGRATIONS_FILE: z.string().optional(),
  ALLOW_LEGACY_SIGNATURE: boolFromEnv(false),

  BODY_LIMIT_BYTES: intFromEnv(1_048_576, 1024),
  // A client must have sent its whole request within this long (slow clients get 408 and are closed).
  REQUEST_TIMEOUT_MS: intFromEnv(30_000, 100),
  RATE_LIMIT_PER_MINUTE: intFromEnv(6000, 0),
  // The window RATE_LIMIT_PER_MINUTE is counted over (scaled to it); 0 requests = no limit.
  RATE_LIMIT_WINDOW_MS: intFromEnv(60_000, 1000),

  KAFKA_BROKERS: z.string().optional(),
  KAFKA_CLIENT_ID: z.string().default('ine-audit'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_GROUP_ID: z.string().default('ine-audit-processor'),
  KAFKA_TOPIC_PARTITIONS: intFromEnv(3, 1),
  KAFKA_REPLICATION_FACTOR: intFromEnv(1, 1),
  KAFKA_PUBLISH_TIMEOUT_MS: intFromEnv(5000, 100),
  // While busy, how long a produce request may wait for the rest of a burst of webhooks (lib/group-commit.ts).
  KAFKA_PUBLISH_LINGER_MS: intFromEnv(2, 0),
  // How long a processor's Kafka fetch waits for data before returning what it has.
  KAFKA_FETCH_MAX_WAIT_MS: intFromEnv(200, 0),
  // The Retry-After of a 503 (Kafka or ClickHouse unavailable), both modes.
  RETRY_AFTER_SECONDS: intFromEnv(30, 1),
  // How long a silent (e.g. SIGKILLed) consumer keeps its partitions; the broker allows 6000 at least.
  KAFKA_SESSION_TIMEOUT_MS: intFromEnv(30_000, 1000),
  // How often a processor measures its consumer lag (0 = never).
  KAFKA_LAG_INTERVAL_MS: intFromEnv(10_000, 0),

  CLICKHOUSE_URL: z.string().url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  // A self-managed cluster: migrations run ON CLUSTER with Replicated engines.
  CLICKHOUSE_CLUSTER: z.string().regex(/^[A-Za-z0-9_]+$/, 'a plain identifier').optional(),

  BATCH_MAX_ROWS: intFromEnv(5000, 1),
  // Embedded mode (npm start, import and replay on the store): accepted rows wait in DATA_DIR/journal
  // and go to ClickHouse at most once per interval while busy (each insert writes a part per table
  // and view, whose fixed cost a fuller insert shares; an idle service inserts at once).
  EMBEDDED_INSERT_INTERVAL_MS: intFromEnv(1000, 0),
  // How long one insert may keep retrying before its rows wait for the next attempt.
  EMBEDDED_INSERT_DEADLINE_MS: intFromEnv(10_000, 100),
  // Accepted rows not yet in ClickHouse beyond which webhooks are answered 503 (ClickHouse is down or behind).
  EMBEDDED_MAX_BACKLOG_ROWS: intFromEnv(100_000, 1),

  // The embedded store's SQL door (sqldoor/): ClickHouse's HTTP interface, read-only.
  CLICKHOUSE_HTTP_HOST: z.string().default('127.0.0.1'),
  CLICKHOUSE_HTTP_PORT: intFromEnv(8123),
  ANALYST_PASSWORD: z.string().min(8).optional(),
  GRAFANA_PASSWORD: z.string().min(8).optional(),
  // Per-role overrides of schemas/access.ts defaultLimits, e.g. {"analyst":{"max_execution_time":120}}.
  SQL_ROLE_LIMITS: z.string().default('{}'),
  SQL_MAX_CONCURRENT_QUERIES: intFromEnv(2, 1),

  // How often the store's owner takes the consent snapshot consent_verdicts reads (maintenance/).
  CONSENT_SNAPSHOT_INTERVAL_MS: intFromEnv(600_000, 1000),

  PSEUDONYM_PEPPER: z.string().min(16).optional(),
  RAW_RETENTION_DAYS: intFromEnv(90, 1),
  // Kafka topics created at start-up keep messages this long, so raw bodies there expire (erasure receipts say when).
  KAFKA_RETENTION_HOURS: intFromEnv(168, 1),

  // The signed ledger (ledger/): a PEM or the path of one; generated into DATA_DIR when unset.
  LEDGER_SIGNING_KEY: z.string().min(1).optional(),
  LEDGER_INTERVAL_MS: intFromEnv(3_600_000, 100),
  // An interval is sealed this long after it ends, so inserts in flight at its end are in it.
  LEDGER_SEAL_GRACE_MS: intFromEnv(60_000, 0),
  LEDGER_SEAL_CHECK_MS: intFromEnv(60_000, 100),
  // How far before an interval a late leaf is still looked for (verify-store reports any older one).
  LEDGER_LATE_WINDOW_MS: intFromEnv(86_400_000, 1000),
});

/** Old names that still work for one release; each use is logged as a warning at start. */
export const renamedVariables = {
  BATCH_MAX_WAIT_MS: 'KAFKA_FETCH_MAX_WAIT_MS',
  INSERT_RETRY_MAX_MS: 'EMBEDDED_INSERT_DEADLINE_MS',
  KAFKA_RETRY_AFTER_SECONDS: 'RETRY_AFTER_SECONDS',
} as const;

function withRenamedVariables(source: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; deprecations: string[] } {
  const env = { ...source };
  const deprecations: string[] = [];
  for (const [old, current] of Object.entries(renamedVariables)) {
    if (source[old] === undefined) continue;
    if (source[current] === undefined) env[current] = source[old];
    deprecations.push(`${old} is now ${current}${source[current] === undefined ? '' : ` (both set: ${current} wins)`}; the old name stops working in the next release`);
  }
  return { env, deprecations };
}

export type Config = Readonly<{
  host: string;
  port: number;
  adminPort: number;
  adminHost: string;
  adminToken: string | undefined;
  dataDir: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  integrations: readonly Integration[];
  allowLegacySignature: boolean;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  rateLimitPerMinute: number;
  rateLimitWindowMs: number;
  kafka: Readonly<{
    brokers: string[] | undefined;
    clientId: string;
    topicPrefix: string;
    groupId: string;
    partitions: number;
    replicationFactor: number;
    publishTimeoutMs: number;
    publishLingerMs: number;
    fetchMaxWaitMs: number;
    sessionTimeoutMs: number;
    lagIntervalMs: number;
  }>;
  clickhouse: Readonly<{ url: string | undefined; user: string | undefined; password: string | undefined; cluster?: string }>;
  /** Rows per insert, both modes (a processor chunk, an embedded group commit). */
  batch: Readonly<{ maxRows: number }>;
  embedded: Readonly<{ insertIntervalMs: number; insertDeadlineMs: number; maxBacklogRows: number }>;
  retryAfterSeconds: number;
  /** Warnings about renamed variables still in use, for the log. */
  deprecations: readonly string[];
  sqlDoor: Readonly<{
    host: string;
    port: number;
    passwords: Readonly<{ analyst: string | undefined; grafana: string | undefined }>;
    /** Where each password comes from: its variable, or the file withLocalSecrets generated. */
    passwordSources: Readonly<{ analyst: string; grafana: string }>;
    limits: Readonly<Record<Role, Limits>>;
    maxConcurrentQueries: number;
  }>;
  pseudonymPepper: string | undefined;
  rawRetentionDays: number;
  consentSnapshotIntervalMs: number;
  kafkaRetentionHours: number;
  ledger: Readonly<{ signingKey: string | undefined; intervalMs: number; graceMs: number; checkMs: number; lateWindowMs: number }>;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseIntegrations(env: z.infer<typeof envSchema>): Integration[] {
  const list: Integration[] = [];
  const sources: Array<[string, string]> = [];
  if (env.VERIFF_INTEGRATIONS) sources.push(['VERIFF_INTEGRATIONS', env.VERIFF_INTEGRATIONS]);
  if (env.VERIFF_INTEGRATIONS_FILE) {
    sources.push([env.VERIFF_INTEGRATIONS_FILE, readFileSync(env.VERIFF_INTEGRATIONS_FILE, 'utf8')]);
  }
  for (const [origin, text] of sources) {
    const parsed = z.array(integrationSchema).safeParse(JSON.parse(text));
    if (!parsed.success) throw new ConfigError(`${origin}: ${z.prettifyError(parsed.error)}`);
    list.push(...parsed.data);
  }
  if (env.VERIFF_API_KEY || env.VERIFF_SHARED_SECRET) {
    if (!env.VERIFF_API_KEY || !env.VERIFF_SHARED_SECRET) {
      throw new ConfigError('VERIFF_API_KEY and VERIFF_SHARED_SECRET must be set together');
    }
    list.push({ name: env.VERIFF_INTEGRATION_NAME, apiKey: env.VERIFF_API_KEY, sharedSecret: env.VERIFF_SHARED_SECRET });
  }
  const keys = new Set<string>();
  for (const i of list) {
    if (keys.has(i.apiKey)) throw new ConfigError(`integration api key configured twice (${i.name})`);
    keys.add(i.apiKey);
  }
  return list;
}

const limitsSchema = z.object({
  max_execution_time: z.number().int().min(1),
  max_memory_usage: z.number().int().min(0),
  max_result_rows: z.number().int().min(0),
  max_result_bytes: z.number().int().min(0),
  max_rows_to_read: z.number().int().min(0),
  max_threads: z.number().int().min(1),
}).partial().strict();
const roleLimitsSchema = z.object(Object.fromEntries(roles.map((r) => [r, limitsSchema.optional()]))).strict();

function parseRoleLimits(text: string): Record<Role, Limits> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError('SQL_ROLE_LIMITS: not JSON');
  }
  const parsed = roleLimitsSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`SQL_ROLE_LIMITS: ${z.prettifyError(parsed.error)}`);
  const overrides = parsed.data as Partial<Record<Role, Partial<Limits>>>;
  return Object.fromEntries(roles.map((r) => [r, Object.freeze({ ...defaultLimits[r], ...overrides[r] })])) as Record<Role, Limits>;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const { env: renamed, deprecations } = withRenamedVariables(source);
  const parsed = envSchema.safeParse(renamed);
  if (!parsed.success) throw new ConfigError(`invalid environment:\n${z.prettifyError(parsed.error)}`);
  const env = parsed.data;
  const brokers = env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  return Object.freeze({
    host: env.HOST,
    port: env.PORT,
    adminPort: env.ADMIN_PORT,
    adminHost: env.ADMIN_HOST,
    adminToken: env.ADMIN_TOKEN,
    dataDir: env.DATA_DIR,
    logLevel: env.LOG_LEVEL,
    integrations: Object.freeze(parseIntegrations(env)),
    allowLegacySignature: env.ALLOW_LEGACY_SIGNATURE,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    rateLimitWindowMs: env.RATE_LIMIT_WINDOW_MS,
    kafka: Object.freeze({
      brokers: brokers && brokers.length > 0 ? brokers : undefined,
      clientId: env.KAFKA_CLIENT_ID,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      groupId: env.KAFKA_GROUP_ID,
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      publishTimeoutMs: env.KAFKA_PUBLISH_TIMEOUT_MS,
      publishLingerMs: env.KAFKA_PUBLISH_LINGER_MS,
      fetchMaxWaitMs: env.KAFKA_FETCH_MAX_WAIT_MS,
      sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
      lagIntervalMs: env.KAFKA_LAG_INTERVAL_MS,
    }),
    clickhouse: Object.freeze({ url: env.CLICKHOUSE_URL, user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, cluster: env.CLICKHOUSE_CLUSTER }),
    batch: Object.freeze({ maxRows: env.BATCH_MAX_ROWS }),
    embedded: Object.freeze({ insertIntervalMs: env.EMBEDDED_INSERT_INTERVAL_MS, insertDeadlineMs: env.EMBEDDED_INSERT_DEADLINE_MS, maxBacklogRows: env.EMBEDDED_MAX_BACKLOG_ROWS }),
    retryAfterSeconds: env.RETRY_AFTER_SECONDS,
    deprecations: Object.freeze(deprecations),
    sqlDoor: Object.freeze({
      host: env.CLICKHOUSE_HTTP_HOST,
      port: env.CLICKHOUSE_HTTP_PORT,
      passwords: Object.freeze({ analyst: env.ANALYST_PASSWORD, grafana: env.GRAFANA_PASSWORD }),
      passwordSources: Object.freeze({ analyst: env.ANALYST_PASSWORD ? 'ANALYST_PASSWORD' : '', grafana: env.GRAFANA_PASSWORD ? 'GRAFANA_PASSWORD' : '' }),
      limits: Object.freeze(parseRoleLimits(env.SQL_ROLE_LIMITS)),
      maxConcurrentQueries: env.SQL_MAX_CONCURRENT_QUERIES,
    }),
    pseudonymPepper: env.PSEUDONYM_PEPPER,
    rawRetentionDays: env.RAW_RETENTION_DAYS,
    consentSnapshotIntervalMs: env.CONSENT_SNAPSHOT_INTERVAL_MS,
    kafkaRetentionHours: env.KAFKA_RETENTION_HOURS,
    ledger: Object.freeze({ signingKey: env.LEDGER_SIGNING_KEY, intervalMs: env.LEDGER_INTERVAL_MS, graceMs: env.LEDGER_SEAL_GRACE_MS, checkMs: env.LEDGER_SEAL_CHECK_MS, lateWindowMs: env.LEDGER_LATE_WINDOW_MS }),
  });
}

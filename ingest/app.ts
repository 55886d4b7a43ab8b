import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { UnavailableError } from '../lib/errors.js';
import { createAuthenticator } from './auth.js';
import type { IngestContext } from './context.js';
import { registerOpenApi } from './openapi.js';
import { rejectionOf } from './rejections.js';
import type { Sink } from '../pipeline/contract.js';
import { consentRoutes } from './routes/consents.route.js';
import { healthRoutes } from './routes/health.route.js';
import { webhookRoutes } from './routes/webhook.route.js';

export interface AppDeps {
  config: Config;
  sink: Sink;
  log: Logger;
  metrics: Metrics;
  /** Extra readiness checks (e.g. ClickHouse for the process that writes to it). */
  ready?: () => Promise<Record<string, boolean>>;
}

/** Durable-write latency per topic, whatever the sink (Kafka ack or embedded insert). */
function timedSink(sink: Sink, metrics: Metrics): Sink {
  const timed = async <T>(topic: string, write: () => Promise<T>): Promise<T> => {
    const end = metrics.publishSeconds.startTimer({ topic });
    const result = await write();
    end();
    return result;
  };
  return {
    accept: (topic, messages) => timed(topic, () => sink.accept(topic, messages)),
    quarantine: (key, message) => timed('quarantine', () => sink.quarantine(key, message)),
    reject: (message) => sink.reject(message),
    ready: () => sink.ready(),
  };
}

/**
 * Per integration (its x-auth-client key), so one misbehaving sender cannot starve the others;
 * requests with no or an unknown key share a bucket per client address. GETs are never limited.
 */
async function limitRate(app: FastifyInstance, config: Config): Promise<void> {
  if (config.rateLimitPerMinute === 0) return;
  const known = new Set(config.integrations.map((i) => i.apiKey));
  await app.register(rateLimit, {
    global: true,
    max: Math.max(1, Math.round((config.rateLimitPerMinute * config.rateLimitWindowMs) / 60_000)),
    timeWindow: config.rateLimitWindowMs,
    allowList: (req: FastifyRequest) => req.method !== 'POST',
    keyGenerator: (req: FastifyRequest) => {
      const key = req.headers['x-auth-client'];
      return typeof key === 'string' && known.has(key) ? `integration:${key}` : `address:${req.ip}`;
    },
  });
}

/**
 * Node's requestTimeout does not cover a body that trickles in after the headers (slowloris), and the
 * idle timeout only catches silent clients: a POST must have arrived whole within the deadline, or it
 * is answered 408 and its connection closed.
 */
function cutOffSlowBodies(app: FastifyInstance, deadlineMs: number): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST' || req.raw.complete) return;
    const timer = setTimeout(() => {
      if (req.raw.complete || reply.sent) return;
      req.outcome = 'request_timeout';
      reply.code(408).header('connection', 'close').send({ error: 'request_timeout', message: `request body not received within ${deadlineMs} ms` });
      reply.raw.once('finish', () => req.raw.socket?.destroy());
    }, deadlineMs);
    timer.unref();
    req.raw.once('end', () => clearTimeout(timer));
    reply.raw.once('close', () => clearTimeout(timer));
  });
}

type Bindings = Record<string, unknown>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * req.log without a pino child per request: a child's bindings go through redaction when it is made
 * (~7 µs, 3% of a Kafka-mode request). This one makes the child on the first line a request actually
 * writes, so every line still carries its reqId.
 */
class RequestLogger {
  #child: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: FastifyBaseLogger & Pick<Logger, 'isLevelEnabled'>,
    private readonly bindings: Bindings,
  ) {}
  private real(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings));
  }
  private write(level: Level, args: unknown[]): void {
    if (this.parent.isLevelEnabled(level)) (this.real()[level] as (...a: unknown[]) => void)(...args);
  }
  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real().level = level;
  }
  fatal(...args: unknown[]): void { this.write('fatal', args); }
  error(...args: unknown[]): void { this.write('error', args); }
  warn(...args: unknown[]): void { this.write('warn', args); }
  info(...args: unknown[]): void { this.write('info', args); }
  debug(...args: unknown[]): void { this.write('debug', args); }
  trace(...args: unknown[]): void { this.write('trace', args); }
  silent(): void {}
  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

/** The ingest HTTP app; never listens (server.ts and the embedded start do). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, log, metrics } = deps;
  const sink = timedSink(deps.sink, metrics);
  const httpLog = log.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: httpLog as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // A route's own logLevel needs a real child with that level.
    childLoggerFactory: (logger, bindings, options) =>
      options.level ? logger.child(bindings, options) : (new RequestLogger(logger as FastifyBaseLogger & Pick<Logger, 'isLevelEnabled'>, bindings) as unknown as FastifyBaseLogger),
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    // Node checks request deadlines only this often (30 s by default): slow clients must not outstay theirs by that much.
    http: { connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(config.requestTimeoutMs / 4))) },
  });

  // HMAC needs the exact bytes: every body is read raw and parsed by the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const ctx: IngestContext = { authenticate: createAuthenticator(config.integrations, config.allowLegacySignature), sink, log };

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: reply.statusCode, outcome: req.outcome ?? '' });
    if (route === '/healthz' || route === '/readyz') return;
    // One line per request, without payload or personal data; reqId as req.log would bind it, without making a child per request.
    if (httpLog.isLevelEnabled('info')) httpLog.info({ reqId: req.id, method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime), integration: req.integration, outcome: req.outcome }, 'request');
  });

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    if (err instanceof UnavailableError) {
      req.log.warn({ err: { message: err.message, cause: String((err.cause as Error)?.message ?? '') } }, 'sink unavailable');
      req.outcome = 'unavailable';
      return reply.code(503).header('retry-after', String(err.retryAfterSeconds)).send({ error: 'unavailable', message: 'event store unavailable, retry later' });
    }
    const status = err.statusCode ?? 500;
    if (status === 413 || status === 415 || status === 400) {
      const reason = status === 413 ? 'body_too_large' : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'bad_request';
      req.outcome = reason;
      await sink.reject(rejectionOf(req, { status, reason, integration: null, body: Buffer.alloc(0) }));
      return reply.code(status).send({ error: reason, message: err.message });
    }
    if (status === 429) {
      req.outcome = 'rate_limited';
      await sink.reject(rejectionOf(req, { status, reason: 'rate_limited', integration: config.integrations.find((i) => i.apiKey === req.headers['x-auth-client'])?.name ?? null, body: Buffer.alloc(0) }));
      return reply.code(429).send({ error: 'rate_limited', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(status >= 400 && status < 600 ? status : 500).send({ error: 'internal', message: 'internal error' });
  });

  // Every refusal is counted here, once, whichever path refused it.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && reply.statusCode !== 503 && req.outcome) {
      metrics.rejections.inc({ endpoint: req.routeOptions.url ?? req.url, reason: req.outcome });
    }
    return payload;
  });

  cutOffSlowBodies(app, config.requestTimeoutMs);
  await limitRate(app, config);
  await registerOpenApi(app);
  healthRoutes(app, { ready: async () => ({ ...(await sink.ready()), ...(deps.ready ? await deps.ready() : {}) }) });
  webhookRoutes(app, ctx);
  consentRoutes(app, ctx);
  return app;
}

/** A processor alone still answers health and readiness on the service port (metrics are on the internal one). */
export function buildHealthApp(log: Logger, ready: () => Promise<Record<string, boolean>>): FastifyInstance {
  const app = Fastify({ loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger, disableRequestLogging: true });
  healthRoutes(app, { ready });
  return app;
}

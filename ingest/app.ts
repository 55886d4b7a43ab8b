import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { UnavailableError } from '../lib/errors.js';
import { createAuthenticator } from './auth.js';
import type { IngestContext } from './context.js';
import { rejectionOf } from './rejections.js';
import type { Sink } from './sink.js';
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

/** The ingest HTTP app; never listens (server.ts and the embedded start do). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, sink, log, metrics } = deps;
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
  });

  // HMAC needs the exact bytes: every body is read raw and parsed by the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const ctx: IngestContext = { authenticate: createAuthenticator(config.integrations, config.allowLegacySignature), sink, log };

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: reply.statusCode, outcome: req.outcome ?? '' });
    if (route === '/metrics' || route === '/healthz' || route === '/readyz') return;
    // One line per request, without payload or personal data.
    req.log.info({ method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime), integration: req.integration, outcome: req.outcome }, 'request');
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
      metrics.rejections.inc({ endpoint: req.routeOptions.url ?? req.url, reason });
      return reply.code(status).send({ error: reason, message: err.message });
    }
    if (status === 429) return reply.code(429).send({ error: 'rate_limited', message: err.message });
    req.log.error({ err }, 'unhandled error');
    return reply.code(status >= 400 && status < 600 ? status : 500).send({ error: 'internal', message: 'internal error' });
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && reply.statusCode !== 503 && req.outcome && reply.statusCode !== 413) {
      metrics.rejections.inc({ endpoint: req.routeOptions.url ?? req.url, reason: req.outcome });
    }
    return payload;
  });

  healthRoutes(app, {
    ready: async () => ({ ...(await sink.ready()), ...(deps.ready ? await deps.ready() : {}) }),
    metrics,
  });
  webhookRoutes(app, ctx);
  consentRoutes(app, ctx);
  return app;
}

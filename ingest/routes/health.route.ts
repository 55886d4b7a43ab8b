import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../lib/metrics.js';

export function healthRoutes(app: FastifyInstance, deps: { ready: () => Promise<Record<string, boolean>>; metrics: Metrics }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

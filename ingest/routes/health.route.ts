import type { FastifyInstance } from 'fastify';

/** Liveness and readiness: the only operational routes on a port that faces Veriff. */
export function healthRoutes(app: FastifyInstance, deps: { ready: () => Promise<Record<string, boolean>> }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });
}

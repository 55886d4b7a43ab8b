import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { acceptedMessageSchema } from '../schemas/messages.js';
import { acceptedTopics, type Sink } from '../pipeline/contract.js';

const acceptRequest = z.object({
  topic: z.enum(acceptedTopics),
  messages: z.array(z.object({ key: z.string(), message: acceptedMessageSchema })).max(50_000),
});

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Served without the token: the port itself is internal (ADMIN_HOST, 127.0.0.1 unless told otherwise). */
const open = new Set(['/healthz', '/metrics', '/openapi.json']);

/**
 * The internal port of every process, never the one that faces Veriff: Prometheus metrics, the ingest
 * API's OpenAPI document and, in the process that owns the embedded store, `/accept` for import and
 * replay (token-protected). SQL goes through the SQL door (sqldoor/).
 */
export async function buildAdminApp(deps: { token: string; log: Logger; metrics: Metrics; openApi?: () => unknown; accept?: Sink['accept']; routes?: (app: FastifyInstance) => void }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'admin' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 256 * 1_048_576 });
  app.addHook('onRequest', async (req, reply) => {
    if (open.has(req.url.split('?')[0]!)) return;
    const token = req.headers['x-admin-token'];
    if (typeof token !== 'string' || !sameToken(token, deps.token)) return reply.code(401).send({ error: 'unauthorized', message: 'x-admin-token required' });
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  const openApi = deps.openApi;
  if (openApi) app.get('/openapi.json', async () => openApi());
  // Import and replay hand validated messages to the process that owns the embedded store.
  const accept = deps.accept;
  if (accept) {
    app.post('/accept', async (req, reply) => {
      const parsed = acceptRequest.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send({ error: 'validation_failed', message: 'body must be {topic, messages}', details: parsed.error.issues.slice(0, 20) });
      await accept(parsed.data.topic, parsed.data.messages);
      return reply.send({ accepted: parsed.data.messages.length });
    });
  }
  deps.routes?.(app);
  return app;
}

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import { acceptedMessageSchema } from '../schemas/messages.js';
import type { Sink } from '../ingest/sink.js';

const acceptRequest = z.object({
  topic: z.enum(['decisions', 'events', 'consents']),
  messages: z.array(z.object({ key: z.string(), message: acceptedMessageSchema })).max(50_000),
});

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * The internal port of the process that owns the embedded store: bound to 127.0.0.1, token-protected.
 * Import and replay hand it validated messages; SQL goes through the SQL door (sqldoor/).
 */
export async function buildAdminApp(deps: { token: string; log: Logger; accept?: Sink['accept'] }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'admin' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 256 * 1_048_576 });
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz') return;
    const token = req.headers['x-admin-token'];
    if (typeof token !== 'string' || !sameToken(token, deps.token)) return reply.code(401).send({ error: 'unauthorized', message: 'x-admin-token required' });
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
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
  return app;
}

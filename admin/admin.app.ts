import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import { acceptedMessageSchema } from '../schemas/messages.js';
import type { Sink } from '../ingest/sink.js';

const sqlRequest = z.object({
  query: z.string().min(1).max(100_000),
  params: z.record(z.string(), z.unknown()).default({}),
});

const acceptRequest = z.object({
  topic: z.enum(['decisions', 'events', 'consents']),
  messages: z.array(z.object({ key: z.string(), message: acceptedMessageSchema })).max(50_000),
});

/** Root nodes of `EXPLAIN AST` for statements that only read. */
const readingStatements = /^"?(SelectWithUnionQuery|DescribeQuery|ShowTables|ShowCreate\w*Query|Exists\w*Query|Explain)\b/;

/**
 * chdb applies clickhouse_settings as session-wide `SET`s, so `readonly=1` would leave the whole
 * embedded store read-only, the owner's own inserts included. An embedded query is parsed instead:
 * one statement, of a reading kind; then it runs without the setting.
 */
async function embeddedReadOnly(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<{ ok: true; query: string } | { ok: false; message: string }> {
  const single = query.trim().replace(/;\s*$/, '');
  if (single.includes(';')) return { ok: false, message: 'one statement only (no ";")' };
  if (/\bINTO\s+OUTFILE\b/i.test(single)) return { ok: false, message: 'INTO OUTFILE is not allowed' };
  const explained = await client.query({ query: `EXPLAIN AST ${single}`, query_params: params, format: 'TabSeparatedRaw' });
  const root = (await explained.text()).split('\n')[0] ?? '';
  return readingStatements.test(root) ? { ok: true, query: single } : { ok: false, message: `read-only endpoint: ${root.replace(/\W.*$/s, '') || 'this statement'} is not allowed` };
}

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Read-only SQL for the process that owns the embedded store: bound to 127.0.0.1, token-protected,
 * and every query runs with ClickHouse readonly=1 (embedded: is checked to be a single reading statement).
 */
export async function buildAdminApp(deps: { client: ClickHouseClient; token: string; log: Logger; accept?: Sink['accept']; embedded?: boolean }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'admin' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 256 * 1_048_576 });
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz') return;
    const token = req.headers['x-admin-token'];
    if (typeof token !== 'string' || !sameToken(token, deps.token)) return reply.code(401).send({ error: 'unauthorized', message: 'x-admin-token required' });
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post('/sql', async (req, reply) => {
    const parsed = sqlRequest.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'validation_failed', message: 'body must be {query, params?}', details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    try {
      let query = parsed.data.query;
      if (deps.embedded) {
        const checked = await embeddedReadOnly(deps.client, query, parsed.data.params);
        if (!checked.ok) return reply.code(400).send({ error: 'query_refused', message: checked.message });
        query = checked.query;
      }
      const result = await deps.client.query({
        query,
        query_params: parsed.data.params,
        format: 'JSONEachRow',
        clickhouse_settings: deps.embedded ? {} : { readonly: '1' },
      });
      const rows = await result.json();
      return reply.send({ rows });
    } catch (err) {
      return reply.code(400).send({ error: 'query_failed', message: (err as Error).message });
    }
  });
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

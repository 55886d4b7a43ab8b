import Fastify from 'fastify';

/** The ingest benchmark's baseline: a bare Fastify route answering 200, no auth, no validation, no Kafka. */
const app = Fastify({ logger: false });
app.post('/webhooks/veriff/decision', async () => ({ status: 'accepted' }));
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

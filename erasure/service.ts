import type { FastifyInstance } from 'fastify';
import type { ClickHouseClient } from '../lib/clickhouse.js';
import type { Config } from '../lib/config.js';
import { createPseudonymizer } from '../lib/pseudonym.js';
import { segmentMsFor } from '../lib/kafka.js';
import { erase, type ErasureDeps } from './erase.js';
import { ErasureRequestError, parseErasureRequest } from './request.js';

/** Wiring of erasure into a process that holds the store: its dependencies, and the internal port's POST /erase. */

const HOUR_MS = 3_600_000;

export const erasureDeps = (client: ClickHouseClient, config: Config): ErasureDeps => ({
  client,
  pseudonymize: createPseudonymizer(config.pseudonymPepper!),
  kafka: config.kafka.brokers ? { retentionMs: config.kafkaRetentionHours * HOUR_MS, segmentMs: segmentMsFor(config.kafkaRetentionHours) } : null,
});

export function eraseRoute(app: FastifyInstance, deps: ErasureDeps): void {
  app.post('/erase', async (req, reply) => {
    try {
      return reply.send(await erase(deps, parseErasureRequest(req.body)));
    } catch (err) {
      if (err instanceof ErasureRequestError) return reply.code(400).send({ error: 'validation_failed', message: err.message });
      throw err;
    }
  });
}

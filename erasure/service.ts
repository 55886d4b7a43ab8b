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

/** settled: resolves true once every webhook acknowledged so far is in ClickHouse, where erasure can reach it. */
export function eraseRoute(app: FastifyInstance, deps: ErasureDeps, settled?: () => Promise<boolean>): void {
  app.post('/erase', async (req, reply) => {
    try {
      const request = parseErasureRequest(req.body);
      if (settled && !(await settled())) {
        return reply.code(503).header('retry-after', '10').send({ error: 'unavailable', message: 'accepted webhooks are not all in ClickHouse yet (see the journal backlog); erasing now would miss them' });
      }
      return reply.send(await erase(deps, request));
    } catch (err) {
      if (err instanceof ErasureRequestError) return reply.code(400).send({ error: 'validation_failed', message: err.message });
      throw err;
    }
  });
}

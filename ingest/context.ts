import type { Logger } from '../lib/logger.js';
import type { Authenticator } from './auth.js';
import type { Sink } from '../pipeline/contract.js';

/** What routes need, injected by buildApp. */
export interface IngestContext {
  authenticate: Authenticator;
  sink: Sink;
  log: Logger;
}

declare module 'fastify' {
  interface FastifyRequest {
    integration?: string;
    outcome?: string;
  }
}
